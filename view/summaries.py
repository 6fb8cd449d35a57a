"""View: a dossier's figures per month (``MonthSummary``), so that a dashboard reads a few
hundred rows whatever the number of documents (docs/view.md, "Summaries").

What a month holds
  For each report family, the groups its read (``view.queries``) computes over the month's
  documents: purchases and sales per currency; supplier groups per VAT number, name and
  currency as read; unpaid invoices per due date and currency; VAT per currency, direction and
  rate as written; documents per category and channel with their waiting-time histograms.
  Sums are kept exact (not rounded): the reports add months up, then round, as a read over the
  whole period would. Money is counted in the month of the invoice day, documents in the month
  they were sent, in the portal's time zone.

How it stays true
  ``connect.models.figures`` calls ``KEEPER`` in the transaction of every write to documents
  that may move a figure: ``keys`` gives the (dossier, month) pairs of the documents before and
  after the write, ``refresh`` recomputes those months from the documents (each an indexed read
  of one month) and replaces their rows. A dossier's refreshes are serialised by a transaction
  lock on PostgreSQL, so two writers in one month cannot leave the rows of a snapshot that
  missed the other's change. ``manage.py summaries_rebuild`` recomputes everything (after a
  restore, or a bulk load that went around the ORM); ``manage.py summaries_check`` compares the
  rows with a read of the documents and says which months differ.

How a period is read
  The months wholly inside the period come from the summaries; a month cut by the period's
  first or last day is read from the documents of those days (an indexed read).
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable, Collection, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import DateField, DecimalField, IntegerField, QuerySet, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncMonth

from connect.models import Document, MonthSummary, Status
from core.prepared import PreparedRead
from view.period import Period, add_months
from view.queries.common import as_date, as_sum, invoice_day, moment
from view.queries.document_flow import document_flow
from view.queries.purchases_sales import purchases_sales
from view.queries.top_suppliers import supplier_groups
from view.queries.unpaid import unpaid_groups
from view.queries.vat import vat_groups

Group = dict[str, Any]
Read = Callable[[int, Period], list[Group]]

#: The report families and the read of their groups; the order in which a month is written.
FAMILIES: dict[str, Read] = {
    "purchases_sales": purchases_sales,
    "suppliers": supplier_groups,
    "unpaid": unpaid_groups,
    "vat": vat_groups,
    "flow": document_flow,
}
_DECIMALS = frozenset({"purchases", "sales", "amount", "rate", "taxable", "tax"})
_DATES = frozenset({"month", "due"})
#: pg_advisory_xact_lock(class, dossier id): one writer at a time refreshes a dossier's months.
_LOCK_CLASS = 0x56494557  # "VIEW"


def _encode(group: Group) -> dict[str, Any]:
    return {
        key: (
            str(value)
            if isinstance(value, Decimal)
            else value.isoformat()
            if isinstance(value, date)
            else value
        )
        for key, value in group.items()
    }


def _decode(row: dict[str, Any]) -> Group:
    group = dict(row)
    for key, value in row.items():
        if value is None:
            continue
        if key in _DECIMALS:
            group[key] = Decimal(value)
        elif key in _DATES:
            group[key] = date.fromisoformat(value)
    return group


def _month_rows(dossier_id: int, firm_id: int, month: date) -> list[MonthSummary]:
    period = Period.of_month(month)
    return [
        MonthSummary(
            firm_id=firm_id,
            dossier_id=dossier_id,
            month=month,
            report=family,
            row=_encode(group),
        )
        for family, read in FAMILIES.items()
        for group in read(dossier_id, period)
    ]


def _lock(dossier_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, dossier_id])


class Keeper:
    """Registered with ``connect.models.figures`` by ``ViewConfig.ready()``."""

    def keys(self, document_ids: Collection[int]) -> set[tuple[int, int, date]]:
        """(firm, dossier, month) of each document's invoice day and moment of sending."""
        ids = list(document_ids)
        if len(ids) == 1:
            return _keys_from(_ONE_DOCUMENT.rows(ids[0]))
        return _keys_of(Document.objects.filter(pk__in=ids))

    def refresh(self, keys: set[tuple[int, int, date]]) -> None:
        """Recompute the months of ``keys`` (in the caller's transaction)."""
        by_dossier: dict[int, set[tuple[int, date]]] = {}
        for firm_id, dossier_id, month in keys:
            by_dossier.setdefault(dossier_id, set()).add((firm_id, month))
        for dossier_id in sorted(by_dossier):
            _lock(dossier_id)
            months = sorted(by_dossier[dossier_id], key=lambda item: item[1])
            MonthSummary.objects.filter(
                dossier_id=dossier_id, month__in=[month for _firm, month in months]
            ).delete()
            rows = [
                row for firm_id, month in months for row in _month_rows(dossier_id, firm_id, month)
            ]
            MonthSummary.objects.bulk_create(rows)


KEEPER = Keeper()


def _month_keys(documents: QuerySet[Document]) -> QuerySet[Any]:
    """The documents' firm, dossier and the months of their invoice day and moment of
    sending, each combination once. A draft or a withdrawn document counts nowhere: no row."""
    return (
        documents.exclude(status__in=(Status.DRAFT, Status.WITHDRAWN))
        .annotate(
            money_month=TruncMonth(invoice_day(), output_field=DateField()),
            flow_month=TruncMonth(moment(), output_field=DateField()),
        )
        .values("firm_id", "dossier_id", "money_month", "flow_month")
        .distinct()
        .order_by()
    )


#: The keys of one document (a write's usual case), asked before and after each write.
_ONE_DOCUMENT = PreparedRead.of_keys(
    Document, lambda pk: _month_keys(Document.objects.filter(pk=pk)), 1
)


def _keys_of(documents: QuerySet[Document]) -> set[tuple[int, int, date]]:
    """(firm, dossier, month) of the documents' invoice days and moments of sending."""
    return _keys_from(list(_month_keys(documents)))


def _keys_from(rows: list[dict[str, Any]]) -> set[tuple[int, int, date]]:
    return {
        (row["firm_id"], row["dossier_id"], as_date(month))
        for row in rows
        for month in (row["money_month"], row["flow_month"])
        if month is not None
    }


# --- reading a period ----------------------------------------------------------------------


def _whole_months(period: Period) -> tuple[date, date] | None:
    """The first and last months wholly inside the period (None: not one)."""
    first = period.start if period.start.day == 1 else add_months(period.start, 1)
    last_day = calendar.monthrange(period.end.year, period.end.month)[1]
    end_month = period.end.replace(day=1)
    last = end_month if period.end.day == last_day else add_months(end_month, -1)
    return (first, last) if first <= last else None


def _cut_parts(period: Period, whole: tuple[date, date] | None) -> list[Period]:
    """The parts of the period outside its whole months (read from the documents)."""
    if whole is None:
        return [period]
    parts = []
    if period.start < whole[0]:
        parts.append(Period(period.start, whole[0] - timedelta(days=1)))
    after = add_months(whole[1], 1)
    if period.end >= after:
        parts.append(Period(after, period.end))
    return parts


def groups_for(dossier_id: int, period: Period, families: Iterable[str]) -> dict[str, list[Group]]:
    """Each family's groups over the period, per month: the summaries of the whole months, a
    read of the documents for the days of a cut month. Sorted as the reads sort them."""
    wanted = list(dict.fromkeys(families))
    found: dict[str, list[Group]] = {family: [] for family in wanted}
    whole = _whole_months(period)
    if whole is not None and wanted:
        months = MonthSummary.objects.filter(
            dossier_id=dossier_id, month__gte=whole[0], month__lte=whole[1]
        )
        per_month = [family for family in wanted if family not in _SUMMED]
        if per_month:
            for family, row in months.filter(report__in=per_month).values_list("report", "row"):
                found[family].append(_decode(row))
        for family in wanted:
            if family in _SUMMED:
                found[family].extend(_summed(months.filter(report=family), *_SUMMED[family]))
    for part in _cut_parts(period, whole):
        for family in wanted:
            found[family].extend(FAMILIES[family](dossier_id, part))
    for family, order in _SORT.items():
        if family in found:
            found[family].sort(key=order)
    return found


#: Families whose groups the database adds up over the months (a dossier's suppliers are its
#: largest family: one group per supplier and month), by their keys, with their counts and
#: exact sums. Their rows then carry no month.
_SUMMED: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "suppliers": (("vat_read", "name_read", "cur"), ("invoices",), ("amount",)),
}
_EXACT = DecimalField(max_digits=40, decimal_places=12)


def _summed(
    rows: QuerySet[MonthSummary],
    keys: tuple[str, ...],
    counts: tuple[str, ...],
    sums: tuple[str, ...],
) -> list[Group]:
    totals = {
        **{name: Sum(Cast(KT(f"row__{name}"), IntegerField())) for name in counts},
        **{name: Sum(Cast(KT(f"row__{name}"), _EXACT)) for name in sums},
    }
    found = (
        rows.annotate(**{f"k_{key}": KT(f"row__{key}") for key in keys})
        .values(*(f"k_{key}" for key in keys))
        .annotate(**{f"t_{name}": total for name, total in totals.items()})
        .order_by()
    )
    return [
        {
            **{key: row[f"k_{key}"] for key in keys},
            **{name: row[f"t_{name}"] or 0 for name in counts},
            **{name: as_sum(row[f"t_{name}"]) for name in sums},
        }
        for row in found
    ]


def _order(group: Group) -> str:
    return json.dumps(_encode(group), sort_keys=True, default=str)


#: The order of the rows a report shows as they are (the other families are summed up).
_SORT: dict[str, Callable[[Group], Any]] = {
    "purchases_sales": lambda group: (group["month"], group["currency"]),
    "flow": lambda group: (group["month"], group["category"], group["source"]),
}


# --- rebuild and check ----------------------------------------------------------------------


def _all_keys(dossier_ids: Collection[int] | None) -> set[tuple[int, int, date]]:
    documents = Document.objects.all()
    if dossier_ids is not None:
        documents = documents.filter(dossier_id__in=list(dossier_ids))
    return _keys_of(documents)


def rebuild(dossier_ids: Collection[int] | None = None) -> int:
    """Recompute every month of the dossiers (all: None) from their documents; rows of months
    that no longer hold a document go. Returns the number of months written."""
    keys = _all_keys(dossier_ids)
    stale = MonthSummary.objects.all()
    if dossier_ids is not None:
        stale = stale.filter(dossier_id__in=list(dossier_ids))
    stale.delete()
    KEEPER.refresh(keys)
    return len(keys)


def differences(dossier_ids: Collection[int] | None = None) -> list[tuple[int, date, str]]:
    """(dossier, month, family) whose rows differ from a read of the documents: a month
    missing, a stale month, or a group that is not what the documents give."""
    keys = _all_keys(dossier_ids)
    stored: dict[tuple[int, date, str], list[str]] = {}
    summaries = MonthSummary.objects.all()
    if dossier_ids is not None:
        summaries = summaries.filter(dossier_id__in=list(dossier_ids))
    for dossier_id, month, family, row in summaries.values_list(
        "dossier_id", "month", "report", "row"
    ):
        stored.setdefault((dossier_id, month, family), []).append(_order(_decode(row)))
    expected: dict[tuple[int, date, str], list[str]] = {}
    for firm_id, dossier_id, month in keys:
        for summary in _month_rows(dossier_id, firm_id, month):
            expected.setdefault((dossier_id, month, summary.report), []).append(
                _order(_decode(summary.row))
            )
    return sorted(
        key
        for key in set(stored) | set(expected)
        if sorted(stored.get(key, [])) != sorted(expected.get(key, []))
    )


def build_when_missing(**kwargs: Any) -> None:
    """After ``migrate``: a database that holds documents but no summary (the upgrade that
    brings the summaries) gets them built, once. Connected in ``ViewConfig.ready()``."""
    if kwargs.get("app_config") is None or kwargs["app_config"].label != "view":
        return
    using = kwargs.get("using", "default")
    if MonthSummary.objects.using(using).exists():
        return
    if (
        not Document.objects.using(using)
        .exclude(status__in=(Status.DRAFT, Status.WITHDRAWN))
        .exists()
    ):
        return
    months = rebuild()
    if kwargs.get("verbosity", 1):
        print(f"View: {months} dossier-months of summaries built.")  # noqa: T201
