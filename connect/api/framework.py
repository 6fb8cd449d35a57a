"""Shared pieces of API v1 (DESIGN.md §4): the error format and rate limits (the id
cursors are ``core.pagination``'s)."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ServiceError

#: ServiceError codes whose HTTP status is not 400.
SERVICE_STATUS = {
    "forbidden": status.HTTP_403_FORBIDDEN,
    "state": status.HTTP_409_CONFLICT,
    "not_ready": status.HTTP_409_CONFLICT,
    "not_found": status.HTTP_404_NOT_FOUND,
}


def error_response(code: str, message: object, http_status: int, **headers: str) -> Response:
    response = Response(
        {"error": {"code": code, "message": str(message)}}, status=http_status, headers=headers
    )
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error as ``{"error": {"code", "message"}}`` with the matching status."""
    if isinstance(exc, ServiceError):
        http_status = getattr(exc, "status", None) or SERVICE_STATUS.get(exc.code, 400)
        return error_response(exc.code, exc.message, http_status)
    if isinstance(exc, RequestDataTooBig):
        return error_response("too_large", _("The request is too large."), 413)
    if isinstance(exc, SuspiciousOperation):
        return error_response("invalid", _("The request could not be read."), 400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    code, message = _describe(exc)
    headers = {}
    for name in ("WWW-Authenticate", "Retry-After", "Allow"):
        if name in response:
            headers[name] = response[name]
    return error_response(code, message, response.status_code, **headers)


def _describe(exc: exceptions.APIException) -> tuple[str, object]:
    if isinstance(exc, exceptions.NotAuthenticated):
        return "not_authenticated", _("Send a valid token: Authorization: Bearer <token>.")
    if isinstance(exc, exceptions.AuthenticationFailed):
        code = exc.get_codes()
        if code in ("token_expired", "token_revoked"):
            return str(code), exc.detail
        return "token_invalid", exc.detail
    if isinstance(exc, exceptions.NotFound):
        return "not_found", _("Not found.")
    if isinstance(exc, exceptions.PermissionDenied):
        read_only = exc.get_codes() == "token_read_only"
        return ("token_read_only" if read_only else "forbidden"), exc.detail
    if isinstance(exc, exceptions.Throttled):
        seconds = int(exc.wait or 1)
        return "rate_limited", ngettext(
            "Too many requests: try again in %(seconds)s second.",
            "Too many requests: try again in %(seconds)s seconds.",
            seconds,
        ) % {"seconds": seconds}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return "unsupported_media_type", _("This content type is not accepted.")
    if isinstance(exc, exceptions.MethodNotAllowed):
        return "method_not_allowed", _("This method is not allowed here.")
    if isinstance(exc, exceptions.ValidationError):
        return "invalid", _first_message(exc.detail)
    if isinstance(exc, exceptions.ParseError):
        return "invalid", _("The request could not be read.")
    return str(exc.default_code), exc.detail


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            return message if field == "non_field_errors" else f"{field}: {message}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


class TokenRateThrottle(SimpleRateThrottle):
    """Requests per token (per IP for the unauthenticated)."""

    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = getattr(request, "auth", None)
        ident = f"t{token.pk}" if token is not None else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class UploadRateThrottle(TokenRateThrottle):
    scope = "upload"

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
