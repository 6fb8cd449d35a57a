"""Keyset cursors: the position of the last row shown (its sort key and id), opaque to the
browser (URL-safe base64, padding stripped). A cursor that does not decode is None: a page
starts again from the top, the API answers an error. One pair per sort order:

- lists ordered by (time, id): ``time_cursor_encode``/``time_cursor_decode``, "<ISO time>|<id>";
- lists ordered by (name, id): ``name_cursor_encode``/``name_cursor_decode``, the JSON
  ``[name, id]``;
- lists ordered by id alone (API v1): ``id_cursor_encode``/``id_cursor_decode``, "k<id>"
  (clients hold such cursors: the format may not change).

``rows_after`` is the condition of the next page: one row comparison, which PostgreSQL uses as
the bound of an index whose columns are the tenant's then the sort keys (docs/operations.md,
"Keyset pages")."""

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import F, IntegerField, QuerySet, Subquery
from django.db.models.expressions import Combinable
from django.db.models.fields.tuple_lookups import (
    Tuple,
    TupleGreaterThan,
    TupleLessThan,
)
from django.db.models.lookups import Lookup
from django.db.models.query import ModelIterable


def _pack(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _unpack(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()


def time_cursor_encode(when: datetime | None, pk: int) -> str:
    return _pack(f"{when.isoformat() if when else ''}|{pk}")


def time_cursor_decode(cursor: str) -> tuple[datetime, int] | None:
    try:
        when, pk = _unpack(cursor).split("|")
        return datetime.fromisoformat(when), int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


def name_cursor_encode(name: str, pk: int) -> str:
    return _pack(json.dumps([name, pk]))


def name_cursor_decode(cursor: str) -> tuple[str, int] | None:
    try:
        name, pk = json.loads(_unpack(cursor))
        return str(name), int(pk)
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
        return None


def id_cursor_encode(pk: int) -> str:
    return _pack(f"k{pk}")


def id_cursor_decode(cursor: str) -> int | None:
    try:
        raw = _unpack(cursor)
        if not raw.startswith("k"):
            return None
        return int(raw[1:])
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


def rows_after(
    keys: Sequence[str | Combinable], position: Sequence[Any], *, descending: bool
) -> "Lookup[Any]":
    """The rows after ``position`` (the last row shown) in the order of ``keys``, all
    descending or all ascending, the last key unique (the id): ``(sent_at, id) < (x, y)``.

    As one row comparison, PostgreSQL starts the index scan at the position (an "Index Cond"),
    where ``sent_at < x OR (sent_at = x AND id < y)`` is a filter applied to every row from
    the top of the list, so that a deep page read every row before it. SQLite (``make run``)
    gets that OR form from Django, which means the same. Filter with it:
    ``documents.filter(rows_after(("sent_at", "id"), (x, y), descending=True))``; a key may
    be an annotation's name (the work queue's computed keys)."""
    if len(keys) != len(position):
        raise ValueError("one value per key")
    columns = Tuple(*(F(key) if isinstance(key, str) else key for key in keys))
    comparison = TupleLessThan if descending else TupleGreaterThan
    return comparison(columns, tuple(position))


# --- numbered pages in one query ---------------------------------------------------------------


class _CountOf(Subquery):
    """``(SELECT COUNT(*) FROM (<query>))``: uncorrelated, PostgreSQL computes it once (an
    InitPlan) beside the page's rows, without reading the rows of other pages."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) portal_counted)"
    output_field = IntegerField()


#: The annotation that carries the total on each row of a page.
TOTAL = "portal_page_total"


class OneQueryPaginator(Paginator):
    """Django's ``Paginator`` whose ``get_page`` reads a queryset's page and the total in one
    query (the count rides on each row), instead of a ``COUNT`` and then the rows. A page past
    the end, a number that is not one, or a list that is not a queryset: Django's own way (the
    count first, then the last page)."""

    def get_page(self, number: Any) -> Page:
        try:
            wanted = int(number) if number is not None else 1
        except (TypeError, ValueError):
            wanted = 1
        queryset = self.object_list
        if wanted < 1 or self.orphans or not isinstance(queryset, QuerySet):
            return super().get_page(number)
        if queryset._iterable_class is not ModelIterable:  # rows as dicts or tuples
            return super().get_page(number)
        if queryset.query.is_sliced or queryset.query.combinator:
            return super().get_page(number)
        bottom = (wanted - 1) * self.per_page
        counted = queryset.order_by().values("pk")
        rows = list(
            queryset.annotate(**{TOTAL: _CountOf(counted)})[bottom : bottom + self.per_page]
        )
        if rows:
            self.__dict__["count"] = getattr(rows[0], TOTAL)
        elif wanted == 1:
            self.__dict__["count"] = 0
        else:
            return super().get_page(number)
        return Page(rows, wanted, self)
