"""View: a dossier's dashboard: its enabled reports, each read (``view.queries``) and presented
(``view.report_data``) in a fixed number of queries, one per report (the VAT report two; the
documents and waiting reports share one), so a dossier with 100,000 documents costs as many
queries as one with five. The headline tiles are in ``view.tiles``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dossiers.models import Dossier
from users.models import User
from view.period import Period
from view.queries.document_flow import document_flow, documents, waiting
from view.queries.purchases_sales import purchases_sales
from view.queries.top_suppliers import top_suppliers
from view.queries.unpaid import unpaid
from view.queries.vat import vat
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


def is_empty(reports: list[ReportData]) -> bool:
    """No report has a figure for the period: the page says so once, not once per report."""
    return bool(reports) and not any(data.rows for data in reports)


Read = Callable[[Dossier, Period], list[dict[str, Any]]]
Present = Callable[[Report, list[dict[str, Any]], Period], ReportData]

READS: dict[str, tuple[Read, Present]] = {
    "purchases_sales": (purchases_sales, purchases_sales_data),
    "top_suppliers": (top_suppliers, top_suppliers_data),
    "unpaid": (unpaid, unpaid_data),
    "vat": (vat, vat_data),
    "documents": (documents, documents_data),
    "waiting": (waiting, waiting_data),
}


def _build(
    report: Report, dossier: Dossier, period: Period, shared: dict[str, Any] | None = None
) -> ReportData:
    """One report's figures. ``shared`` keeps the document flow for the two reports drawn
    from it, so a page showing both reads it once."""
    read, present = READS[report.key]
    if report.key in ("documents", "waiting"):
        shared = {} if shared is None else shared
        if "flow" not in shared:
            shared["flow"] = document_flow(dossier, period)
        flow = shared["flow"]
        rows = (
            documents(dossier, period, flow)
            if report.key == "documents"
            else (waiting(dossier, period, flow))
        )
        return present(report, rows, period)
    return present(report, read(dossier, period), period)


def dashboard_for(*, actor: User, dossier: Dossier, period: Period) -> list[ReportData]:
    """The dossier's enabled reports with their figures, in a fixed number of queries (one
    per report, one for the documents and waiting reports together). ``dossier`` comes from
    ``dossier_view_get_for(actor=actor, ...)``: the actor holds a View role on it."""
    shared: dict[str, Any] = {}
    return [_build(report, dossier, period, shared) for report in enabled_reports(dossier)]


def enabled_report_for(*, actor: User, dossier: Dossier, key: str) -> Report | None:
    """The report ``key`` if the dossier shows it; None when it is unknown or switched off."""
    return next((report for report in enabled_reports(dossier) if report.key == key), None)


def report_data_for(*, actor: User, dossier: Dossier, report: Report, period: Period) -> ReportData:
    """The figures of one report (from ``enabled_report_for``)."""
    return _build(report, dossier, period)
