"""Reads about users, their memberships and roles. Each takes the acting user."""

from collections import defaultdict

from users.models import DossierAccess, FirmMembership, User


def memberships_for(*, actor: User) -> list[FirmMembership]:
    """The actor's own memberships, with their firms."""
    if not actor.is_authenticated:
        return []
    return list(FirmMembership.objects.active().filter(user=actor).select_related("firm"))


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
