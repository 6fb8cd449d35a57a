"""View: the unpaid invoices report's read (per due-date bucket and currency)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    F,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Coalesce,
)
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dossiers.models import Dossier
from view.period import Period
from view.queries.common import (
    MONEY,
    PAYABLE,
    as_money,
    fact_date,
    fact_decimal,
    invoice_currency,
    money_invoices,
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
    today = today or timezone.localdate()
    week_end = today + timedelta(days=6 - today.weekday())
    month_end = date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    amount = Coalesce(
        fact_decimal("payable_amount"),
        fact_decimal("total_incl_vat"),
        F("amount"),
        output_field=MONEY,
    )
    rows = (
        money_invoices(dossier, period, PAYABLE)
        .filter(paid=False)
        .alias(due=Coalesce(F("due_date"), fact_date("due_date"), output_field=DateField()))
        .annotate(
            bucket=Case(
                When(due__isnull=True, then=Value("none")),
                When(due__lt=today, then=Value("overdue")),
                When(due__lte=week_end, then=Value("week")),
                When(due__lte=month_end, then=Value("month")),
                default=Value("later"),
                output_field=CharField(),
            ),
            cur=invoice_currency(),
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
            "total": as_money(row["amount"]),
        }
        for row in rows
    ]
    return sorted(found, key=lambda row: (order.index(row["bucket"]), row["currency"]))
