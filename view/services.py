"""Writes of View's report switches: which reports a dossier, or every dossier of a firm, does
not show. A ``ReportSwitch`` row is a report switched off; no row, the report is shown."""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.audit import audit_record
from core.errors import ServiceError
from core.models import AuditAction
from dossiers.access import is_firm_staff
from dossiers.models import Dossier, Firm
from users.models import User
from view.firm_dashboard import report_dossiers_for
from view.models import ReportSwitch
from view.reports import REPORT_KEYS


def _may_switch(actor: User, *, dossier: Dossier | None, firm: Firm) -> bool:
    if dossier is not None:
        return report_dossiers_for(actor=actor).filter(pk=dossier.pk).exists()
    return is_firm_staff(user=actor, firm_id=firm.pk)


def reports_switch(
    *,
    actor: User,
    off: Iterable[str],
    dossier: Dossier | None = None,
    firm: Firm | None = None,
) -> set[str]:
    """Switch off exactly the reports ``off`` for ``dossier`` (its view.admin or its firm's
    staff), or, given ``firm`` alone, for every dossier of the firm (its staff); the others are
    switched back on. One audit event records the change, none when nothing changed. Returns
    the keys switched off from now on."""
    if (dossier is None) == (firm is None):
        raise TypeError("reports_switch takes a dossier or a firm")
    wanted = set(off)
    unknown = sorted(wanted - REPORT_KEYS)
    if unknown:
        raise ServiceError(
            _("Unknown report: %(keys)s.") % {"keys": ", ".join(unknown)},
            code="report_unknown",
        )
    owner = dossier.firm if dossier is not None else firm
    assert owner is not None  # noqa: S101 - one of the two is given (checked above)
    if not _may_switch(actor, dossier=dossier, firm=owner):
        raise ServiceError(
            _("You may not change the reports shown here."), code="forbidden", field=None
        )
    with transaction.atomic():
        # One change at a time per dossier (or firm): the row lock serialises two admins.
        if dossier is not None:
            Dossier.objects.select_for_update().filter(pk=dossier.pk).first()
            switches = ReportSwitch.objects.filter(firm=owner, dossier=dossier)
        else:
            Firm.objects.select_for_update().filter(pk=owner.pk).first()
            switches = ReportSwitch.objects.filter(firm=owner, dossier__isnull=True)
        before = set(switches.values_list("report", flat=True))
        if before == wanted:
            return wanted
        switches.filter(report__in=before - wanted).delete()
        ReportSwitch.objects.bulk_create(
            ReportSwitch(firm=owner, dossier=dossier, report=key, switched_by=actor)
            for key in sorted(wanted - before)
        )
        audit_record(
            firm=owner,
            actor=actor,
            action=AuditAction.REPORT_SWITCHED,
            dossier=dossier,
            before={"off": sorted(before)},
            after={"off": sorted(wanted)},
        )
    return wanted
