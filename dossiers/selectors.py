"""Reads of firms and dossiers. Each takes the acting user; a foreign id is a 404."""

from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from core import db_scope
from core.lookups import as_uuid, get_or_404
from dossiers.access import connect_dossiers, is_firm_staff, with_connect_roles
from dossiers.members import is_client_for, memberships_for
from dossiers.models import (
    VIEW_ROLES,
    ConnectionTest,
    Dossier,
    DossierQuerySet,
    Firm,
    FirmMembership,
)
from users.models import User

M = TypeVar("M", bound=Model)


def firm_list_for(*, actor: User) -> QuerySet[Firm]:
    """Firms the actor belongs to."""
    if not actor.is_authenticated or not actor.is_active:
        return Firm.objects.none()
    firm_ids = FirmMembership.objects.active().filter(user=actor).values("firm_id")
    return Firm.objects.filter(id__in=firm_ids).order_by("name")


def firm_staff_list_for(*, actor: User) -> QuerySet[Firm]:
    """Firms where the actor is staff (licence admin or power user)."""
    if not actor.is_authenticated or not actor.is_active:
        return Firm.objects.none()
    firm_ids = FirmMembership.objects.staff().filter(user=actor).values("firm_id")
    return Firm.objects.filter(id__in=firm_ids).order_by("name")


def firm_staff_get_for(*, actor: User, public_id: object) -> Firm:
    return get_or_404(firm_staff_list_for(actor=actor), public_id)


def dossier_list_for(*, actor: User) -> DossierQuerySet:
    """Every dossier the actor may see (staff: their firms' dossiers; others: their roles)."""
    return Dossier.objects.visible_to(actor).select_related("firm", "accountant")


def dossier_get_for(*, actor: User, public_id: object) -> Dossier:
    return get_or_404(dossier_list_for(actor=actor), public_id)


def dossier_staff_list_for(*, actor: User) -> DossierQuerySet:
    """Dossiers of the firms where the actor is staff (the Portal's dossier pages)."""
    staff_firms = firm_staff_list_for(actor=actor).values("id")
    return Dossier.objects.filter(firm_id__in=staff_firms).select_related("firm", "accountant")


def dossier_search_for(*, actor: User, firm: Firm, query: str = "") -> DossierQuerySet:
    """The Portal's dossier list of one firm, searched by code or name (staff only)."""
    dossiers = dossier_staff_list_for(actor=actor).filter(firm=firm).order_by("code")
    if query:
        dossiers = dossiers.filter(Q(code__icontains=query) | Q(name__icontains=query))
    return dossiers


def dossier_staff_get_for(*, actor: User, public_id: object) -> Dossier:
    return get_or_404(dossier_staff_list_for(actor=actor), public_id)


def dossier_connect_list_for(*, actor: User) -> DossierQuerySet:
    """Dossiers with Connect enabled where the actor holds a Connect role."""
    return connect_dossiers(actor).select_related("firm")


def dossier_connect_get_for(*, actor: User, public_id: object) -> Dossier:
    """One dossier in the actor's Connect reach (else 404), with the actor's Connect roles on
    it read in the same query (``connect_roles_for`` then asks nothing more)."""
    return get_or_404(with_connect_roles(dossier_connect_list_for(actor=actor), actor), public_id)


def dossier_connect_get_with_others_for(
    *, actor: User, public_id: object
) -> tuple[Dossier, list[Dossier]]:
    """``dossier_connect_get_for`` and the actor's other Connect dossiers (a page's dossier
    switch) in one query: every dossier in reach with the actor's roles on it; 404 when the
    one asked for is not among them."""
    wanted = as_uuid(public_id)
    dossiers = list(with_connect_roles(dossier_connect_list_for(actor=actor), actor))
    current = next((d for d in dossiers if d.public_id == wanted), None)
    if current is None:
        raise Http404
    return current, [d for d in dossiers if d.pk != current.pk]


def dossier_view_list_for(*, actor: User) -> DossierQuerySet:
    """Dossiers where the actor holds a View role."""
    return Dossier.objects.with_role(actor, VIEW_ROLES).select_related("firm")


def dossier_view_get_for(*, actor: User, public_id: object) -> Dossier:
    return get_or_404(dossier_view_list_for(actor=actor), public_id)


def connection_test_latest_for(*, actor: User, dossier: Dossier) -> ConnectionTest | None:
    """The latest connection test of a dossier, for the staff of its firm."""
    if not is_firm_staff(user=actor, firm_id=dossier.firm_id):
        return None
    return ConnectionTest.objects.filter(dossier=dossier).first()


def landing_url_for(*, actor: User, memberships: list[FirmMembership] | None = None) -> str:
    """Where a user lands after logging in: a client with exactly one Connect dossier in that
    dossier's Connect page; everyone else on the hub (always reachable from the menu). Read
    in the user's own row-level scope: right after a login the request still has the scope
    of the anonymous visitor it was."""
    with db_scope.scoped(db_scope.for_user(actor)):
        if memberships is None:
            memberships = memberships_for(actor=actor)
        if is_client_for(actor=actor, memberships=memberships):
            dossiers = list(dossier_connect_list_for(actor=actor).order_by("pk")[:2])
            if len(dossiers) == 1:
                return reverse("connect:dossier", kwargs={"dossier_id": dossiers[0].public_id})
    return reverse("portal:hub")
