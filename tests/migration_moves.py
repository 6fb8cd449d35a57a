"""Helpers of the tests of issue 17's model moves (tests/*/test_move_migration.py): migrate the
test database to given targets and back to the latest schema, and tell whether any SQL that
changes a table ran (a move keeps its tables: state-only migrations run none)."""

import re

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.operations import SeparateDatabaseAndState
from django.test.utils import CaptureQueriesContext

DDL = re.compile(r"^\s*(CREATE|ALTER|DROP|TRUNCATE|RENAME)\b", re.I)

Target = tuple[str, str | None]


def migrate(targets: list[Target]) -> list[str]:
    """Migrate to ``targets`` (a fresh executor reads what is applied); the SQL it ran."""
    executor = MigrationExecutor(connection)
    with CaptureQueriesContext(connection) as queries:
        executor.migrate(targets)
    return [query["sql"] for query in queries.captured_queries]


def migrate_to_latest() -> list[str]:
    return migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def applied() -> set[tuple[str, str]]:
    return set(MigrationExecutor(connection).loader.applied_migrations)


def state_only(migration) -> bool:
    """A move: every operation changes the state only, none the database."""
    return bool(migration.operations) and all(
        isinstance(operation, SeparateDatabaseAndState) and not operation.database_operations
        for operation in migration.operations
    )


def before_handover(app: str, taker: tuple[str, str]) -> tuple[str, str]:
    """The migration of ``app`` a move starts from: the one before the migration of ``app``
    that hands its models over (it depends on ``taker``, the receiving app's migration),
    found by that dependency whatever its number."""
    loader = MigrationExecutor(connection).loader
    (handover,) = [
        migration
        for (label, _), migration in loader.disk_migrations.items()
        if label == app and taker in migration.dependencies and state_only(migration)
    ]
    (previous,) = [dep for dep in handover.dependencies if dep[0] == app]
    return previous
