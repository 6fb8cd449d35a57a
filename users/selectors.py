"""Reads about users, their memberships and roles. Each takes the acting user."""

import uuid
from collections import defaultdict

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest

from core import db_scope
from core.lookups import get_or_404
from core.models import AuditAction, AuditEvent
from dossiers.models import Dossier, Firm
from users.models import ApiToken, DossierAccess, FirmMembership, Invitation, Role, User


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


def roles_on_dossier_for(*, actor: User, dossier: Dossier) -> set[str]:
    """The actor's own roles on one dossier (none once they left the dossier's firm)."""
    if not actor.is_authenticated:
        return set()
    return set(
        DossierAccess.objects.filter(
            user=actor,
            dossier=dossier,
            dossier__firm_id__in=FirmMembership.objects.active()
            .filter(user=actor)
            .values("firm_id"),
        ).values_list("role", flat=True)
    )


def roles_by_dossier_for(*, actor: User) -> dict[int, set[str]]:
    """The actor's own roles, keyed by dossier id (only in firms they still belong to)."""
    if not actor.is_authenticated:
        return {}
    roles: dict[int, set[str]] = defaultdict(set)
    rows = DossierAccess.objects.filter(
        user=actor,
        dossier__firm_id__in=FirmMembership.objects.active().filter(user=actor).values("firm_id"),
    ).values_list("dossier_id", "role")
    for dossier_id, role in rows:
        roles[dossier_id].add(role)
    return dict(roles)


def firm_user_list_for(
    *,
    actor: User,
    firm: Firm,
    query: str = "",
    dossier: Dossier | None = None,
    role: str = "",
    level: str = "",
) -> QuerySet[FirmMembership]:
    """The memberships of ``firm`` (the firm's users) for its staff, searched and filtered,
    each user's roles in this firm prefetched (one query whatever the page size)."""
    if not FirmMembership.objects.staff().filter(user=actor, firm=firm).exists():
        return FirmMembership.objects.none()
    memberships = FirmMembership.objects.filter(firm=firm).select_related("user")
    if query:
        memberships = memberships.filter(
            Q(user__email__icontains=query)
            | Q(user__first_name__icontains=query)
            | Q(user__last_name__icontains=query)
            | Q(display_label__icontains=query)
        )
    if level:
        memberships = memberships.filter(level=level)
    if dossier is not None or role:
        accesses = DossierAccess.objects.filter(dossier__firm=firm)
        if dossier is not None:
            accesses = accesses.filter(dossier=dossier)
        if role:
            accesses = accesses.filter(role=role)
        memberships = memberships.filter(user_id__in=accesses.values("user_id"))
    return memberships.prefetch_related(
        Prefetch(
            "user__dossier_accesses",
            queryset=DossierAccess.objects.filter(dossier__firm=firm)
            .select_related("dossier")
            .order_by("dossier__code", "role"),
            to_attr="firm_accesses",
        )
    ).order_by("user__email")


def firm_user_get_for(*, actor: User, firm: Firm, public_id: object) -> FirmMembership:
    """One user of ``firm`` (as their membership), for the firm's staff; otherwise 404."""
    try:
        uid = uuid.UUID(str(public_id))
    except (TypeError, ValueError):
        raise Http404 from None
    membership = firm_user_list_for(actor=actor, firm=firm).filter(user__public_id=uid).first()
    if membership is None:
        raise Http404
    return membership


def firm_staff_search_for(*, actor: User, firm: Firm, query: str = "") -> list[User]:
    """Active staff of ``firm`` whose WinBooksID or name matches (the accountant field)."""
    if not FirmMembership.objects.staff().filter(user=actor, firm=firm).exists():
        return []
    staff = User.objects.filter(
        id__in=FirmMembership.objects.staff().filter(firm=firm).values("user_id")
    )
    if query:
        staff = staff.filter(
            Q(email__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
    return list(staff.order_by("email")[:20])


def invitation_list_for(*, actor: User, firm: Firm, user: User) -> list[Invitation]:
    """The latest invitations of one user of ``firm``, for the firm's staff."""
    if not FirmMembership.objects.staff().filter(user=actor, firm=firm).exists():
        return []
    return list(Invitation.objects.filter(user=user, firm=firm)[:10])


def roles_on_dossier(*, actor: User, dossier: Dossier) -> dict[str, list[User]]:
    """Active users of each role on ``dossier``, for the staff of the dossier's firm."""
    by_role: dict[str, list[User]] = defaultdict(list)
    if not FirmMembership.objects.staff().filter(user=actor, firm_id=dossier.firm_id).exists():
        return {}
    accesses = (
        DossierAccess.objects.filter(
            dossier=dossier,
            user__memberships__firm_id=dossier.firm_id,
            user__memberships__is_active=True,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user__email")
    )
    for access in accesses:
        by_role[access.role].append(access.user)
    return dict(by_role)


def api_token_list_for(*, actor: User) -> QuerySet[ApiToken]:
    """The actor's own tokens, newest first (a token is never shown to anyone else)."""
    return ApiToken.objects.filter(user=actor).order_by("revoked_at", "-created_at", "-id")


def api_token_firm_list_for(*, actor: User) -> QuerySet[Firm]:
    """The firms a personal API token may be restricted to: the actor's own."""
    firm_ids = FirmMembership.objects.active().filter(user=actor).values("firm_id")
    return Firm.objects.filter(pk__in=firm_ids).order_by("name")


def api_token_get_for(*, actor: User, public_id: object) -> ApiToken:
    return get_or_404(ApiToken.objects.filter(user=actor), public_id)


def firm_api_token_list_for(*, actor: User, firm: Firm) -> QuerySet[ApiToken]:
    """The tokens that reach ``firm``'s dossiers: its members' tokens with no firm or with
    this one (never their value). ``firm`` comes from firm_staff_get_for."""
    members = FirmMembership.objects.filter(firm=firm).values("user_id")
    return (
        ApiToken.objects.filter(user__in=members)
        .filter(Q(firm__isnull=True) | Q(firm=firm))
        .select_related("user", "firm")
        .order_by("revoked_at", "-created_at", "-id")
    )


def firm_api_token_get_for(*, actor: User, firm: Firm, public_id: object) -> ApiToken:
    return get_or_404(firm_api_token_list_for(actor=actor, firm=firm), public_id)


# --- Two-factor authentication --------------------------------------------------------------


def mfa_required_for(*, memberships: list[FirmMembership]) -> bool:
    """Whether one of the actor's firms requires two-factor authentication of them: they are
    active staff there and the firm says so. Clients are never required."""
    return any(m.is_staff_level and m.firm.mfa_required_for_staff for m in memberships)


def firm_mfa_last_change_for(*, actor: User, firm: Firm) -> AuditEvent | None:
    """Who last changed the firm's two-factor rule, and when (for the firm's staff: one query,
    the actor's staff membership a condition of it)."""
    return (
        AuditEvent.objects.filter(
            firm=firm,
            firm_id__in=FirmMembership.objects.staff().filter(user=actor).values("firm_id"),
            action=AuditAction.FIRM_MFA_CHANGED,
        )
        .select_related("actor")
        .first()
    )
