"""Issue 17 moves models between apps keeping their tables. The whole database, populated as a
firm uses it (the demo firms with a year of activity: documents in every state, their files,
payments, messages, tasks, requests, the audit trail and the outbox), goes back to the schema
before the moves and forward again: every table keeps the same rows, value for value (a digest
per table), and every stored file its sha256. Going back and forth runs only the moves (state
only, no SQL on any table): a plan that would unapply any other migration fails the test.

The moves are found by what they are, not by number: migrations whose operations are all
``SeparateDatabaseAndState`` without database operations."""

import hashlib
from collections.abc import Iterator

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from connect.models import Document, Message, Status
from connect.models.collaboration import PaymentBatch, Task
from core import db_scope
from tests.migration_moves import state_only

pytestmark = pytest.mark.django_db(transaction=True)

Key = tuple[str, str]

#: Depends on the moves, so it is undone with them; it changes no table of a fresh database.
CONTENT_TYPES_FOLLOW = ("portal", "0011_content_types_follow_moved_models")
#: Later migrations of an app with a move come after it, so they are undone with the moves;
#: each changes no table (the digests below say so): a database function only.
AFTER_THE_MOVES = {("portal", "0012_scope_for_user_memberships")}


def moves(executor: MigrationExecutor) -> set[Key]:
    return {
        key for key, migration in executor.loader.disk_migrations.items() if state_only(migration)
    }


def before_moves(executor: MigrationExecutor) -> list[tuple[str, str | None]]:
    """For each app with a move, the migration before its first one (None: the app is new)."""
    graph = executor.loader.graph
    found = moves(executor)
    targets: list[tuple[str, str | None]] = []
    for app in sorted({app for app, _ in found}):
        first = min(
            (key for key in found if key[0] == app),
            key=lambda key: len(graph.forwards_plan(key)),
        )
        parents = [parent for parent in graph.node_map[first].parents if parent.key[0] == app]
        targets.append((app, parents[0].key[1] if parents else None))
    return targets


def table_digests() -> dict[str, tuple[int, str]]:
    """Every table of the database but the migration record: its row count and an md5 of its
    rows, each row as text, in a stable order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'django_migrations' ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
        digests = {}
        for table in tables:
            rows = "md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
            quoted = connection.ops.quote_name(table)  # a name read from pg_tables
            cursor.execute(f"SELECT count(*), {rows} FROM {quoted} t")  # noqa: S608
            digests[table] = tuple(cursor.fetchone())
    return digests


def file_digests() -> dict[int, str]:
    digests = {}
    for pk, name in Document.objects.exclude(storage_name="").values_list("pk", "storage_name"):
        with default_storage.open(name) as handle:
            digests[pk] = hashlib.sha256(handle.read()).hexdigest()
    return digests


@pytest.fixture
def populated(settings, tmp_path) -> Iterator[None]:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("demo_data", verbosity=0)
    try:
        yield
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
        tables = connection.introspection.django_table_names(only_existing=True)
        connection.ops.execute_sql_flush(
            connection.ops.sql_flush(no_style(), tables, allow_cascade=True)
        )


def test_the_whole_database_goes_back_before_the_moves_and_forward_unchanged(populated) -> None:
    with db_scope.system():  # every firm's rows, as the owner's migrations see them
        check_round_trip()


def check_round_trip() -> None:
    # What a firm's database holds, so that the digests cover real rows.
    statuses = set(Document.objects.values_list("status", flat=True))
    assert {Status.DRAFT, Status.SENT, Status.RETRIEVED, Status.BOOKED, Status.REJECTED} <= statuses
    assert Message.objects.exists() and Task.objects.exists()
    assert PaymentBatch.objects.exists() or Document.objects.filter(paid=True).exists()
    rows, files = table_digests(), file_digests()
    assert len(files) > 80 and all(files.values())
    assert all(
        Document.objects.get(pk=pk).sha256 == digest for pk, digest in list(files.items())[:20]
    )

    executor = MigrationExecutor(connection)
    found = moves(executor)
    assert {app for app, _ in found} >= {"portal", "view", "core"}
    targets = before_moves(executor)
    backwards = executor.migration_plan(targets)
    unapplied = {(m.app_label, m.name) for m, backward in backwards if backward}
    undone = found | {CONTENT_TYPES_FOLLOW} | AFTER_THE_MOVES
    assert unapplied and unapplied <= undone, unapplied - undone  # only the moves are undone
    executor.migrate(targets)
    assert table_digests() == rows

    executor = MigrationExecutor(connection)
    forwards = executor.migration_plan(executor.loader.graph.leaf_nodes())
    assert {(m.app_label, m.name) for m, _ in forwards} == unapplied
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert table_digests() == rows
    assert file_digests() == files
