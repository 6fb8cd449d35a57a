"""View: the purchases and sales report's read (per month and currency)."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    DateField,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import (
    Coalesce,
    TruncMonth,
)

from dossiers.models import Dossier
from view.period import Period
from view.queries.common import (
    MONEY,
    PURCHASES,
    SALES,
    as_date,
    as_money,
    dossier_pk,
    fact_decimal,
    invoice_currency,
    money_invoices,
    prepared,
    signed,
)


def _query(dossier_id: int, period: Period) -> QuerySet[Any]:
    total = Coalesce(fact_decimal("total_incl_vat"), F("amount"), output_field=MONEY)
    return (
        money_invoices(dossier_id, period, PURCHASES + SALES)
        .alias(total=total)
        .annotate(month=TruncMonth("day", output_field=DateField()), cur=invoice_currency())
        .values("month", "cur")
        .annotate(
            purchases=Sum(signed(F("total")), filter=Q(category__in=PURCHASES)),
            sales=Sum("total", filter=Q(category__in=SALES)),
            invoices=Count("id"),
            without_amount=Count("id", filter=Q(total__isnull=True)),
        )
        .order_by("month", "cur")
    )


_READ = prepared(_query)


def purchases_sales(dossier: Dossier | int, period: Period) -> list[dict[str, Any]]:
    """Per month and currency: purchases (credit notes negative), sales, how many invoices
    and how many of them have no amount."""
    return [
        {
            "month": as_date(row["month"]),
            "currency": row["cur"],
            "purchases": as_money(row["purchases"]),
            "sales": as_money(row["sales"]),
            "invoices": row["invoices"],
            "without_amount": row["without_amount"],
        }
        for row in _READ.rows(dossier_pk(dossier), period)
    ]
