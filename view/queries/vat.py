"""View: the VAT report's read (per quarter, currency, direction and rate)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    DateField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import (
    TruncMonth,
)

from connect.models import Category
from dossiers.models import Dossier
from view.period import Period
from view.queries.common import (
    DECIMAL_TEXT,
    PURCHASES,
    SALES,
    ZERO,
    as_date,
    as_money,
    as_sum,
    dossier_pk,
    fact_decimal,
    invoice_currency,
    money_invoices,
    prepared,
)


def _direction() -> Case:
    return Case(
        When(category__in=SALES, then=Value("sales")),
        default=Value("purchases"),
        output_field=CharField(),
    )


_VAT_SQL = {
    "postgresql": """
        SELECT sub.month, sub.cur, sub.direction, {rate} AS rate,
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
        SELECT sub.month, sub.cur, sub.direction, {rate} AS rate,
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
    amount and the VAT (``vat_groups``, ``vat_from``)."""
    return vat_from(vat_groups(dossier, period))


def _inner(dossier_id: int, period: Period) -> QuerySet[Any]:
    """The invoices of ``vat_groups`` with their month, currency, direction and sign."""
    return (
        money_invoices(dossier_id, period, PURCHASES + SALES)
        .alias(excl_vat=fact_decimal("total_excl_vat"), vat_total=fact_decimal("total_vat"))
        .filter(Q(is_ubl=True) | Q(vat_total__isnull=False))
        .annotate(
            month=TruncMonth("day", output_field=DateField()),
            cur=invoice_currency(),
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
        .values("month", "cur", "direction", "sign", "breakdown", "excl", "tax")
    )


_INNER = prepared(_inner)


def vat_groups(dossier: Dossier | int, period: Period) -> list[dict[str, Any]]:
    """Per quarter, currency, purchases (deductible) or sales (due) and rate: the taxable
    amount and the VAT. An e-invoice (UBL, CII, or the XML a PDF carries) counts by the lines of
    its VAT breakdown; another invoice (or an e-invoice without breakdown) by its totals
    (``total_excl_vat``, ``total_vat``), with no rate. Credit notes count negative.

    One query: the ORM scopes the invoices and computes their quarter, currency and sign; the
    VAT lines (or one line made of the totals) are unnested and summed around it."""
    inner_sql, params = _INNER.sql(dossier_pk(dossier), period)
    sql = _VAT_SQL["postgresql" if connection.vendor == "postgresql" else "sqlite"].format(
        inner=inner_sql,
        rate=_line_number("percent"),
        taxable=_line_number("taxable_amount"),
        tax=_line_number("tax_amount"),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return [
        {
            "month": as_date(month),
            "cur": cur,
            "direction": direction,
            "rate": None if rate is None else as_sum(rate),
            "taxable": as_sum(taxable),
            "tax": as_sum(tax),
        }
        for month, cur, direction, rate, taxable, tax in found
    ]


def vat_from(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The report's rows from ``vat_groups`` of any months: summed per quarter and rate as
    written, rounded to the cent, then merged per rate ("21" and "21.00" are one)."""
    exact: dict[tuple[date, str, str, Decimal | None], list[Decimal]] = {}
    for group in groups:
        month = group["month"]
        quarter = date(month.year, (month.month - 1) // 3 * 3 + 1, 1)
        key = (quarter, group["cur"], group["direction"], group["rate"])
        sums = exact.setdefault(key, [Decimal(0), Decimal(0)])
        sums[0] += group["taxable"]
        sums[1] += group["tax"]
    merged: dict[tuple[date, str, str, Decimal | None], list[Decimal]] = {}
    for (quarter, cur, direction, rate), (taxable, tax) in exact.items():
        percent = None if rate is None else rate.normalize()
        if percent is not None and percent == percent.to_integral():
            percent = percent.quantize(Decimal(1))
        sums = merged.setdefault((quarter, cur, direction, percent), [ZERO, ZERO])
        sums[0] += as_money(taxable)
        sums[1] += as_money(tax)
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
