"""The accountant's work queue: the inbox in the order the accountant chose (``?sort=``), its
pages, and the documents before and after one of them ("book and next").

Every order is a keyset: (sort key, id), the key never NULL (a missing fact sorts as an empty
text or as a very small number), so a page, and the next document after the one just booked,
costs the same whatever its position: the position is one row comparison (``rows_after``),
which PostgreSQL uses as an index bound. Narrowed to the actor's firm (``firm_ids``), the
default order walks that firm's index alone (``document_inbox_firm``, ``document_inbox_dossier``
with a dossier chosen); the other orders' keys are computed, so their pages sort the firm's
open documents (a deep page costs what the first does). Facts read by recognition are text in
``Document.recognized``; numbers are cast only when they look like numbers (a damaged value
sorts as missing instead of failing the page)."""

import binascii
import json
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import (
    Case,
    F,
    FloatField,
    IntegerField,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Lower
from django.db.models.lookups import Lookup, Regex
from django.http import Http404

from connect.documents.selectors import (
    AccountantDossiers,
    InboxFilters,
    accountant_dossiers_for,
    inbox_documents_for,
)
from connect.models import Document
from core.pagination import _pack, _unpack, rows_after
from users.models import User

#: What a missing number sorts as (amounts are below 10^12: pipeline._clean_fact).
NO_NUMBER = -1e15
NUMBER = r"^-?[0-9]{1,13}(\.[0-9]{1,6})?$"


def _number(key: str) -> Combinable:
    text = KT(f"recognized__{key}")
    return Case(
        When(Regex(text, NUMBER), then=Cast(text, FloatField())),
        default=Value(None),
        output_field=FloatField(),
    )


def _text(key: str) -> Combinable:
    return Coalesce(Lower(KT(f"recognized__{key}")), Value(""), output_field=TextField())


#: The columns the queue sorts by: their key expression and its kind (for the cursor).
SORT_KEYS: dict[str, tuple[Any, str]] = {
    "sent": (F("sent_at"), "datetime"),
    "dossier": (F("dossier__code"), "text"),
    "document": (Lower("filename"), "text"),
    "supplier": (_text("supplier_name"), "text"),
    "number": (_text("invoice_number"), "text"),
    "date": (Coalesce(KT("recognized__issue_date"), Value(""), output_field=TextField()), "text"),
    "total": (
        Coalesce(
            _number("total_incl_vat"),
            _number("payable_amount"),
            Value(NO_NUMBER),
            output_field=FloatField(),
        ),
        "number",
    ),
    "confidence": (
        Coalesce(_number("confidence"), Value(NO_NUMBER), output_field=FloatField()),
        "number",
    ),
    "status": (F("status"), "text"),
}
DEFAULT_SORT = "-sent"


@dataclass(frozen=True)
class QueueOrder:
    key: str
    descending: bool

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    def toggled(self, key: str) -> str:
        """The ``sort`` parameter of a column header: the other direction when it is the
        current column, ascending otherwise (newest first for the sent date)."""
        if key == self.key:
            return key if self.descending else f"-{key}"
        return f"-{key}" if key == "sent" else key


def queue_order(value: str | None) -> QueueOrder:
    """The order asked for, if it is one of the columns; the default (newest first) else."""
    value = (value or "").strip()
    key = value.removeprefix("-")
    if key not in SORT_KEYS:
        value = DEFAULT_SORT
        key = value.removeprefix("-")
    return QueueOrder(key=key, descending=value.startswith("-"))


def _ordered(documents: QuerySet[Document], order: QueueOrder) -> QuerySet[Document]:
    expression = SORT_KEYS[order.key][0]
    documents = documents.annotate(queue_key=expression)
    if order.descending:
        return documents.order_by(F("queue_key").desc(), "-id")
    return documents.order_by(F("queue_key").asc(), "id")


def _after(order: QueueOrder, value: Any, pk: int, *, backwards: bool = False) -> "Lookup[Any]":
    """Rows after (value, pk) in the order (before it when ``backwards``)."""
    later = order.descending == backwards  # ascending forwards, or descending backwards
    return rows_after(("queue_key", "id"), (value, pk), descending=not later)


def _in_firms(
    documents: QuerySet[Document], firm_ids: Collection[int] | None
) -> QuerySet[Document]:
    """``documents`` narrowed to the firms the actor belongs to (``firm_ids``: their active
    memberships', which the page reads for its header anyway). No row changes: an accountant's
    dossiers are in firms they belong to (``Dossier.objects.with_role``). But one firm is an
    equality PostgreSQL can start an index with, so the default order reads that firm's rows
    from the cursor on, not every firm's (the dossiers are a subquery it cannot)."""
    ids = sorted(set(firm_ids or ()))
    if not ids:
        return documents
    return documents.filter(firm_id=ids[0]) if len(ids) == 1 else documents.filter(firm_id__in=ids)


def _cursor_encode(order: QueueOrder, value: Any, pk: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    return _pack(json.dumps([order.param, value, pk]))


def _cursor_decode(order: QueueOrder, cursor: str) -> tuple[Any, int] | None:
    """A cursor of another order, or that does not decode, starts the list again."""
    try:
        param, value, pk = json.loads(_unpack(cursor))
        if param != order.param:
            return None
        kind = SORT_KEYS[order.key][1]
        if kind == "datetime":
            value = datetime.fromisoformat(value)
        elif kind == "number":
            value = float(value)
        else:
            value = str(value)
        return value, int(pk)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, binascii.Error):
        return None


#: What a row of the queue shows (views_inbox.inbox_rows, iban_changes_for): a page reads
#: these columns only, not the other forty, nor the large JSON of the machine's first reading
#: and the e-invoice's preview (the document's page shows those).
ROW_FIELDS = (
    "public_id",
    "dossier_id",
    "filename",
    "thumbnail_name",
    "sender_unverified",
    "recognized",
    "amount",
    "currency",
    "category",
    "source",
    "status",
    "recognition",
    "sent_at",
    "replaces_id",
)


def _page_query(
    actor: User,
    filters: InboxFilters,
    order: QueueOrder,
    cursor: str,
    firm_ids: Collection[int] | None,
    within: AccountantDossiers | None,
) -> QuerySet[Document]:
    documents = inbox_documents_for(actor=actor, filters=filters, within=within)
    documents = _ordered(_in_firms(documents, firm_ids), order)
    position = _cursor_decode(order, cursor) if cursor else None
    if position is not None:
        documents = documents.filter(_after(order, *position))
    return documents


class QueueRow(NamedTuple):
    """A row of the queue as the inbox shows it: its columns (``ROW_FIELDS``), read as values
    rather than models (a page is 50 rows, read-only, and building models cost a third of
    the query). Its dossier is ``dossier_id`` only: the page has read the dossiers."""

    id: int
    public_id: uuid.UUID
    dossier_id: int
    filename: str
    thumbnail_name: str
    sender_unverified: bool
    recognized: dict[str, Any] | None
    amount: Decimal | None
    currency: str
    category: str
    source: str
    status: str
    recognition: str
    sent_at: datetime | None
    replaces_id: int | None
    queue_key: Any

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True)
class QueueRows:
    rows: list[QueueRow]
    next_cursor: str | None


def queue_rows_for(
    *,
    actor: User,
    filters: InboxFilters,
    order: QueueOrder,
    cursor: str = "",
    size: int = 50,
    firm_ids: Collection[int] | None = None,
    within: AccountantDossiers | None = None,
) -> QueueRows:
    """One page of the queue in the chosen order, as ``QueueRow`` values (``firm_ids``: see
    ``_in_firms``; ``within``: see ``inbox_documents_for``)."""
    documents = _page_query(actor, filters, order, cursor, firm_ids, within)
    rows = [
        QueueRow._make(values)
        for values in documents.values_list("id", *ROW_FIELDS, "queue_key")[: size + 1]
    ]
    next_cursor = None
    if len(rows) > size:
        last = rows[size - 1]
        next_cursor = _cursor_encode(order, last.queue_key, last.id)
    return QueueRows(rows=rows[:size], next_cursor=next_cursor)


@dataclass(frozen=True)
class Neighbours:
    previous: Document | None
    next: Document | None


def queue_neighbours_for(
    *,
    actor: User,
    filters: InboxFilters,
    order: QueueOrder,
    document: Document,
    firm_ids: Collection[int] | None = None,
) -> Neighbours:
    """The documents before and after ``document`` in the queue (it need not be in the
    queue any more: a document just booked keeps its place, the next one follows it);
    ``firm_ids``: see ``_in_firms``."""
    key = (
        Document.objects.visible_to(actor)
        .filter(pk=document.pk)
        .annotate(queue_key=SORT_KEYS[order.key][0])
        .values_list("queue_key", flat=True)
        .first()
    )
    documents = _page_query(actor, filters, order, "", firm_ids, None)
    # Both in one query: the first row after the document and the first before it, each
    # marked with its side.
    following = documents.filter(_after(order, key, document.pk)).annotate(
        queue_side=Value(1, output_field=IntegerField())
    )[:1]
    preceding = (
        documents.filter(_after(order, key, document.pk, backwards=True))
        .annotate(queue_side=Value(0, output_field=IntegerField()))
        .reverse()[:1]
    )
    sides = {row.queue_side: row for row in following.union(preceding, all=True)}
    return Neighbours(previous=sides.get(0), next=sides.get(1))


#: At most this many documents in one bulk action or zip.
BULK_MAX = 200


def queue_documents_get_for(*, actor: User, public_ids: list[str]) -> list[Document]:
    """The chosen documents of the actor's inbox (sent to a dossier they keep as accountant).
    One id out of reach (another firm's, a draft, a typo) and nothing is done: 404."""
    wanted: set[uuid.UUID] = set()
    for value in public_ids[: BULK_MAX + 1]:
        try:
            wanted.add(uuid.UUID(str(value)))
        except ValueError:
            raise Http404 from None
    if not wanted or len(wanted) > BULK_MAX:
        raise Http404
    documents = list(
        Document.objects.filter(
            dossier__in=accountant_dossiers_for(actor=actor).values("id"),
            public_id__in=wanted,
            sent_at__isnull=False,
        )
        .select_related("dossier")
        .order_by("-sent_at", "-id")
    )
    if len(documents) != len(wanted):
        raise Http404
    return documents
