"""The keyset condition (core.pagination.rows_after) as each database is given it."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLite

from connect.models import Document
from core.pagination import rows_after

WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _sql(queryset, on) -> str:
    sql, params = queryset.query.get_compiler(connection=on).as_sql()
    return sql % tuple(repr(p) for p in params)


def test_postgresql_is_given_one_row_comparison_in_either_direction() -> None:
    newer = Document.objects.filter(rows_after(("sent_at", "id"), (WHEN, 7), descending=True))
    older = Document.objects.filter(rows_after(("sent_at", "id"), (WHEN, 7), descending=False))
    assert '("connect_document"."sent_at", "connect_document"."id") < (' in _sql(newer, connection)
    assert '("connect_document"."sent_at", "connect_document"."id") > (' in _sql(older, connection)


def test_sqlite_of_make_run_is_given_the_same_condition_spelled_out() -> None:
    """`make run` serves the pages from SQLite, which Django gives the OR form."""
    sqlite = SQLite({**connection.settings_dict, "NAME": ":memory:"}, alias="keyset-sqlite")
    newer = Document.objects.filter(rows_after(("sent_at", "id"), (WHEN, 7), descending=True))
    assert (
        '("connect_document"."sent_at" < %s OR ("connect_document"."sent_at" = %s '
        'AND "connect_document"."id" < %s))'
    ) % ((repr("2026-03-02 09:30:00"),) * 2 + ("7",)) in _sql(newer, sqlite)


def test_a_key_without_its_value_is_refused() -> None:
    with pytest.raises(ValueError, match="one value per key"):
        rows_after(("sent_at", "id"), (WHEN,), descending=True)
