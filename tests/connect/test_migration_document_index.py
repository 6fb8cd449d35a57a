"""connect 0025 drops the plain index on documents' dossier_id, and only it: the foreign key is
not dropped and made again (which would check every document under the table's strongest
lock); backwards, the index is made again."""

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("connect", "0024_month_summaries")
AFTER = ("connect", "0025_document_dossier_index_in_desk")


def _dossier_indexes_and_key() -> tuple[set[str], dict[str, int]]:
    """The indexes of connect_document on dossier_id alone, and its foreign keys on it (name:
    the constraint's oid, which a drop and re-add would change)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
            WHERE x.indrelid = 'connect_document'::regclass AND x.indnatts = 1
              AND a.attname = 'dossier_id'
            """
        )
        indexes = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            """
            SELECT c.conname, c.oid FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.conrelid = 'connect_document'::regclass AND c.contype = 'f'
              AND a.attname = 'dossier_id'
            """
        )
        keys = dict(cursor.fetchall())
    return indexes, keys


@pytest.fixture
def as_owner(settings) -> Iterator[None]:
    """Migrations run as the tables' owner, as `manage.py migrate` does in the deployment."""
    settings.DATABASE_APP_ROLE = ""
    connection.close()
    yield
    connection.close()  # the next test connects as the application role again


def test_the_migration_moves_the_index_only_both_ways(as_owner: None) -> None:
    indexes, keys = _dossier_indexes_and_key()
    assert indexes == set()
    assert len(keys) == 1
    try:
        MigrationExecutor(connection).migrate([BEFORE])
        back_indexes, back_keys = _dossier_indexes_and_key()
        assert back_indexes == {"connect_document_dossier_id_e2dcefcc"}  # Django's own name
        assert back_keys == keys  # the same constraint, never dropped
    finally:
        MigrationExecutor(connection).migrate([AFTER])
    assert _dossier_indexes_and_key() == (set(), keys)
