"""View: the unpaid invoices report's read (per due-date bucket and currency)."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Count,
    DateField,
    F,
    QuerySet,
    Sum,
)
from django.db.models.functions import (
    Coalesce,
    TruncMonth,
)
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dossiers.models import Dossier
from view.period import Period
from view.queries.common import (
    MONEY,
    PAYABLE,
    ZERO,
    as_date,
    as_money,
    as_sum,
    dossier_pk,
    fact_date,
    fact_decimal,
    invoice_currency,
    money_invoices,
    prepared,
)

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
    return unpaid_from(unpaid_groups(dossier, period), today)


def _query(dossier_id: int, period: Period) -> QuerySet[Any]:
    amount = Coalesce(
        fact_decimal("payable_amount"),
        fact_decimal("total_incl_vat"),
        F("amount"),
        output_field=MONEY,
    )
    return (
        money_invoices(dossier_id, period, PAYABLE)
        .filter(paid=False)
        .alias(due=Coalesce(F("due_date"), fact_date("due_date"), output_field=DateField()))
        .annotate(
            month=TruncMonth("day", output_field=DateField()),
            due_day=F("due"),
            cur=invoice_currency(),
        )
        .values("month", "due_day", "cur")
        .annotate(invoices=Count("id"), amount=Sum(amount))
        .order_by()
    )


_READ = prepared(_query)


def unpaid_groups(dossier: Dossier | int, period: Period) -> list[dict[str, Any]]:
    """Per month (of the invoice day), due date and currency: the unpaid purchase invoices and
    expenses, and their sum, not rounded (``unpaid_from`` puts them in buckets)."""
    return [
        {
            "month": as_date(row["month"]),
            "due": None if row["due_day"] is None else as_date(row["due_day"]),
            "cur": row["cur"],
            "invoices": row["invoices"],
            "amount": as_sum(row["amount"]),
        }
        for row in _READ.rows(dossier_pk(dossier), period)
    ]


def unpaid_bucket(today: date) -> Callable[[date | None], str]:
    """The bucket of a due date, relative to ``today``: overdue (before today), this week (to
    Sunday), later this month, later, none."""
    week_end = today + timedelta(days=6 - today.weekday())
    month_end = date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])

    def bucket(due: date | None) -> str:
        if due is None:
            return "none"
        if due < today:
            return "overdue"
        if due <= week_end:
            return "week"
        if due <= month_end:
            return "month"
        return "later"

    return bucket


def unpaid_from(groups: list[dict[str, Any]], today: date | None = None) -> list[dict[str, Any]]:
    """The report's rows from ``unpaid_groups`` of any months, bucketed relative to today."""
    bucket = unpaid_bucket(today or timezone.localdate())
    sums: dict[tuple[str, str], list[Any]] = {}
    for group in groups:
        found = sums.setdefault((bucket(group["due"]), group["cur"]), [0, ZERO])
        found[0] += group["invoices"]
        found[1] += group["amount"]
    order = [key for key, _label in UNPAID_BUCKETS]
    return [
        {"bucket": bucket, "currency": cur, "invoices": invoices, "total": as_money(total)}
        for (bucket, cur), (invoices, total) in sorted(
            sums.items(), key=lambda item: (order.index(item[0][0]), item[0][1])
        )
    ]
