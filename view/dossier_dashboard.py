"""View: the figures of a dossier's dashboard, each read with one aggregate query (the VAT
report with two), so a dossier with 100,000 documents costs as many queries as one with five.

Which documents count
  Only documents that left the client's desk: a draft is private (``status`` draft never
  counts). The money reports (purchases and sales, top suppliers, unpaid, VAT) also leave out
  what the accountant rejected (it went back to the desk), what the accountant shared into the
  client's binders, and a document recognised as a duplicate of an earlier one (the same
  invoice received twice: by e-mail and by Peppol). Purchases are purchase invoices, expenses
  and credit notes; a credit note counts **negative** (a credit note a client uploads is one
  received from a supplier; its UBL totals are positive, so its amount is subtracted). Sales
  are sales invoices.

Which amount and which day
  An invoice's amount is what the invoice says (``recognized.total_incl_vat``; for unpaid
  invoices ``payable_amount`` first), else the amount the client typed. Its currency is the
  invoice's, else the document's. Its day is the invoice date (``recognized.issue_date``),
  else the day it was sent; the period and the months/quarters of the money reports use it.
  Unpaid invoices are those of the period still marked unpaid, by due date (the client's,
  else the invoice's) relative to today. Documents per category and channel, and the waiting
  times, use the day a document was sent (shared by the accountant: the day it was shared).

Who the supplier is
  Its VAT number when one was read, else its name when it was read with confidence, both
  compared normalised (``view.suppliers``): "BE 0123.456.789" is "BE0123456789", "Meunerie
  Dupont SA" is "MEUNERIE DUPONT"; two names that differ are two suppliers. The header of a till
  receipt ("TICKET DE CAISSE", the first words of a page guessed with little confidence) names
  nobody: such purchases are summed on one row "Without supplier". A JSON ``null`` in the facts
  is no value on every database (SQLite would read it as the text "null").

Headline figures
  The tiles above the reports (unpaid, due this week, VAT of the period) are sums of the rows of
  the unpaid and VAT reports: no query of their own, and gone with their report when it is
  switched off.

The reads return plain rows (dicts of dates, Decimals, ints and strings); ``ReportData`` adds
the columns, the labels and the chart series that the page, the JSON and the CSV share."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    Expression,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import (
    Abs,
    Cast,
    Coalesce,
    NullIf,
    Trim,
    TruncDate,
    TruncMonth,
    TruncQuarter,
    Upper,
)
from django.db.models.lookups import Regex
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from connect.documents.selectors import left_the_desk
from connect.models import Category, Document, Source, Status
from core.csv import csv_cell, plain_text
from core.numbers import money
from dossiers.models import Dossier
from users.models import User
from view.reports import Report, enabled_reports
from view.suppliers import name_key, vat_key

MONEY = DecimalField(max_digits=20, decimal_places=2)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
#: A decimal or a date as the portal writes them into ``recognized`` (anything else: unknown).
DECIMAL_TEXT = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$"
DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

PURCHASES = (Category.PURCHASE_INVOICE, Category.EXPENSE, Category.CREDIT_NOTE)
SALES = (Category.SALES_INVOICE,)
PAYABLE = (Category.PURCHASE_INVOICE, Category.EXPENSE)
TOP_SUPPLIERS = 10


# --- the period ------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included (validated by ``PeriodForm``)."""

    start: date
    end: date

    @classmethod
    def default(cls, today: date | None = None) -> Period:
        """The last 12 months: this month and the 11 before, whole."""
        today = today or timezone.localdate()
        this_month = date(today.year, today.month, 1)
        return cls(_add_months(this_month, -11), _add_months(this_month, 1) - timedelta(days=1))

    def moments(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes, the end excluded (for indexed datetime columns)."""
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    def months(self) -> list[date]:
        first, months = date(self.start.year, self.start.month, 1), []
        while first <= self.end:
            months.append(first)
            first = _add_months(first, 1)
        return months

    def quarters(self) -> list[date]:
        starts = (date(m.year, (m.month - 1) // 3 * 3 + 1, 1) for m in self.months())
        return list(dict.fromkeys(starts))

    def as_query(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


# --- expressions over the facts ----------------------------------------------------------------


def _fact(key: str) -> Case:
    """A recognised fact as text; a JSON ``null`` is no value (SQLite would read it as the text
    "null", and a VAT number or a currency would then show "NULL")."""
    return Case(
        When(Q(**{f"recognized__{key}": None}), then=Value(None, output_field=CharField())),
        default=KeyTextTransform(key, "recognized"),
        output_field=CharField(),
    )


def _fact_decimal(key: str) -> Case:
    """A recognised amount as a number; a value that is not one reads as unknown (NULL)."""
    return Case(
        When(Regex(_fact(key), DECIMAL_TEXT), then=Cast(_fact(key), MONEY)),
        default=None,
        output_field=MONEY,
    )


def _fact_date(key: str) -> Case:
    return Case(
        When(Regex(_fact(key), DATE_TEXT), then=Cast(_fact(key), DateField())),
        default=None,
        output_field=DateField(),
    )


def _currency() -> Coalesce:
    return Coalesce(
        NullIf(Upper(_fact("currency")), Value(""), output_field=CharField()),
        F("currency"),
        output_field=CharField(),
    )


def _signed(amount: Expression | F) -> Case:
    """Credit notes count negative, whatever sign their amount was written with."""
    return Case(
        When(category=Category.CREDIT_NOTE, then=Abs(amount) * Value(-1)),
        default=amount,
        output_field=MONEY,
    )


def _invoice_day() -> Coalesce:
    return Coalesce(_fact_date("issue_date"), TruncDate("sent_at"), output_field=DateField())


def _invoices(dossier: Dossier, period: Period, categories: tuple[str, ...]) -> QuerySet[Document]:
    """The dossier's invoices of the period that count for money (see the module's notes)."""
    return (
        left_the_desk(dossier)
        .exclude(status__in=(Status.REJECTED, Status.SHARED))
        .exclude(source=Source.SHARED)
        .filter(category__in=categories, duplicate_of__isnull=True)
        .alias(day=_invoice_day())
        .filter(day__gte=period.start, day__lte=period.end)
    )


def _money(value: object) -> Decimal:
    """A sum from the database as a Decimal with cents (SQLite may answer floats)."""
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(CENT)


def _as_date(value: object) -> date:
    """A truncated day as a date (raw SQL on SQLite answers text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# --- the reads: one per report -----------------------------------------------------------------


def purchases_sales(dossier: Dossier, period: Period) -> list[dict[str, Any]]:
    """Per month and currency: purchases (credit notes negative), sales, how many invoices
    and how many of them have no amount."""
    total = Coalesce(_fact_decimal("total_incl_vat"), F("amount"), output_field=MONEY)
    rows = (
        _invoices(dossier, period, PURCHASES + SALES)
        .alias(total=total)
        .annotate(month=TruncMonth("day", output_field=DateField()), cur=_currency())
        .values("month", "cur")
        .annotate(
            purchases=Sum(_signed(F("total")), filter=Q(category__in=PURCHASES)),
            sales=Sum("total", filter=Q(category__in=SALES)),
            invoices=Count("id"),
            without_amount=Count("id", filter=Q(total__isnull=True)),
        )
        .order_by("month", "cur")
    )
    return [
        {
            "month": _as_date(row["month"]),
            "currency": row["cur"],
            "purchases": _money(row["purchases"]),
            "sales": _money(row["sales"]),
            "invoices": row["invoices"],
            "without_amount": row["without_amount"],
        }
        for row in rows
    ]


#: A name read with less confidence than this is not a supplier's (the first words of a page,
#: the header of a till receipt): recognition gives 0.3 to such a guess, 0.5 and more to a
#: letterhead with a legal form or a name read next to the VAT number.
CONFIDENT_NAME = Decimal("0.50")


def _name_confidence() -> Case:
    """How confident recognition was of the supplier's name (NULL when it did not say)."""
    confidence = KeyTextTransform("supplier_name", KeyTransform("confidences", "recognized"))
    return Case(
        When(Regex(confidence, DECIMAL_TEXT), then=Cast(confidence, MONEY)),
        default=None,
        output_field=MONEY,
    )


#: The supplier's name is trusted: the accountant reviewed the facts, or no confidence was given
#: for it (an e-invoice, facts typed in), or recognition was confident enough.
CONFIDENT = (
    Q(recognized__reviewed=True)
    | Q(name_confidence__isnull=True)
    | Q(name_confidence__gte=CONFIDENT_NAME)
)


def top_suppliers(dossier: Dossier, period: Period) -> list[dict[str, Any]]:
    """The ten suppliers with the highest purchases of the period (credit notes negative), then
    one row "Without supplier" for the purchases whose supplier is unknown.

    A supplier is its VAT number when one was read (compared normalised: "BE 0123.456.789" is
    "BE0123456789"), else its name read with confidence (compared normalised: case, accents,
    punctuation, spaces and legal form aside; ``view.suppliers``); an invoice without a
    number under a name that the same dossier's invoices give a number to joins that number.
    The header of a till receipt ("TICKET DE CAISSE", a name guessed from the first words of
    the page) names no supplier. Two suppliers without a VAT number are one only when their
    names are the same once normalised.

    One query sums per VAT number, name and currency as read; the few groups are then merged
    by their normalised keys."""
    total = Coalesce(_fact_decimal("total_incl_vat"), F("amount"), output_field=MONEY)
    rows = (
        _invoices(dossier, period, PURCHASES)
        .alias(total=total, name_confidence=_name_confidence())
        .annotate(
            vat_read=Trim(_fact("supplier_vat")),
            name_read=Case(
                When(CONFIDENT, then=Trim(_fact("supplier_name"))),
                default=None,
                output_field=CharField(),
            ),
            cur=_currency(),
        )
        .values("vat_read", "name_read", "cur")
        .annotate(
            invoices=Count("id"),
            amount=Coalesce(Sum(_signed(F("total"))), Value(ZERO), output_field=MONEY),
        )
        .order_by()
    )
    return _merge_suppliers([dict(row) for row in rows])


def _merge_suppliers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Groups of (VAT number, name, currency) as read, merged into suppliers (see
    ``top_suppliers``)."""
    # A name that the dossier's invoices give exactly one VAT number to stands for it.
    numbers: dict[str, set[str]] = {}
    for row in rows:
        vat, name = vat_key(row["vat_read"]), name_key(row["name_read"])
        if vat and name:
            numbers.setdefault(name, set()).add(vat)
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        vat, name = vat_key(row["vat_read"]), name_key(row["name_read"])
        if not vat and name and len(numbers.get(name, ())) == 1:
            vat = next(iter(numbers[name]))
        key = f"vat:{vat}" if vat else f"name:{name}" if name else ""
        group = merged.setdefault(
            (key, row["cur"]),
            {"vat": vat, "currency": row["cur"], "invoices": 0, "total": ZERO, "names": {}},
        )
        group["invoices"] += row["invoices"]
        group["total"] += _money(row["amount"])
        shown = plain_text(row["name_read"]) if name else ""
        if shown:
            group["names"][shown] = group["names"].get(shown, 0) + row["invoices"]
    suppliers, without = [], []
    for (key, _cur), group in merged.items():
        names: dict[str, int] = group.pop("names")
        # The name most of its invoices give; on a tie one written in mixed case, then the
        # longer ("Dupont SA", not "DUPONT" nor "dupont sa").
        ranked = sorted(names, key=lambda n: (-names[n], n in (n.upper(), n.lower()), -len(n), n))
        name = ranked[0] if ranked else ""
        if key:
            suppliers.append({"supplier": name or group["vat"], **group})
        else:
            without.append({"supplier": gettext("Without supplier"), **group})
    suppliers.sort(key=lambda r: (-r["total"], r["supplier"].casefold(), r["currency"]))
    without.sort(key=lambda r: r["currency"])
    return [
        {key: row[key] for key in ("supplier", "vat", "currency", "invoices", "total")}
        for row in suppliers[:TOP_SUPPLIERS] + without
    ]


UNPAID_BUCKETS: tuple[tuple[str, str | Promise], ...] = (
    ("overdue", _("Overdue")),
    ("week", _("Due this week")),
    ("month", _("Due later this month")),
    ("later", _("Due later")),
    ("none", _("No due date")),
)


def unpaid(dossier: Dossier, period: Period, today: date | None = None) -> list[dict[str, Any]]:
    """Purchase invoices and expenses of the period still unpaid, per due-date bucket and
    currency: overdue (before today), this week (to Sunday), later this month, later, none."""
    today = today or timezone.localdate()
    week_end = today + timedelta(days=6 - today.weekday())
    month_end = date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    amount = Coalesce(
        _fact_decimal("payable_amount"),
        _fact_decimal("total_incl_vat"),
        F("amount"),
        output_field=MONEY,
    )
    rows = (
        _invoices(dossier, period, PAYABLE)
        .filter(paid=False)
        .alias(due=Coalesce(F("due_date"), _fact_date("due_date"), output_field=DateField()))
        .annotate(
            bucket=Case(
                When(due__isnull=True, then=Value("none")),
                When(due__lt=today, then=Value("overdue")),
                When(due__lte=week_end, then=Value("week")),
                When(due__lte=month_end, then=Value("month")),
                default=Value("later"),
                output_field=CharField(),
            ),
            cur=_currency(),
        )
        .values("bucket", "cur")
        .annotate(invoices=Count("id"), amount=Sum(amount))
        .order_by("bucket", "cur")
    )
    order = [key for key, _label in UNPAID_BUCKETS]
    found = [
        {
            "bucket": row["bucket"],
            "currency": row["cur"],
            "invoices": row["invoices"],
            "total": _money(row["amount"]),
        }
        for row in rows
    ]
    return sorted(found, key=lambda row: (order.index(row["bucket"]), row["currency"]))


def _direction() -> Case:
    return Case(
        When(category__in=SALES, then=Value("sales")),
        default=Value("purchases"),
        output_field=CharField(),
    )


_VAT_SQL = {
    "postgresql": """
        SELECT sub.quarter, sub.cur, sub.direction, {rate} AS rate,
               SUM(sub.sign * {taxable}) AS taxable, SUM(sub.sign * {tax}) AS tax
        FROM ({inner}) sub
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE WHEN jsonb_typeof(sub.breakdown) = 'array'
                      AND jsonb_array_length(sub.breakdown) > 0 THEN sub.breakdown
            ELSE jsonb_build_array(jsonb_build_object(
                'percent', NULL, 'taxable_amount', sub.excl, 'tax_amount', sub.tax))
            END) AS line(value)
        GROUP BY 1, 2, 3, 4""",
    "sqlite": """
        SELECT sub.quarter, sub.cur, sub.direction, {rate} AS rate,
               SUM(sub.sign * {taxable}) AS taxable, SUM(sub.sign * {tax}) AS tax
        FROM ({inner}) sub,
             json_each(
                CASE WHEN json_type(sub.breakdown) = 'array'
                          AND json_array_length(sub.breakdown) > 0 THEN sub.breakdown
                ELSE json_array(json_object(
                    'percent', NULL, 'taxable_amount', sub.excl, 'tax_amount', sub.tax))
                END) AS line
        GROUP BY 1, 2, 3, 4""",
}


def _line_number(key: str) -> str:
    """SQL of one number of a VAT line (``line.value``); not a number: NULL."""
    if connection.vendor == "postgresql":
        text = f"(line.value ->> '{key}')"
        return f"(CASE WHEN {text} ~ '{DECIMAL_TEXT}' THEN {text}::numeric END)"
    return f"CAST(json_extract(line.value, '$.{key}') AS NUMERIC)"


def vat(dossier: Dossier, period: Period) -> list[dict[str, Any]]:
    """Per quarter, currency, purchases (deductible) or sales (due) and rate: the taxable
    amount and the VAT. An e-invoice (UBL, CII, or the XML a PDF carries) counts by the lines of
    its VAT breakdown; another invoice (or an e-invoice without breakdown) by its totals
    (``total_excl_vat``, ``total_vat``), with no rate. Credit notes count negative.

    One query: the ORM scopes the invoices and computes their quarter, currency and sign; the
    VAT lines (or one line made of the totals) are unnested and summed around it."""
    inner = (
        _invoices(dossier, period, PURCHASES + SALES)
        .alias(excl_vat=_fact_decimal("total_excl_vat"), vat_total=_fact_decimal("total_vat"))
        .filter(Q(is_ubl=True) | Q(vat_total__isnull=False))
        .annotate(
            quarter=TruncQuarter("day", output_field=DateField()),
            cur=_currency(),
            direction=_direction(),
            sign=Case(
                When(category=Category.CREDIT_NOTE, then=Value(-1)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            breakdown=KeyTransform("vat_breakdown", "recognized"),
            excl=F("excl_vat"),
            tax=F("vat_total"),
        )
        .values("quarter", "cur", "direction", "sign", "breakdown", "excl", "tax")
    )
    inner_sql, params = inner.query.sql_with_params()
    sql = _VAT_SQL["postgresql" if connection.vendor == "postgresql" else "sqlite"].format(
        inner=inner_sql,
        rate=_line_number("percent"),
        taxable=_line_number("taxable_amount"),
        tax=_line_number("tax_amount"),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    merged: dict[tuple[date, str, str, Decimal | None], list[Decimal]] = {}
    for quarter, cur, direction, rate, taxable, tax in found:
        percent = None if rate is None else Decimal(str(rate)).normalize()
        if percent is not None and percent == percent.to_integral():
            percent = percent.quantize(Decimal(1))
        sums = merged.setdefault((_as_date(quarter), cur, direction, percent), [ZERO, ZERO])
        sums[0] += _money(taxable)
        sums[1] += _money(tax)
    directions = {"purchases": 0, "sales": 1}
    return [
        {
            "quarter": quarter,
            "currency": cur,
            "direction": direction,
            "rate": rate,
            "taxable": taxable,
            "vat": tax,
        }
        for (quarter, cur, direction, rate), (taxable, tax) in sorted(
            merged.items(),
            key=lambda item: (
                item[0][0],
                item[0][1],
                directions[item[0][2]],
                item[0][3] is None,
                item[0][3] or 0,
            ),
        )
    ]


WAITING_BUCKETS: tuple[tuple[str, str | Promise, timedelta | None], ...] = (
    ("day", _("Less than a day"), timedelta(days=1)),
    ("3days", _("1 to 3 days"), timedelta(days=3)),
    ("week", _("3 to 7 days"), timedelta(days=7)),
    ("month", _("7 to 30 days"), timedelta(days=30)),
    ("longer", _("More than 30 days"), None),
)
WAITING_KEYS = [key for key, _label, _upper in WAITING_BUCKETS] + ["waiting"]
STEPS = ("retrieval", "booking")


def document_flow(dossier: Dossier, period: Period) -> list[dict[str, Any]]:
    """The one query behind two reports: documents that left the desk (or were shared by the
    accountant) per month of sending, category and channel, each group with its waiting-time
    counts. A document waits between sending and retrieval (or booking, for one booked without
    being retrieved) and between sending and booking; rejected and shared documents do not
    wait. The ``*_waiting`` counts are those not retrieved or booked yet."""
    start, end = period.moments()
    waits = ~Q(status__in=(Status.REJECTED, Status.SHARED)) & ~Q(source=Source.SHARED)
    waits &= Q(sent_at__isnull=False)
    counts: dict[str, Any] = {}
    for step, moment in (("retrieval", "taken"), ("booking", "booked_at")):
        lower: timedelta | None = None
        for key, _label, upper in WAITING_BUCKETS:
            condition = waits & Q(**{f"{moment}__isnull": False})
            if lower is not None:
                condition &= Q(**{f"{moment}__gte": F("sent_at") + lower})
            if upper is not None:
                condition &= Q(**{f"{moment}__lt": F("sent_at") + upper})
            counts[f"{step}_{key}"] = Count("id", filter=condition)
            lower = upper
        counts[f"{step}_waiting"] = Count("id", filter=waits & Q(**{f"{moment}__isnull": True}))
    rows = (
        left_the_desk(dossier)
        .alias(
            moment=Coalesce("sent_at", "uploaded_at"),
            taken=Coalesce("retrieved_at", "booked_at"),
        )
        .filter(moment__gte=start, moment__lt=end)
        .annotate(month=TruncMonth("moment", output_field=DateField()))
        .values("month", "category", "source")
        .annotate(documents=Count("id"), **counts)
        .order_by("month", "category", "source")
    )
    return [{**row, "month": _as_date(row["month"])} for row in rows]


def documents(
    dossier: Dossier, period: Period, flow: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Documents per month of sending, category and channel (from ``document_flow``)."""
    flow = document_flow(dossier, period) if flow is None else flow
    return [
        {
            "month": row["month"],
            "category": row["category"],
            "channel": row["source"],
            "documents": row["documents"],
        }
        for row in flow
    ]


def waiting(
    dossier: Dossier, period: Period, flow: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Documents sent in the period by how long they waited until retrieval and until
    booking, one row per bucket and a last one for those still waiting."""
    flow = document_flow(dossier, period) if flow is None else flow
    if not any(row[f"{step}_{key}"] for row in flow for step in STEPS for key in WAITING_KEYS):
        return []
    return [
        {
            "bucket": key,
            "retrieval": sum(row[f"retrieval_{key}"] for row in flow),
            "booking": sum(row[f"booking_{key}"] for row in flow),
        }
        for key in WAITING_KEYS
    ]


# --- presentation: columns, labels and charts shared by the page, the JSON and the CSV ---------


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    kind: str = "text"  # text, month, quarter, amount, count


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

    def cells(self) -> list[list[tuple[Column, str]]]:
        """The rows as the page shows them, each cell with its column (for the label a phone
        shows beside it, and the alignment of numbers)."""
        return [
            [(column, _display(column.kind, row[column.key])) for column in self.columns]
            for row in self.rows
        ]

    def csv_rows(self) -> list[list[str]]:
        """A header of the columns' labels, then the plain values (ISO months, dot decimals)."""
        header = [str(column.label) for column in self.columns]
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
        return formats.number_format(value, 0, use_l10n=True, force_grouping=True)
    return str(value)


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


def _purchases_sales_data(report: Report, rows: list[dict[str, Any]], period: Period) -> ReportData:
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


def _top_suppliers_data(report: Report, rows: list[dict[str, Any]], period: Period) -> ReportData:
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


def _unpaid_data(report: Report, rows: list[dict[str, Any]], period: Period) -> ReportData:
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


def _vat_data(report: Report, rows: list[dict[str, Any]], period: Period) -> ReportData:
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


def _documents_data(report: Report, rows: list[dict[str, Any]], period: Period) -> ReportData:
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


def _waiting_data(report: Report, rows: list[dict[str, Any]], period: Period) -> ReportData:
    labels = {key: str(label) for key, label, _upper in WAITING_BUCKETS}
    labels["waiting"] = gettext("Still waiting")
    for row in rows:
        row["bucket_label"] = labels[row["bucket"]]
    return ReportData(
        report,
        [
            Column("bucket_label", _("Waiting time")),
            Column("retrieval", _("Until retrieval"), "count"),
            Column("booking", _("Until booking"), "count"),
        ],
        rows,
        [
            Chart(
                [row["bucket_label"] for row in rows],
                [
                    {"label": gettext("Until retrieval"), "data": [r["retrieval"] for r in rows]},
                    {"label": gettext("Until booking"), "data": [r["booking"] for r in rows]},
                ],
            )
        ],
    )


# --- headline figures: above the reports, from their rows (no query of their own) ------------


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


def is_empty(reports: list[ReportData]) -> bool:
    """No report has a figure for the period: the page says so once, not once per report."""
    return bool(reports) and not any(data.rows for data in reports)


Read = Callable[[Dossier, Period], list[dict[str, Any]]]
Present = Callable[[Report, list[dict[str, Any]], Period], ReportData]

READS: dict[str, tuple[Read, Present]] = {
    "purchases_sales": (purchases_sales, _purchases_sales_data),
    "top_suppliers": (top_suppliers, _top_suppliers_data),
    "unpaid": (unpaid, _unpaid_data),
    "vat": (vat, _vat_data),
    "documents": (documents, _documents_data),
    "waiting": (waiting, _waiting_data),
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
