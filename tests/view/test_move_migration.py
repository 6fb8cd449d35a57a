"""The report switches move from the portal app to view (issue 17) with their table: a database
holding switches written on the schema before the move keeps every row, with the same ids,
keys and values, once migrated; the migrations run no SQL on the table, and its
row-level-security policy is still there."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from tests.factories import DossierFactory, FirmFactory, UserFactory
from tests.migration_moves import DDL, applied, before_handover, migrate, migrate_to_latest
from view.models import ReportSwitch

pytestmark = pytest.mark.django_db(transaction=True)

VIEW_FIRST = ("view", "0001_initial")
FIELDS = ("id", "firm_id", "dossier_id", "report", "switched_by_id", "switched_at")


@pytest.fixture
def pre_move() -> Iterator[Any]:
    """The database at the schema before the move; the historical ``portal.ReportSwitch``.
    The database is put back at the latest schema whatever the test does."""
    previous = before_handover("portal", VIEW_FIRST)
    try:
        ran = migrate([previous, ("view", None)])
        assert not [sql for sql in ran if DDL.match(sql)]
        executor = MigrationExecutor(connection)
        assert VIEW_FIRST not in executor.loader.applied_migrations
        yield executor.loader.project_state([previous]).apps.get_model("portal", "ReportSwitch")
    finally:
        migrate_to_latest()


def test_switches_written_before_the_move_are_view_s_after_it(pre_move: Any) -> None:
    # Firms, dossiers and a person exist before the switches: their tables do not move.
    firm, other_firm = FirmFactory(), FirmFactory()
    dossier = DossierFactory(firm=firm)
    other_dossier = DossierFactory(firm=other_firm)
    admin = UserFactory()
    HistoricalSwitch = pre_move
    assert HistoricalSwitch._meta.db_table == "portal_reportswitch"
    HistoricalSwitch.objects.create(firm_id=firm.pk, dossier_id=None, report="waiting")
    HistoricalSwitch.objects.create(
        firm_id=firm.pk, dossier_id=dossier.pk, report="vat", switched_by_id=admin.pk
    )
    HistoricalSwitch.objects.create(
        firm_id=other_firm.pk, dossier_id=other_dossier.pk, report="unpaid"
    )
    before = sorted(HistoricalSwitch.objects.values_list(*FIELDS))
    assert len(before) == 3 and {row[3] for row in before} == {"waiting", "vat", "unpaid"}

    ran = migrate_to_latest()

    assert not [sql for sql in ran if DDL.match(sql)]  # the state moves, the table does not
    assert VIEW_FIRST in applied()
    assert ReportSwitch._meta.db_table == "portal_reportswitch"
    assert sorted(ReportSwitch.objects.values_list(*FIELDS)) == before
    firm_wide = ReportSwitch.objects.get(firm=firm, dossier=None)
    assert firm_wide.report == "waiting"
    assert ReportSwitch.objects.get(dossier=dossier).switched_by == admin
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_policies WHERE tablename = 'portal_reportswitch'")
        assert cursor.fetchone()[0] >= 1
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = 'portal_reportswitch'"
        )
        assert cursor.fetchone() == (True, True)
        cursor.execute("SELECT to_regclass('view_reportswitch')")
        assert cursor.fetchone()[0] is None  # no second table


def test_the_moved_model_keeps_its_constraints(pre_move: Any) -> None:
    """The unique constraints are the table's: a second firm-wide switch of the same report,
    written after the move, is refused as it was before."""
    firm = FirmFactory()
    pre_move.objects.create(firm_id=firm.pk, dossier_id=None, report="vat")
    migrate_to_latest()
    with pytest.raises(IntegrityError, match="report_switch_firm_unique"), transaction.atomic():
        ReportSwitch.objects.create(firm=firm, dossier=None, report="vat")
    assert ReportSwitch.objects.filter(firm=firm).count() == 1
