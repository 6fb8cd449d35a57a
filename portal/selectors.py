"""Reads for the portal shell: the tools hub."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import AuditEvent
from dossiers.access import is_firm_staff
from dossiers.members import memberships_for
from dossiers.models import Dossier, Firm, FirmMembership
from dossiers.selectors import dossier_connect_list_for, dossier_view_list_for
from users.models import User


@dataclass(frozen=True)
class Tool:
    key: str
    name: str | Promise
    description: str | Promise
    url: str
    external: bool = False
    firm_name: str = ""


def tools_for(*, actor: User, memberships: list[FirmMembership] | None = None) -> list[Tool]:
    """The digital tools the actor may open, in the hub's order."""
    if not actor.is_authenticated or not actor.is_active:
        return []
    if memberships is None:
        memberships = memberships_for(actor=actor)
    several_firms = len(memberships) > 1
    tools: list[Tool] = []
    for membership in memberships:
        firm = membership.firm
        suffix = firm.name if several_firms else ""
        if firm.accounting_url and membership.is_staff_level:
            tools.append(
                Tool(
                    "accounting",
                    pgettext_lazy("tool", "Accounting"),
                    _("The firm's accounting software."),
                    firm.accounting_url,
                    external=True,
                    firm_name=suffix,
                )
            )
        if firm.onweb_url:
            tools.append(
                Tool(
                    "onweb",
                    pgettext_lazy("tool", "On Web"),
                    _("Consult the accounts online."),
                    firm.onweb_url,
                    external=True,
                    firm_name=suffix,
                )
            )
    if dossier_connect_list_for(actor=actor).exists():
        tools.append(
            Tool(
                "connect",
                pgettext_lazy("tool", "Connect"),
                _("Exchange invoices and documents between the company and the firm."),
                reverse("connect:home"),
            )
        )
    if any(m.is_staff_level for m in memberships):
        tools.append(
            Tool(
                "portal",
                pgettext_lazy("tool", "Portal"),
                _("Users, dossiers, roles and the settings of the digital tools."),
                reverse("portal:portal"),
            )
        )
    if dossier_view_list_for(actor=actor).exists():
        tools.append(
            Tool(
                "view",
                pgettext_lazy("tool", "View"),
                _("Dashboards drawn from the dossier's documents."),
                reverse("portal:view"),
            )
        )
    return tools


def audit_list_for(
    *,
    actor: User,
    firm: Firm,
    dossier: Dossier | None = None,
    user: User | None = None,
    limit: int = 50,
) -> list[AuditEvent]:
    """The latest audit events of a dossier or of a user, for the firm's staff."""
    if not is_firm_staff(user=actor, firm_id=firm.pk):
        return []
    events = AuditEvent.objects.filter(firm=firm)
    if dossier is not None:
        events = events.filter(dossier=dossier)
    if user is not None:
        events = events.filter(subject_user=user)
    return list(events.select_related("actor", "dossier", "subject_user")[:limit])
