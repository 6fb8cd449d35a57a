"""View: a dossier's dashboard: its enabled reports, read from the dossier's monthly summaries
(``view.summaries``: two queries for all of them, a few hundred rows whatever the number of
documents) and presented (``view.report_data``). The headline tiles are in ``view.tiles``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dossiers.models import Dossier
from users.models import User
from view.period import Period
from view.queries.document_flow import documents_from, waiting_from
from view.queries.top_suppliers import top_suppliers_from
from view.queries.unpaid import unpaid_from
from view.queries.vat import vat_from
from view.report_data import (
    ReportData,
    documents_data,
    purchases_sales_data,
    top_suppliers_data,
    unpaid_data,
    vat_data,
    waiting_data,
)
from view.reports import Report, enabled_reports
from view.summaries import groups_for


def is_empty(reports: list[ReportData]) -> bool:
    """No report has a figure for the period: the page says so once, not once per report."""
    return bool(reports) and not any(data.rows for data in reports)


Rows = Callable[[dict[str, list[dict[str, Any]]], Period], list[dict[str, Any]]]
Present = Callable[[Report, list[dict[str, Any]], Period], ReportData]

#: Per report: the summary family it reads, its rows from the family's groups, its builder.
READS: dict[str, tuple[str, Rows, Present]] = {
    "purchases_sales": (
        "purchases_sales",
        lambda groups, period: groups["purchases_sales"],
        purchases_sales_data,
    ),
    "top_suppliers": (
        "suppliers",
        lambda groups, period: top_suppliers_from(groups["suppliers"]),
        top_suppliers_data,
    ),
    "unpaid": ("unpaid", lambda groups, period: unpaid_from(groups["unpaid"]), unpaid_data),
    "vat": ("vat", lambda groups, period: vat_from(groups["vat"]), vat_data),
    "documents": (
        "flow",
        lambda groups, period: documents_from(groups["flow"]),
        documents_data,
    ),
    "waiting": (
        "flow",
        lambda groups, period: waiting_from(groups["flow"]),
        waiting_data,
    ),
}


def _build(reports: list[Report], dossier: Dossier, period: Period) -> list[ReportData]:
    """The reports' figures from the dossier's monthly summaries (``view.summaries``): two
    queries for every report (the suppliers summed by the database, the other groups read per
    month), whatever the number of documents, plus an indexed read of the documents of a month
    the period cuts."""
    groups = groups_for(dossier.pk, period, [READS[report.key][0] for report in reports])
    built = []
    for report in reports:
        _family, rows, present = READS[report.key]
        built.append(present(report, rows(groups, period), period))
    return built


def dashboard_for(*, actor: User, dossier: Dossier, period: Period) -> list[ReportData]:
    """The dossier's enabled reports with their figures. ``dossier`` comes from
    ``dossier_view_get_for(actor=actor, ...)``: the actor holds a View role on it."""
    return _build(enabled_reports(dossier), dossier, period)


def enabled_report_for(*, actor: User, dossier: Dossier, key: str) -> Report | None:
    """The report ``key`` if the dossier shows it; None when it is unknown or switched off."""
    return next((report for report in enabled_reports(dossier) if report.key == key), None)


def report_data_for(*, actor: User, dossier: Dossier, report: Report, period: Period) -> ReportData:
    """The figures of one report (from ``enabled_report_for``)."""
    return _build([report], dossier, period)[0]
