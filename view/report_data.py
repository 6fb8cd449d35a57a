"""View: a report's figures as the page, the JSON and the CSV show them: columns, labels and chart
series (``ReportData``), one builder per report from the rows its read returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from html import escape
from typing import Any

from django.utils import formats
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from connect.models import Category, Source
from core.csv import csv_cell, plain_text
from core.numbers import grouped, money
from view.period import Period
from view.queries.unpaid import UNPAID_BUCKETS
from view.reports import Report

#: Columns whose values align right.
NUMERIC_KINDS = frozenset({"amount", "count", "duration"})


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    kind: str = "text"  # text, month, quarter, amount, count, duration (hours)
    #: The CSV's header when it must say more than the page (a duration's unit).
    csv_label: str | Promise | None = None

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass
class Chart:
    labels: list[str]
    datasets: list[dict[str, Any]]
    horizontal: bool = False
    stacked: bool = False
    title: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "type": "bar",
            "horizontal": self.horizontal,
            "stacked": self.stacked,
            "title": self.title,
            "labels": self.labels,
            "datasets": self.datasets,
        }


@dataclass
class ReportData:
    report: Report
    columns: list[Column]
    rows: list[dict[str, Any]]
    charts: list[Chart] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.report.key

    def table(self) -> list[list[str]]:
        """The rows as the page shows them (localised dates and numbers)."""
        return [
            [_display(column.kind, row[column.key]) for column in self.columns] for row in self.rows
        ]

    def body(self) -> SafeString:
        """The table's rows as HTML, built in one pass: a dashboard's tables hold hundreds of
        cells, which the template language would walk one lookup at a time. The first cell
        of a row heads it; the others carry their column's label (a phone shows it beside
        the value) and numbers align right."""
        heads = [
            (
                escape(str(column.label)),
                ' class="num"' if column.numeric else "",
            )
            for column in self.columns
        ]
        # Each cell's opening tag, written once (``html.escape``: what Django's ``escape``
        # does, without its lazy-text wrapper on each of a page's thousand cells).
        openings = [f'<td data-label="{label}"{align}>' for label, align in heads[1:]]
        kinds = [(column.kind, column.key) for column in self.columns]
        first_kind, first_key = kinds[0]
        rest = list(zip(openings, kinds[1:], strict=True))
        rows = []
        for row in self.rows:
            head = escape(_display(first_kind, row[first_key]))
            cells = "".join(
                f"{opening}{escape(_display(kind, row[key]))}</td>" for opening, (kind, key) in rest
            )
            rows.append(f'<tr><th scope="row">{head}</th>{cells}</tr>')
        return mark_safe("\n".join(rows))  # noqa: S308 - every value escaped above

    def csv_rows(self) -> list[list[str]]:
        """A header of the columns' labels, then the plain values (ISO months, dot decimals)."""
        header = [str(column.csv_label or column.label) for column in self.columns]
        return [header] + [
            [csv_cell(column.kind, row[column.key]) for column in self.columns] for row in self.rows
        ]

    def as_json(self, period: Period) -> dict[str, Any]:
        return {
            "report": self.key,
            "title": str(self.report.title),
            "period": period.as_query(),
            "columns": [
                {"key": c.key, "label": str(c.label), "kind": c.kind} for c in self.columns
            ],
            "rows": [{key: _json_value(value) for key, value in row.items()} for row in self.rows],
            "charts": [chart.as_json() for chart in self.charts],
        }


def _month_label(month: date) -> str:
    return _month_label_in(month, get_language())


@lru_cache(maxsize=1024)
def _month_label_in(month: date, language: str | None) -> str:
    """A month in words in ``language`` (the active one), remembered: a dashboard names the
    same twelve months on hundreds of rows."""
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def _quarter_label(quarter: date) -> str:
    return gettext("Q%(quarter)s %(year)s") % {
        "quarter": (quarter.month - 1) // 3 + 1,
        "year": quarter.year,
    }


def _display(kind: str, value: Any) -> str:
    """A value as the page shows it: "—" for none (never "None" or "NULL"), months and
    quarters in words, numbers in the reader's format (``|money`` for amounts)."""
    if value is None or value == "" or (kind == "text" and not plain_text(value)):
        return "—"
    if kind == "month":
        return _month_label(value)
    if kind == "quarter":
        return _quarter_label(value)
    if kind == "amount":
        return money(value)
    if kind == "count":
        return grouped(value, 0)
    if kind == "duration":
        return duration(value)
    return str(value)


def duration(hours: Decimal) -> str:
    """A wait in words: minutes under an hour, hours under two days, else days."""
    if hours < 1:
        return gettext("%(minutes)s min") % {"minutes": int(hours * 60)}
    if hours < 48:
        return gettext("%(hours)s h") % {"hours": formats.number_format(hours, 1, use_l10n=True)}
    return gettext("%(days)s days") % {
        "days": formats.number_format((hours / 24).quantize(Decimal("0.1")), 1, use_l10n=True)
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Promise):
        return str(value)
    return value


def _series(
    labels: list[Any], rows: list[dict[str, Any]], by: str, value: str, where: dict[str, Any]
) -> list[float]:
    sums = dict.fromkeys(labels, 0.0)
    for row in rows:
        if all(row[k] == v for k, v in where.items()) and row[by] in sums:
            sums[row[by]] += float(row[value])
    return [sums[label] for label in labels]


def _currencies(rows: list[dict[str, Any]]) -> list[str]:
    return sorted({row["currency"] for row in rows})


def purchases_sales_data(report: Report, rows: list[dict[str, Any]], period: Period) -> ReportData:
    months = period.months()
    datasets = []
    for currency in _currencies(rows):
        for key, label in (("purchases", gettext("Purchases")), ("sales", gettext("Sales"))):
            datasets.append(
                {
                    "label": f"{label} ({currency})",
                    "data": _series(months, rows, "month", key, {"currency": currency}),
                }
            )
    return ReportData(
        report,
        [
            Column("month", _("Month"), "month"),
            Column("currency", _("Currency")),
            Column("purchases", _("Purchases"), "amount"),
            Column("sales", _("Sales"), "amount"),
            Column("invoices", _("Invoices"), "count"),
            Column("without_amount", _("Invoices without amount"), "count"),
        ],
        rows,
        [Chart([_month_label(m) for m in months], datasets)],
    )


def _short(name: str, length: int = 30) -> str:
    """A name short enough for a chart's axis (the table beside it gives it whole)."""
    return name if len(name) <= length else name[: length - 1].rstrip() + "…"


def top_suppliers_data(report: Report, rows: list[dict[str, Any]], period: Period) -> ReportData:
    return ReportData(
        report,
        [
            Column("supplier", _("Supplier")),
            Column("vat", _("VAT number")),
            Column("currency", _("Currency")),
            Column("invoices", _("Invoices"), "count"),
            Column("total", _("Total"), "amount"),
        ],
        rows,
        [
            Chart(
                [f"{_short(row['supplier'])} ({row['currency']})" for row in rows],
                [{"label": gettext("Total"), "data": [float(row["total"]) for row in rows]}],
                horizontal=True,
            )
        ],
    )


def unpaid_data(report: Report, rows: list[dict[str, Any]], period: Period) -> ReportData:
    labels = dict(UNPAID_BUCKETS)
    for row in rows:
        row["bucket_label"] = str(labels[row["bucket"]])
    keys = [key for key, _label in UNPAID_BUCKETS]
    return ReportData(
        report,
        [
            Column("bucket_label", _("Due")),
            Column("currency", _("Currency")),
            Column("invoices", _("Invoices"), "count"),
            Column("total", _("Amount"), "amount"),
        ],
        rows,
        [
            Chart(
                [str(label) for _key, label in UNPAID_BUCKETS],
                [
                    {
                        "label": currency,
                        "data": _series(keys, rows, "bucket", "total", {"currency": currency}),
                    }
                    for currency in _currencies(rows)
                ],
            )
        ],
    )


def vat_data(report: Report, rows: list[dict[str, Any]], period: Period) -> ReportData:
    directions = {
        "purchases": gettext("VAT on purchases (deductible)"),
        "sales": gettext("VAT on sales (due)"),
    }
    for row in rows:
        row["direction_label"] = directions[row["direction"]]
        row["rate_label"] = (
            gettext("Not broken down")
            if row["rate"] is None
            else gettext("%(rate)s %%")
            % {"rate": formats.number_format(row["rate"], use_l10n=True)}
        )
    quarters = period.quarters()
    datasets = [
        {
            "label": f"{label} ({currency})",
            "data": _series(
                quarters, rows, "quarter", "vat", {"currency": currency, "direction": direction}
            ),
        }
        for currency in _currencies(rows)
        for direction, label in directions.items()
    ]
    return ReportData(
        report,
        [
            Column("quarter", _("Quarter"), "quarter"),
            Column("currency", _("Currency")),
            Column("direction_label", _("VAT")),
            Column("rate_label", _("Rate")),
            Column("taxable", _("Taxable amount"), "amount"),
            Column("vat", _("VAT amount"), "amount"),
        ],
        rows,
        [Chart([_quarter_label(q) for q in quarters], datasets)],
    )


def documents_data(report: Report, rows: list[dict[str, Any]], period: Period) -> ReportData:
    categories, channels = dict(Category.choices), dict(Source.choices)
    for row in rows:
        row["category_label"] = str(categories.get(row["category"], row["category"]))
        row["channel_label"] = str(channels.get(row["channel"], row["channel"]))
    months = period.months()
    month_labels = [_month_label(m) for m in months]

    def stacked(by: str, names: dict[str, Any], title: str) -> Chart:
        present = [key for key in names if any(row[by] == key for row in rows)]
        return Chart(
            month_labels,
            [
                {
                    "label": str(names[key]),
                    "data": _series(months, rows, "month", "documents", {by: key}),
                }
                for key in present
            ],
            stacked=True,
            title=title,
        )

    return ReportData(
        report,
        [
            Column("month", _("Month"), "month"),
            Column("category_label", _("Category")),
            Column("channel_label", _("Channel")),
            Column("documents", _("Documents"), "count"),
        ],
        rows,
        [
            stacked("category", categories, gettext("Per category")),
            stacked("channel", channels, gettext("Per channel")),
        ],
    )


def _hours(seconds: float | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / 3600).quantize(Decimal("0.1"))


def waiting_data(report: Report, rows: list[dict[str, Any]], period: Period) -> ReportData:
    """Per step (until retrieval, until booking): the documents taken, the median and the
    90th percentile of their waits in hours (the page says hours or days), and those still
    waiting."""
    labels = {"retrieval": gettext("Until retrieval"), "booking": gettext("Until booking")}
    shown = [
        {
            "step_label": labels[row["step"]],
            "documents": row["documents"],
            "median": _hours(row["median"]),
            "p90": _hours(row["p90"]),
            "waiting": row["waiting"],
        }
        for row in rows
    ]
    return ReportData(
        report,
        [
            Column("step_label", _("Step")),
            Column("documents", _("Documents done"), "count"),
            Column("median", _("Median"), "duration", _("Median (hours)")),
            Column("p90", _("90 % within"), "duration", _("90 % within (hours)")),
            Column("waiting", _("Still waiting"), "count"),
        ],
        shown,
        [
            Chart(
                [row["step_label"] for row in shown],
                [
                    {
                        "label": gettext("Median (hours)"),
                        "data": [float(r["median"] or 0) for r in shown],
                    },
                    {
                        "label": gettext("90 % within (hours)"),
                        "data": [float(r["p90"] or 0) for r in shown],
                    },
                ],
            )
        ],
    )
