"""Request id, access log and browser security headers (docs/operations.md, "Headers" and
"Logs")."""

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

from core.logging import masked_path, request_id_var

access_logger = logging.getLogger("portal.request")

#: An incoming X-Request-ID is kept when it looks like an id (nginx's $request_id, a UUID…).
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")


def _policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


class RequestIdMiddleware:
    """Early in the chain (after the probes): gives the request an id (a sane incoming
    ``X-Request-ID``, else a new one), makes it the id of every log record written meanwhile,
    echoes it in the response and writes one access record: method, path (secret URL parts
    masked, no query string), status, duration and the user's id (never the e-mail)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if REQUEST_ID_PATTERN.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        request_id_var.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        path = masked_path(request)
        access_logger.info(
            "%s %s %s",
            request.method,
            path,
            response.status_code,
            extra={
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": _user_id(request),
            },
        )
        # Django logs 4xx/5xx answers after the last middleware returns: the id stays until
        # the response is closed (request_finished), and each request sets its own.
        return response


def _forget_request_id(**kwargs: object) -> None:
    request_id_var.set(None)


request_finished.connect(_forget_request_id, dispatch_uid="portal_forget_request_id")


def _user_id(request: HttpRequest) -> int | None:
    """The user's id if the request already looked the user up (never a query of its own)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "pk", None)


class SecurityHeadersMiddleware:
    """The headers Django's SecurityMiddleware does not set: Content-Security-Policy (from
    ``SECURE_CSP``, the shape of Django 6.0's setting), Permissions-Policy and
    Cross-Origin-Resource-Policy. A response that sets its own policy (downloads are sandboxed)
    keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        headers = {
            "Content-Security-Policy": _policy(settings.SECURE_CSP),
            "Permissions-Policy": ", ".join(
                f"{feature}=({' '.join(allowed)})"
                for feature, allowed in settings.PERMISSIONS_POLICY.items()
            ),
            "Cross-Origin-Resource-Policy": settings.SECURE_CROSS_ORIGIN_RESOURCE_POLICY,
        }
        # Decided once: a setting left empty sends no header.
        self.headers = {name: value for name, value in headers.items() if value}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name, value in self.headers.items():
            response.headers.setdefault(name, value)
        return response
