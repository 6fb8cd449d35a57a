"""The mail outbox and the audit trail move from the portal app to the kernel (issue 17) with
their tables: a database holding outbox rows and audit events written on the schema before the
move keeps every row, with the same ids, keys and values, once migrated; the migrations run no
SQL on the tables, and their row-level-security policies are still there."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from core import db_scope
from core.models import AuditAction, AuditEvent, OutboundEmail
from tests.factories import DossierFactory, FirmFactory, UserFactory
from tests.migration_moves import DDL, applied, before_handover, migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

CORE_FIRST = ("core", "0001_initial")
OUTBOX_FIELDS = (
    "id",
    "public_id",
    "kind",
    "to",
    "subject",
    "payload",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "last_attempt_at",
    "sent_at",
)
AUDIT_FIELDS = (
    "id",
    "firm_id",
    "actor_id",
    "action",
    "dossier_id",
    "subject_user_id",
    "before",
    "after",
    "created_at",
)
TABLES = ("portal_outboundemail", "portal_auditevent")


@pytest.fixture
def pre_move() -> Iterator[Any]:
    """The database at the schema before the move; the historical portal models' registry.
    The database is put back at the latest schema whatever the test does."""
    previous = before_handover("portal", CORE_FIRST)
    try:
        ran = migrate([previous, ("core", None)])
        assert not [sql for sql in ran if DDL.match(sql)]
        executor = MigrationExecutor(connection)
        assert CORE_FIRST not in executor.loader.applied_migrations
        yield executor.loader.project_state([previous]).apps
    finally:
        migrate_to_latest()


def test_outbox_rows_and_audit_events_written_before_the_move_are_core_s_after_it(
    pre_move: Any,
) -> None:
    # Firms, dossiers and people exist before the rows: their tables do not move.
    firm, other_firm = FirmFactory(), FirmFactory()
    dossier = DossierFactory(firm=firm)
    admin, client = UserFactory(), UserFactory()
    HistoricalOutbound = pre_move.get_model("portal", "OutboundEmail")
    HistoricalEvent = pre_move.get_model("portal", "AuditEvent")
    assert HistoricalOutbound._meta.db_table == "portal_outboundemail"
    assert HistoricalEvent._meta.db_table == "portal_auditevent"
    with db_scope.system():
        HistoricalOutbound.objects.create(
            kind="message", to="a@example.be", subject="Bonjour", payload={"body": "x"}
        )
        HistoricalOutbound.objects.create(
            kind="invitation",
            to="b@example.be",
            subject="Invitation",
            payload={"sent": True},
            status="sent",
            attempts=2,
            last_error="",
        )
        HistoricalEvent.objects.create(
            firm_id=firm.pk,
            actor_id=admin.pk,
            action=AuditAction.DOSSIER_CHANGED,
            dossier_id=dossier.pk,
            before={"name": "Old"},
            after={"name": "New"},
        )
        HistoricalEvent.objects.create(
            firm_id=other_firm.pk,
            actor_id=None,
            action=AuditAction.USER_CREATED,
            subject_user_id=client.pk,
        )
        outbox_before = sorted(HistoricalOutbound.objects.values_list(*OUTBOX_FIELDS))
        audit_before = sorted(HistoricalEvent.objects.values_list(*AUDIT_FIELDS))
    assert len(outbox_before) == 2 and len(audit_before) == 2

    ran = migrate_to_latest()

    assert not [sql for sql in ran if DDL.match(sql)]  # the state moves, the tables do not
    assert CORE_FIRST in applied()
    assert OutboundEmail._meta.db_table == "portal_outboundemail"
    assert AuditEvent._meta.db_table == "portal_auditevent"
    with db_scope.system():
        assert sorted(OutboundEmail.objects.values_list(*OUTBOX_FIELDS)) == outbox_before
        assert sorted(AuditEvent.objects.values_list(*AUDIT_FIELDS)) == audit_before
        sent = OutboundEmail.objects.get(status=OutboundEmail.Status.SENT)
        assert (sent.kind, sent.attempts) == ("invitation", 2)
        changed = AuditEvent.objects.get(dossier=dossier)
        assert (changed.firm, changed.actor, changed.after) == (firm, admin, {"name": "New"})
        assert AuditEvent.objects.get(firm=other_firm).subject_user == client
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute("SELECT count(*) FROM pg_policies WHERE tablename = %s", [table])
            assert cursor.fetchone()[0] >= 1, table
            cursor.execute(
                "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s",
                [table],
            )
            assert cursor.fetchone() == (True, True), table
        for table in ("core_outboundemail", "core_auditevent"):
            cursor.execute("SELECT to_regclass(%s)", [table])
            assert cursor.fetchone()[0] is None  # no second table


def test_the_moved_outbox_keeps_its_constraints(pre_move: Any) -> None:
    """The check constraint and the unique public id are the table's: after the move a status
    outside the three, or a public id used twice, is refused as it was before."""
    with db_scope.system():
        row = pre_move.get_model("portal", "OutboundEmail").objects.create(
            kind="message", to="a@example.be", subject="S", payload={}
        )
    migrate_to_latest()
    with db_scope.system():
        with pytest.raises(IntegrityError, match="outbound_status_valid"), transaction.atomic():
            OutboundEmail.objects.create(
                kind="message", to="b@example.be", subject="S", payload={}, status="lost"
            )
        with pytest.raises(IntegrityError, match="public_id"), transaction.atomic():
            OutboundEmail.objects.create(
                public_id=row.public_id, kind="message", to="c@example.be", subject="S", payload={}
            )
        assert list(OutboundEmail.objects.values_list("pk", flat=True)) == [row.pk]
