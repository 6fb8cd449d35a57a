"""The one tenancy door: who may act where, one function per question, for every app.

- ``is_firm_staff`` / ``firm_staff_membership``: is this person active staff of this firm.
- ``connect_dossiers`` / ``in_connect_reach``: the dossiers in an actor's Connect reach, and any
  queryset of rows carrying a dossier key narrowed to them (a foreign id is a missing id).
- ``connect_roles_for`` / ``require_connect_role``: the actor's Connect roles on one dossier
  (None out of reach), and the guard of the services (``ServiceError``, code ``forbidden``).
- ``dossier_users`` / ``dossier_users_by_role``: who is in a dossier (active users, still
  active members of its firm, holding one of the given roles on it).

Each answers in one query. The application's scoping follows ``settings.PORTAL_APP_SCOPING``
through ``DossierQuerySet.with_role``; PostgreSQL's row-level security is the second wall
(docs/tenancy.md)."""

from collections import defaultdict
from collections.abc import Collection
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.utils.functional import Promise

from core.errors import ServiceError
from core.prepared import PreparedRead
from dossiers.models import (
    CONNECT_ROLES,
    Dossier,
    DossierAccess,
    DossierQuerySet,
    FirmMembership,
    Role,
)
from users.models import User

Rows = TypeVar("Rows", bound=QuerySet[Any])


# --- the firm's staff -------------------------------------------------------------------------


def firm_staff_membership(*, user: User, firm_id: int) -> FirmMembership | None:
    """The person's membership of the firm when they are its active staff (licence admin or
    power user, membership and identity active); otherwise None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return FirmMembership.objects.staff().filter(user=user, firm_id=firm_id).first()


def is_firm_staff(*, user: User, firm_id: int) -> bool:
    """Whether the person is active staff of the firm."""
    if not getattr(user, "is_authenticated", False):
        return False
    return FirmMembership.objects.staff().filter(user=user, firm_id=firm_id).exists()


# --- Connect's reach --------------------------------------------------------------------------


def connect_dossiers(actor: User) -> DossierQuerySet:
    """The dossiers with Connect on where the actor holds a Connect role, in a firm they still
    belong to (an active identity)."""
    return Dossier.objects.with_role(actor, CONNECT_ROLES).filter(connect_enabled=True)


def in_connect_reach(queryset: Rows, actor: User, field: str = "dossier") -> Rows:
    """``queryset`` (rows whose ``field`` is a dossier key) narrowed to the dossiers in the
    actor's Connect reach: one ``IN`` subquery, no join, no extra query."""
    return queryset.filter(**{f"{field}__in": connect_dossiers(actor).values("id")})


def _connect_roles_annotations(actor: User, dossier_key: str) -> dict[str, Exists]:
    """Whether the actor is an active member of the dossier's firm and holds each Connect role
    on it (``dossier_key``: the path to the dossier from the rows annotated)."""
    firm_key = f"{dossier_key}__firm_id" if dossier_key else "firm_id"
    pk_key = f"{dossier_key}_id" if dossier_key else "pk"
    member = FirmMembership.objects.active().filter(user=actor, firm_id=OuterRef(firm_key))
    return {
        SEEN_MEMBER: Exists(member),
        **{
            f"{SEEN_HOLDS}{index}": Exists(
                DossierAccess.objects.filter(user=actor, dossier_id=OuterRef(pk_key), role=role)
            )
            for index, role in enumerate(CONNECT_ROLES)
        },
    }


#: The annotations ``with_connect_roles`` puts on each row (read back by ``connect_roles_for``).
SEEN_MEMBER = "portal_connect_member"
SEEN_HOLDS = "portal_connect_holds_"
SEEN_ACTOR = "portal_connect_roles_actor"


def _roles(is_member: bool, holds: list[bool]) -> frozenset[str]:
    return frozenset(
        role for role, holds_it in zip(CONNECT_ROLES, holds, strict=True) if holds_it and is_member
    )


def with_connect_roles(queryset: Rows, actor: User, dossier_key: str = "") -> Rows:
    """``queryset`` (rows in the actor's Connect reach: dossiers, or rows reaching a dossier
    through ``dossier_key``) with the actor's Connect roles on that dossier read in the same
    query, for ``connect_roles_for`` to answer without one. What it reads lives as long as the
    row object: a request's own fetch, never a cache across requests. The services' guard
    (``require_connect_role``) asks the database again."""
    if not getattr(actor, "is_authenticated", False):
        return queryset
    return queryset.annotate(
        **{SEEN_ACTOR: Value(actor.pk)}, **_connect_roles_annotations(actor, dossier_key)
    )


def carry_connect_roles(row: Any, dossier: Dossier) -> None:
    """Put the roles ``with_connect_roles(..., dossier_key=...)`` read on ``row`` onto the
    row's ``dossier`` object, where ``connect_roles_for`` looks for them."""
    for name in (SEEN_ACTOR, SEEN_MEMBER, *_holds_names()):
        if hasattr(row, name):
            setattr(dossier, name, getattr(row, name))


def _holds_names() -> list[str]:
    return [f"{SEEN_HOLDS}{index}" for index in range(len(CONNECT_ROLES))]


def _seen_connect_roles(actor: User, dossier: Dossier) -> tuple[bool, frozenset[str] | None]:
    """Whether ``with_connect_roles`` read the actor's roles on ``dossier``, and what
    ``connect_roles_for`` answers from them (the same rules as its query)."""
    if getattr(dossier, SEEN_ACTOR, None) != actor.pk:
        return False, None
    is_member = getattr(dossier, SEEN_MEMBER)
    holds = [getattr(dossier, name) for name in _holds_names()]
    in_reach = (
        actor.is_active
        and dossier.connect_enabled
        and (not settings.PORTAL_APP_SCOPING or (is_member and any(holds)))
    )
    return True, _roles(is_member, holds) if in_reach else None


def connect_roles_for(
    *, actor: User, dossier: Dossier, fresh: bool = False
) -> frozenset[str] | None:
    """The actor's Connect roles on ``dossier``, or None when it is out of their Connect reach
    (Connect off, no Connect role, membership of its firm ended, identity deactivated). One
    query, none when the dossier was fetched in reach with its roles (``with_connect_roles``,
    for this actor) unless ``fresh``."""
    if not getattr(actor, "is_authenticated", False):
        return None
    if not fresh:
        seen, roles = _seen_connect_roles(actor, dossier)
        if seen:
            return roles
    if not actor.is_active:
        return None  # ``with_role``'s own rule, for an identity deactivated in this request
    rows = _ROLES.rows(actor.pk, dossier.pk)
    if not rows:
        return None
    return _roles(rows[0][SEEN_MEMBER], [rows[0][name] for name in _holds_names()])


def _roles_query(actor_id: int, dossier_id: int) -> QuerySet[Any]:
    """The actor's membership and Connect roles on the dossier, when it is in their reach."""
    actor = User(pk=actor_id, is_active=True)  # only its key reaches the SQL
    return (
        connect_dossiers(actor)
        .filter(pk=dossier_id)
        .annotate(**_connect_roles_annotations(actor, ""))
        .values(SEEN_MEMBER, *_holds_names())
    )


#: Asked by every service's guard (``require_connect_role``), several times a request: built
#: and compiled once per process (``core.prepared``).
_ROLES = PreparedRead.of_keys(Dossier, _roles_query, 2)


def require_connect_role(
    *, actor: User, dossier: Dossier, message: str | Promise, roles: Collection[str] = ()
) -> frozenset[str]:
    """The guard of Connect's services: the actor's Connect roles on ``dossier`` when it is in
    their reach and they hold one of ``roles`` (none given: any, which the reach means);
    otherwise ``ServiceError(message, code="forbidden")``. One query."""
    held = connect_roles_for(actor=actor, dossier=dossier, fresh=True)
    if held is None or (roles and not held.intersection(roles)):
        raise ServiceError(message, code="forbidden")
    return held


# --- who is in a dossier ----------------------------------------------------------------------


def dossier_users(*, dossier: Dossier, roles: Collection[str] = CONNECT_ROLES) -> QuerySet[User]:
    """The users of ``dossier`` holding one of ``roles``: active identities, still active
    members of its firm. Not scoped to an actor: for recipients, assignees and the firm's
    pages, which check their actor first."""
    holders = DossierAccess.objects.filter(dossier=dossier, role__in=roles).values("user_id")
    members = FirmMembership.objects.active().filter(firm_id=dossier.firm_id).values("user_id")
    return User.objects.filter(is_active=True, id__in=holders).filter(id__in=members)


def dossier_users_by_role(
    *, dossier: Dossier, roles: Collection[str] = tuple(Role.values)
) -> dict[str, list[User]]:
    """``dossier_users`` by role, each list by WinBooksID (one query)."""
    accesses = (
        DossierAccess.objects.filter(
            dossier=dossier,
            role__in=roles,
            user__in=dossier_users(dossier=dossier, roles=roles),
        )
        .select_related("user")
        .order_by("user__email")
    )
    by_role: dict[str, list[User]] = defaultdict(list)
    for access in accesses:
        by_role[access.role].append(access.user)
    return dict(by_role)
