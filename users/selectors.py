"""Reads about the person: their own memberships, the menu and the two-factor rule that
follow from them, their own API tokens. Each takes the acting user. The firm's side (its
users, their roles) is in dossiers/members.py."""

from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest

from core import db_scope
from core.lookups import get_or_404
from users.models import ApiToken, DossierAccess, FirmMembership, Role, User


def memberships_for(*, actor: User) -> list[FirmMembership]:
    """The actor's own memberships, with their firms, read in the actor's own row-level scope
    (a login's request starts as an anonymous visitor's)."""
    if not actor.is_authenticated:
        return []
    with db_scope.scoped(db_scope.for_user(actor)):
        return list(FirmMembership.objects.active().filter(user=actor).select_related("firm"))


def request_memberships(request: HttpRequest) -> list[FirmMembership]:
    """The user's memberships, read once per request (header and hub share them)."""
    cached = getattr(request, "_portal_memberships", None)
    if cached is None:
        cached = memberships_for(actor=request.user)  # type: ignore[arg-type]
        request._portal_memberships = cached  # type: ignore[attr-defined]
    return cached


#: Roles held by the firm's side on a dossier: whoever holds one anywhere is not a client.
FIRM_SIDE_ROLES = (Role.CONNECT_ACCOUNTANT, Role.VIEW_ADMIN)


def is_client_for(*, actor: User, memberships: list[FirmMembership]) -> bool:
    """A client: staff (licence admin or power user) in no firm, and no accountant or View
    administrator role on any dossier (docs/decisions.md, "Clients and firm people")."""
    if not actor.is_authenticated:
        return False
    if any(m.is_staff_level for m in memberships):
        return False
    return not DossierAccess.objects.filter(user=actor, role__in=FIRM_SIDE_ROLES).exists()


#: The session remembers whether the menu offers "API tokens" to a client (a query otherwise
#: on every page); the token page forgets it when a token is made or revoked.
MENU_API_TOKENS = "portal_menu_api_tokens"


def api_tokens_in_menu_for(*, actor: User, memberships: list[FirmMembership]) -> bool:
    """Whether the menu offers "API tokens": to the firm's people, and to a client who already
    holds a token (one who uses the API). One query at most, none for staff."""
    if not actor.is_authenticated:
        return False
    if any(m.is_staff_level for m in memberships):
        return True
    firm_side = DossierAccess.objects.filter(user=OuterRef("pk"), role__in=FIRM_SIDE_ROLES)
    tokens = ApiToken.objects.filter(user=OuterRef("pk"), revoked_at__isnull=True)
    return User.objects.filter(Exists(firm_side) | Exists(tokens), pk=actor.pk).exists()


def api_token_list_for(*, actor: User) -> QuerySet[ApiToken]:
    """The actor's own tokens, newest first (a token is never shown to anyone else)."""
    return ApiToken.objects.filter(user=actor).order_by("revoked_at", "-created_at", "-id")


def api_token_get_for(*, actor: User, public_id: object) -> ApiToken:
    return get_or_404(ApiToken.objects.filter(user=actor), public_id)


# --- Two-factor authentication --------------------------------------------------------------


def mfa_required_for(*, memberships: list[FirmMembership]) -> bool:
    """Whether one of the actor's firms requires two-factor authentication of them: they are
    active staff there and the firm says so. Clients are never required."""
    return any(m.is_staff_level and m.firm.mfa_required_for_staff for m in memberships)
