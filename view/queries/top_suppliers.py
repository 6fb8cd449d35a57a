"""View: the top suppliers report's read (who the supplier is: see ``view.queries``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import (
    Cast,
    Coalesce,
    Trim,
    TruncMonth,
)
from django.db.models.lookups import Regex
from django.utils.translation import gettext

from core.csv import plain_text
from dossiers.models import Dossier
from view.period import Period
from view.queries.common import (
    DECIMAL_TEXT,
    MONEY,
    PURCHASES,
    TOP_SUPPLIERS,
    ZERO,
    as_date,
    as_money,
    as_sum,
    dossier_pk,
    fact,
    fact_decimal,
    invoice_currency,
    money_invoices,
    prepared,
    signed,
)
from view.suppliers import name_key, vat_key

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
    return top_suppliers_from(supplier_groups(dossier, period))


def _query(dossier_id: int, period: Period) -> QuerySet[Any]:
    total = Coalesce(fact_decimal("total_incl_vat"), F("amount"), output_field=MONEY)
    return (
        money_invoices(dossier_id, period, PURCHASES)
        .alias(total=total, name_confidence=_name_confidence())
        .annotate(
            vat_read=Trim(fact("supplier_vat")),
            name_read=Case(
                When(CONFIDENT, then=Trim(fact("supplier_name"))),
                default=None,
                output_field=CharField(),
            ),
            cur=invoice_currency(),
        )
        .annotate(month=TruncMonth("day", output_field=DateField()))
        .values("month", "vat_read", "name_read", "cur")
        .annotate(
            invoices=Count("id"),
            amount=Coalesce(Sum(signed(F("total"))), Value(ZERO), output_field=MONEY),
        )
        .order_by()
    )


_READ = prepared(_query)


def supplier_groups(dossier: Dossier | int, period: Period) -> list[dict[str, Any]]:
    """Per month (of the invoice day) and (VAT number, name, currency) as read: the number of
    invoices and their sum, not rounded (``top_suppliers_from`` merges them)."""
    return [
        {**row, "month": as_date(row["month"]), "amount": as_sum(row["amount"])}
        for row in _READ.rows(dossier_pk(dossier), period)
    ]


def top_suppliers_from(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The report's rows from ``supplier_groups`` of any months: summed over the months, then
    merged into suppliers."""
    sums: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
    for group in groups:
        key = (group["vat_read"], group["name_read"], group["cur"])
        found = sums.get(key)
        if found is None:
            sums[key] = {
                "vat_read": key[0],
                "name_read": key[1],
                "cur": key[2],
                "invoices": group["invoices"],
                "amount": group["amount"],
            }
        else:
            found["invoices"] += group["invoices"]
            found["amount"] += group["amount"]
    return _merge_suppliers(list(sums.values()))


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
        group["total"] += as_money(row["amount"])
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
