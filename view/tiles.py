"""View: the headline tiles above a dossier's reports (unpaid, due this week, VAT of the period):
sums of the rows of the unpaid and VAT reports, no query of their own, and gone with their
report when it is switched off."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from view.queries.common import (
    ZERO,
)
from view.report_data import ReportData


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str

    @property
    def size(self) -> Decimal:
        """The amount without its sign (a balance says "to pay" or "to recover" instead)."""
        return abs(self.value)


@dataclass(frozen=True)
class Tile:
    """One headline figure: amounts (one per currency, at least one), a count of invoices
    (None when it does not apply) and the report it sums up."""

    key: str
    report: str
    amounts: list[Amount]
    invoices: int | None = None
    #: The VAT tile: VAT on sales (due) and on purchases (deductible), per currency.
    due: list[Amount] = field(default_factory=list)
    deductible: list[Amount] = field(default_factory=list)
    #: The unpaid tile: how much of it is overdue.
    overdue: list[Amount] = field(default_factory=list)
    overdue_invoices: int = 0


def _per_currency(rows: list[dict[str, Any]], value: str = "total") -> list[Amount]:
    sums: dict[str, Decimal] = {}
    for row in rows:
        sums[row["currency"]] = sums.get(row["currency"], ZERO) + row[value]
    return [Amount(sums[currency], currency) for currency in sorted(sums)] or [Amount(ZERO, "EUR")]


def headline(reports: list[ReportData]) -> list[Tile]:
    """The headline tiles, from the rows of the reports the dossier shows: unpaid and due this
    week (the unpaid report), and the VAT of the period (the VAT report). A report switched off
    takes its tiles with it."""
    found = {data.key: data.rows for data in reports}
    tiles = []
    if "unpaid" in found:
        rows = found["unpaid"]
        overdue = [row for row in rows if row["bucket"] == "overdue"]
        week = [row for row in rows if row["bucket"] == "week"]
        tiles.append(
            Tile(
                "unpaid",
                "unpaid",
                _per_currency(rows),
                sum(row["invoices"] for row in rows),
                overdue=_per_currency(overdue) if overdue else [],
                overdue_invoices=sum(row["invoices"] for row in overdue),
            )
        )
        tiles.append(Tile("week", "unpaid", _per_currency(week), sum(r["invoices"] for r in week)))
    if "vat" in found:
        rows = found["vat"]
        sales = [row for row in rows if row["direction"] == "sales"]
        purchases = [row for row in rows if row["direction"] == "purchases"]
        balance = [
            {**row, "vat": row["vat"] if row["direction"] == "sales" else -row["vat"]}
            for row in rows
        ]
        tiles.append(
            Tile(
                "vat",
                "vat",
                _per_currency(balance, "vat"),
                due=_per_currency(sales, "vat"),
                deductible=_per_currency(purchases, "vat"),
            )
        )
    return tiles
