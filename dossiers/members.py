"""The firm's members and their dossier roles: reads for the firm's staff and the actor's own
roles, and the writes on memberships and roles (the Portal users pages, the firm's two-factor
rule, the tokens that reach the firm). Creating and changing a firm's user is in
dossiers/firm_users.py, invitations in dossiers/invitations.py."""

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import db_scope
from core.audit import audit_record
from core.errors import ServiceError
from core.lookups import get_or_404
from core.models import AuditAction, AuditEvent
from dossiers.access import dossier_users_by_role, firm_staff_membership, is_firm_staff
from dossiers.models import Dossier, DossierAccess, Firm, FirmLevel, FirmMembership, Role
from users.models import ApiToken, TokenRevokedBecause, User
from users.services import api_tokens_revoke_for

_M = TypeVar("_M", bound=models.Model)


def memberships_for(*, actor: User) -> list[FirmMembership]:
    """The actor's own memberships, with their firms, read in the actor's own row-level scope
    (a login's request starts as an anonymous visitor's)."""
    if not actor.is_authenticated:
        return []
    with db_scope.scoped(db_scope.for_user(actor)):
        return list(FirmMembership.objects.active().filter(user=actor).select_related("firm"))


def _from_columns(model: type[_M], columns: dict[str, Any] | str) -> _M:
    """A model instance from one of its rows as a JSON object of its columns."""
    values: dict[str, Any] = json.loads(columns) if isinstance(columns, str) else columns
    fields = model._meta.concrete_fields
    return model.from_db(
        DEFAULT_DB_ALIAS,
        [f.attname for f in fields],
        [f.to_python(values[str(f.column)]) for f in fields],
    )


def memberships_from_scope(rows: list[tuple[Any, Any]]) -> list[FirmMembership]:
    """The memberships that the request's scope statement returned (core/db_scope.py,
    portal/0012): the same rows as ``memberships_for``, read in the same round trip."""
    memberships = []
    for membership_columns, firm_columns in rows:
        membership = _from_columns(FirmMembership, membership_columns)
        membership.firm = _from_columns(Firm, firm_columns)
        memberships.append(membership)
    return memberships


def request_memberships(request: HttpRequest) -> list[FirmMembership]:
    """The user's memberships, read once per request (header and hub share them): those read
    with the request's scope when it started, unless the request's user changed since (a login
    or logout inside it)."""
    cached = getattr(request, "_portal_memberships", None)
    if cached is None:
        user = request.user
        read = getattr(request, "portal_scope_memberships", None)
        if read is not None and user.is_authenticated and read[0] == user.pk:
            cached = memberships_from_scope(read[1])
        else:
            cached = memberships_for(actor=user)  # type: ignore[arg-type]
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


# --- Two-factor authentication --------------------------------------------------------------


def mfa_required_for(*, memberships: list[FirmMembership]) -> bool:
    """Whether one of the actor's firms requires two-factor authentication of them: they are
    active staff there and the firm says so. Clients are never required."""
    return any(m.is_staff_level and m.firm.mfa_required_for_staff for m in memberships)


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
    if not is_firm_staff(user=actor, firm_id=firm.pk):
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
    if not is_firm_staff(user=actor, firm_id=firm.pk):
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


def roles_on_dossier(*, actor: User, dossier: Dossier) -> dict[str, list[User]]:
    """Active users of each role on ``dossier``, for the staff of the dossier's firm."""
    if not is_firm_staff(user=actor, firm_id=dossier.firm_id):
        return {}
    return dossier_users_by_role(dossier=dossier)


def api_token_firm_list_for(*, actor: User) -> QuerySet[Firm]:
    """The firms a personal API token may be restricted to: the actor's own."""
    firm_ids = FirmMembership.objects.active().filter(user=actor).values("firm_id")
    return Firm.objects.filter(pk__in=firm_ids).order_by("name")


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


# --- Writes on memberships and dossier roles -------------------------------------------------


def membership_set(*, firm: Firm, user: User, level: str) -> FirmMembership:
    """Make ``user`` a member of ``firm`` at ``level`` (changing the level if already one)."""
    if level not in FirmLevel.values:
        raise ServiceError(_("Choose a level."), code="level_invalid", field="level")
    membership, _created = FirmMembership.objects.update_or_create(
        user=user, firm=firm, defaults={"level": level}
    )
    return membership


def dossier_roles_set(*, dossier: Dossier, user: User, roles: Iterable[str]) -> set[str]:
    """Give ``user`` exactly ``roles`` on ``dossier``. The user must belong to the firm."""
    wanted = set(roles)
    unknown = wanted - set(Role.values)
    if unknown:
        raise ServiceError(_("Unknown role."), code="role_invalid", field="roles")
    if not FirmMembership.objects.filter(user=user, firm_id=dossier.firm_id).exists():
        raise ServiceError(_("The user must belong to the dossier's firm."), code="not_a_member")
    with transaction.atomic():
        current = set(
            DossierAccess.objects.filter(user=user, dossier=dossier).values_list("role", flat=True)
        )
        DossierAccess.objects.filter(user=user, dossier=dossier, role__in=current - wanted).delete()
        DossierAccess.objects.bulk_create(
            DossierAccess(user=user, dossier=dossier, role=role) for role in wanted - current
        )
        if current and not wanted:
            _tokens_follow_roles(user=user, firm=dossier.firm)
    return wanted


#: Which levels each level may grant: licence admins any, power users only clients.
GRANTABLE_LEVELS: dict[str, tuple[str, ...]] = {
    FirmLevel.LICENCE_ADMIN: tuple(FirmLevel.values),
    FirmLevel.POWER_USER: (FirmLevel.USER,),
}


def actor_staff_membership(*, actor: User, firm: Firm) -> FirmMembership:
    membership = firm_staff_membership(user=actor, firm_id=firm.pk)
    if membership is None:
        raise ServiceError(_("You cannot manage the users of this firm."), code="forbidden")
    return membership


def grantable_levels(*, actor: User, firm: Firm) -> tuple[str, ...]:
    membership = firm_staff_membership(user=actor, firm_id=firm.pk)
    return GRANTABLE_LEVELS.get(membership.level, ()) if membership else ()


def check_level(actor_membership: FirmMembership, level: str) -> None:
    if level not in FirmLevel.values:
        raise ServiceError(_("Choose a level."), code="level_invalid", field="level")
    if level not in GRANTABLE_LEVELS.get(actor_membership.level, ()):
        raise ServiceError(
            _("Only a licence admin can give this level."), code="level_forbidden", field="level"
        )


def check_can_manage(actor_membership: FirmMembership, membership: FirmMembership) -> None:
    """Staff members (and their invitations) are managed by licence admins only."""
    if membership.level != FirmLevel.USER and actor_membership.level != FirmLevel.LICENCE_ADMIN:
        raise ServiceError(
            _("Only a licence admin can change a staff member."), code="level_forbidden"
        )


def roles_apply(*, actor: User, firm: Firm, user: User, accesses: dict[Dossier, set[str]]) -> None:
    """Set the roles of ``user`` on each given dossier, with one audit event per change."""
    current: dict[int, set[str]] = {}
    for dossier_id, role in DossierAccess.objects.filter(
        user=user, dossier__in=list(accesses)
    ).values_list("dossier_id", "role"):
        current.setdefault(dossier_id, set()).add(role)
    for dossier, wanted in accesses.items():
        before = current.get(dossier.pk, set())
        if before == wanted:
            continue
        dossier_roles_set(dossier=dossier, user=user, roles=wanted)
        audit_record(
            firm=firm,
            actor=actor,
            action=AuditAction.ROLES_CHANGED,
            dossier=dossier,
            subject_user=user,
            before={"roles": sorted(before)},
            after={"roles": sorted(wanted)},
        )


def _tokens_follow_roles(*, user: User, firm: Firm) -> int:
    """Once the person has no role left in ``firm`` (no dossier role and not its staff), their
    tokens restricted to it are revoked; once they have none anywhere, their tokens with no
    firm too. The other firms' rows are read under the system scope (a yes or no)."""
    with db_scope.system():
        staff = FirmMembership.objects.staff().filter(user=user)
        roles = DossierAccess.objects.filter(user=user)
        in_firm = (
            is_firm_staff(user=user, firm_id=firm.pk) or roles.filter(dossier__firm=firm).exists()
        )
        anywhere = in_firm or staff.exists() or roles.exists()
    if anywhere and in_firm:
        return 0
    return api_tokens_revoke_for(
        user=user, because=TokenRevokedBecause.ROLES_REMOVED, firm=firm, firmless=not anywhere
    )


def dossier_role_add(*, actor: User, dossier: Dossier, user: User, role: str) -> None:
    """Give ``user`` one more role on ``dossier`` (recorded; nothing if they hold it)."""
    current = set(
        DossierAccess.objects.filter(user=user, dossier=dossier).values_list("role", flat=True)
    )
    roles_apply(actor=actor, firm=dossier.firm, user=user, accesses={dossier: current | {role}})


def identity_active_sync(user: User) -> None:
    """A person can log in while at least one firm keeps them active."""
    active = FirmMembership.objects.filter(user=user, is_active=True).exists()
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])


# --- The firm's two-factor rule ---------------------------------------------------------------


def firm_mfa_required_set(*, actor: User, firm: Firm, required: bool) -> Firm:
    """Make two-factor authentication mandatory (or not) for the firm's staff. Only a licence
    admin decides; the change is in the firm's audit trail."""
    with transaction.atomic():
        locked = Firm.objects.select_for_update().get(pk=firm.pk)
        actor_membership = actor_staff_membership(actor=actor, firm=locked)
        if actor_membership.level != FirmLevel.LICENCE_ADMIN:
            raise ServiceError(
                _("Only a licence admin can change this setting."), code="level_forbidden"
            )
        before = locked.mfa_required_for_staff
        if before != required:
            locked.mfa_required_for_staff = required
            locked.save(update_fields=["mfa_required_for_staff"])
            audit_record(
                firm=locked,
                actor=actor,
                action=AuditAction.FIRM_MFA_CHANGED,
                before={"mfa_required_for_staff": before},
                after={"mfa_required_for_staff": required},
            )
    firm.mfa_required_for_staff = required
    return firm


def api_token_revoke_by_firm(*, actor: User, firm: Firm, token: ApiToken) -> ApiToken:
    """The firm's staff revoke a token that reaches the firm's dossiers: one of a member's
    tokens with no firm or with this firm. Recorded in the firm's audit trail."""
    actor_staff_membership(actor=actor, firm=firm)
    reaches = (token.firm_id is None or token.firm_id == firm.pk) and (
        FirmMembership.objects.filter(user_id=token.user_id, firm=firm).exists()
    )
    if not reaches:
        raise ServiceError(_("This token does not reach your firm."), code="not_found")
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_because = TokenRevokedBecause.FIRM_STAFF
            locked.save(update_fields=["revoked_at", "revoked_because"])
            audit_record(
                firm=firm,
                actor=actor,
                action=AuditAction.API_TOKEN_REVOKED,
                subject_user=locked.user,
                after={"token": f"{locked.prefix}…", "name": locked.name},
            )
    return locked
