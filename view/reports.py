"""The reports of View, by section: one registry that the dashboards, the JSON and CSV
endpoints and the report switches all read. A report a dossier has switched off (or the whole
firm) is neither shown nor served."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dossiers.models import Dossier
from view.models import ReportSwitch


@dataclass(frozen=True)
class Report:
    key: str
    section: str
    title: str | Promise


SECTIONS: dict[str, str | Promise] = {
    "activity": _("Purchases and sales"),
    "payables": _("Payments"),
    "vat": _("VAT"),
    "documents": _("Documents"),
}

#: The dossier dashboard's reports, in the order they are shown.
REPORTS: tuple[Report, ...] = (
    Report("purchases_sales", "activity", _("Purchases and sales per month")),
    Report("top_suppliers", "activity", _("Top suppliers")),
    Report("unpaid", "payables", _("Unpaid invoices by due date")),
    Report("vat", "vat", _("VAT per period")),
    Report("documents", "documents", _("Documents per category and channel")),
    Report("waiting", "documents", _("Time from sending to retrieval and booking")),
)
REPORT_KEYS = frozenset(report.key for report in REPORTS)


def enabled_reports(dossier: Dossier) -> list[Report]:
    """The reports this dossier shows: none switched off for it or for its whole firm."""
    off = set(
        ReportSwitch.objects.filter(firm_id=dossier.firm_id)
        .filter(dossier__isnull=True)
        .values_list("report", flat=True)
    ) | set(ReportSwitch.objects.filter(dossier=dossier).values_list("report", flat=True))
    return [report for report in REPORTS if report.key not in off]


def sections_of(reports: list[Report]) -> list[tuple[str, str | Promise, list[Report]]]:
    """The sections that still hold a report (a section whose reports are all off vanishes)."""
    return [
        (key, title, [r for r in reports if r.section == key])
        for key, title in SECTIONS.items()
        if any(r.section == key for r in reports)
    ]
