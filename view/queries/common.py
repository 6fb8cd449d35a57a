"""View: what the dashboard's reads share: the amounts, currencies and days read from a document's
recognised facts, and the invoices that count for money (see ``view.queries``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    DateField,
    DecimalField,
    Expression,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import (
    Abs,
    Cast,
    Coalesce,
    NullIf,
    TruncDate,
    Upper,
)
from django.db.models.lookups import Regex

from connect.documents.selectors import left_the_desk
from connect.models import Category, Document, Source, Status
from core.prepared import PreparedRead
from dossiers.models import Dossier
from view.period import Period

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


def fact(key: str) -> Case:
    """A recognised fact as text; a JSON ``null`` is no value (SQLite would read it as the text
    "null", and a VAT number or a currency would then show "NULL")."""
    return Case(
        When(Q(**{f"recognized__{key}": None}), then=Value(None, output_field=CharField())),
        default=KeyTextTransform(key, "recognized"),
        output_field=CharField(),
    )


def fact_decimal(key: str) -> Case:
    """A recognised amount as a number; a value that is not one reads as unknown (NULL)."""
    return Case(
        When(Regex(fact(key), DECIMAL_TEXT), then=Cast(fact(key), MONEY)),
        default=None,
        output_field=MONEY,
    )


def fact_date(key: str) -> Case:
    return Case(
        When(Regex(fact(key), DATE_TEXT), then=Cast(fact(key), DateField())),
        default=None,
        output_field=DateField(),
    )


def invoice_currency() -> Coalesce:
    return Coalesce(
        NullIf(Upper(fact("currency")), Value(""), output_field=CharField()),
        F("currency"),
        output_field=CharField(),
    )


def signed(amount: Expression | F) -> Case:
    """Credit notes count negative, whatever sign their amount was written with."""
    return Case(
        When(category=Category.CREDIT_NOTE, then=Abs(amount) * Value(-1)),
        default=amount,
        output_field=MONEY,
    )


def invoice_day() -> Coalesce:
    return Coalesce(fact_date("issue_date"), TruncDate("sent_at"), output_field=DateField())


def issue_text() -> ExpressionWrapper:
    """The invoice date as written in the facts (indexed with the dossier: ``connect/0024``),
    compared as text (the wrapper adds no SQL; it keeps SQLite's JSON lookups away)."""
    return ExpressionWrapper(KeyTextTransform("issue_date", "recognized"), CharField())


def moment() -> Coalesce:
    """When a document left the desk (or was shared): indexed with the dossier."""
    return Coalesce("sent_at", "uploaded_at")


def in_days(period: Period) -> Q:
    """A superset of the documents whose invoice day, or day of sending, is in the period,
    that the indexes on (dossier, invoice date as written) and (dossier, moment) answer: a
    valid invoice date in the period sorts between the period's first day and the day after
    its last; without one the day is the day of sending, and a document sent in the period has
    its moment there."""
    start, end = period.moments()
    after = (period.end + timedelta(days=1)).isoformat()
    return Q(issue_text__gte=period.start.isoformat(), issue_text__lt=after) | Q(
        moment__gte=start, moment__lt=end
    )


def money_invoices(
    dossier: Dossier | int, period: Period, categories: tuple[str, ...]
) -> QuerySet[Document]:
    """The dossier's invoices of the period that count for money (see ``view.queries``)."""
    return (
        left_the_desk(dossier)
        .exclude(status__in=(Status.REJECTED, Status.SHARED))
        .exclude(source=Source.SHARED)
        .filter(category__in=categories, duplicate_of__isnull=True)
        .alias(issue_text=issue_text(), moment=moment())
        .filter(in_days(period))
        .alias(day=invoice_day())
        .filter(day__gte=period.start, day__lte=period.end)
    )


def dossier_pk(dossier: Dossier | int) -> int:
    return dossier if isinstance(dossier, int) else dossier.pk


def _period_values(dossier_id: int, period: Period) -> tuple[Any, ...]:
    """Every value a read of (dossier, period) puts into its SQL's parameters (``in_days``,
    ``money_invoices``, the moments of ``document_flow``)."""
    start, end = period.moments()
    after = (period.end + timedelta(days=1)).isoformat()
    return (dossier_id, period.start, period.end, period.start.isoformat(), after, start, end)


#: Three (dossier, period) samples whose values all differ (``core.prepared``).
_SAMPLES = (
    (2_000_000_011, Period(date(1901, 1, 1), date(1901, 1, 31))),
    (2_000_000_012, Period(date(1902, 2, 2), date(1902, 3, 27))),
    (2_000_000_013, Period(date(1903, 4, 3), date(1903, 4, 29))),
)


def prepared(build: Callable[[int, Period], QuerySet[Any]]) -> PreparedRead:
    """A read of (dossier id, period) compiled once per process (``core.prepared``): View's
    reads run at every change to a document (``view.summaries``), and Django's building of
    their expressions cost more than the database's answer."""
    return PreparedRead(Document, build, _period_values, _SAMPLES)


def as_money(value: object) -> Decimal:
    """A sum from the database as a Decimal with cents (SQLite may answer floats)."""
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(CENT)


def as_sum(value: object) -> Decimal:
    """A sum from the database as an exact Decimal, not rounded (a part of a larger sum)."""
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def as_date(value: object) -> date:
    """A truncated day as a date (raw SQL on SQLite answers text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
