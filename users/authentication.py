"""API authentication: `Authorization: Bearer <personal token>`."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from core import db_scope
from users.models import ApiToken
from users.services import ApiTokenRefused, api_token_authenticate

#: What the holder of a known token that has ended is told (the body's error code says which).
REFUSED = {
    "token_expired": _("This token has expired: make a new one on the API tokens page."),
    "token_revoked": _("This token has been revoked: make a new one on the API tokens page."),
}


class BearerTokenAuthentication(BaseAuthentication):
    """A personal token; an expired or revoked one, or one whose user was deactivated, is
    refused (401, with the code ``token_expired`` or ``token_revoked``)."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("The Authorization header is malformed."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        try:
            token = api_token_authenticate(raw)
        except ApiTokenRefused as refused:
            raise exceptions.AuthenticationFailed(
                REFUSED[refused.code], code=refused.code
            ) from None
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid."))
        db_scope.activate(db_scope.for_user(token.user), fresh=True)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TokenScopeAllows(BasePermission):
    """A token with the ``read`` scope only reads: an upload or an acknowledgement (any
    method that writes) is refused with 403 ``token_read_only``."""

    message = _(
        "This token may only read: to upload or acknowledge documents, make a token that may "
        "also upload and acknowledge."
    )
    code = "token_read_only"

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if request.method in SAFE_METHODS or not isinstance(token, ApiToken):
            return True
        return token.can_write


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document describes the token."""

    target_class = "users.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A personal API token."}
