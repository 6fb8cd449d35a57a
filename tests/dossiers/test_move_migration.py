"""The firm's members, their dossier roles and the invitations move from the users app to
dossiers (issue 17) with their tables: a database holding memberships, roles and invitations
written on the schema before the move keeps every row, with the same ids, keys and values, once
migrated; the migrations run no SQL on the tables, and their row-level-security policies are
still there."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from dossiers.models import DossierAccess, FirmLevel, FirmMembership, Invitation, Role
from tests.factories import DossierFactory, FirmFactory, UserFactory
from tests.migration_moves import DDL, applied, migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

DOSSIERS_TAKEOVER = ("dossiers", "0006_members_moved_from_users")
TABLES = ("users_firmmembership", "users_dossieraccess", "users_invitation")
MEMBERSHIP_FIELDS = ("id", "user_id", "firm_id", "level", "is_active", "display_label")
ACCESS_FIELDS = ("id", "user_id", "dossier_id", "role")
INVITATION_FIELDS = (
    "id",
    "public_id",
    "user_id",
    "firm_id",
    "invited_by_id",
    "token_hash",
    "expires_at",
    "accepted_at",
    "revoked_at",
)


def before_move() -> list[tuple[str, str]]:
    """The migrations the move starts from: those the dossiers migration that takes the models
    over depends on, of the users and dossiers apps (found by name, whatever their number)."""
    loader = MigrationExecutor(connection).loader
    (takeover,) = [
        migration
        for (app, name), migration in loader.disk_migrations.items()
        if app == "dossiers" and (app, name) == DOSSIERS_TAKEOVER
    ]
    return [
        dep
        for dep in takeover.dependencies
        if dep[0] in ("users", "dossiers") and dep[1] != "__first__"
    ]


@pytest.fixture
def pre_move() -> Iterator[dict[str, Any]]:
    """The database at the schema before the move; the historical ``users`` models. The
    database is put back at the latest schema whatever the test does."""
    previous = before_move()
    try:
        ran = migrate(previous)
        assert not [sql for sql in ran if DDL.match(sql)]
        executor = MigrationExecutor(connection)
        assert DOSSIERS_TAKEOVER not in executor.loader.applied_migrations
        apps = executor.loader.project_state(previous).apps
        yield {
            name: apps.get_model("users", name)
            for name in ("FirmMembership", "DossierAccess", "Invitation")
        }
    finally:
        migrate_to_latest()


def test_rows_written_before_the_move_are_the_dossiers_app_s_after_it(
    pre_move: dict[str, Any],
) -> None:
    # Firms, dossiers and people exist before: their tables do not move.
    firm, other_firm = FirmFactory(), FirmFactory()
    dossier = DossierFactory(firm=firm)
    other_dossier = DossierFactory(firm=other_firm)
    admin, client = UserFactory(), UserFactory()
    HistoricalMembership = pre_move["FirmMembership"]
    HistoricalAccess = pre_move["DossierAccess"]
    HistoricalInvitation = pre_move["Invitation"]
    assert [m._meta.db_table for m in pre_move.values()] == list(TABLES)
    HistoricalMembership.objects.create(user_id=admin.pk, firm_id=firm.pk, level="licence_admin")
    HistoricalMembership.objects.create(
        user_id=client.pk, firm_id=firm.pk, level="user", display_label="Client A"
    )
    HistoricalMembership.objects.create(
        user_id=client.pk, firm_id=other_firm.pk, level="user", is_active=False
    )
    HistoricalAccess.objects.create(user_id=client.pk, dossier_id=dossier.pk, role="view.user")
    HistoricalAccess.objects.create(
        user_id=client.pk, dossier_id=other_dossier.pk, role="connect.entrepreneur"
    )
    now = timezone.now()
    HistoricalInvitation.objects.create(
        user_id=client.pk,
        firm_id=firm.pk,
        invited_by_id=admin.pk,
        token_hash="a" * 64,
        expires_at=now + timedelta(days=7),
    )
    HistoricalInvitation.objects.create(
        user_id=client.pk, firm_id=other_firm.pk, expires_at=now, revoked_at=now
    )
    memberships = sorted(HistoricalMembership.objects.values_list(*MEMBERSHIP_FIELDS))
    accesses = sorted(HistoricalAccess.objects.values_list(*ACCESS_FIELDS))
    invitations = sorted(HistoricalInvitation.objects.values_list(*INVITATION_FIELDS))
    # The factories may add their own rows (a dossier's accountant is a member): all are kept.
    ours = [row for row in memberships if row[1] in (admin.pk, client.pk)]
    assert (len(ours), len(accesses), len(invitations)) == (3, 2, 2)

    ran = migrate_to_latest()

    assert not [sql for sql in ran if DDL.match(sql)]  # the state moves, the tables do not
    assert DOSSIERS_TAKEOVER in applied()
    assert (
        FirmMembership._meta.db_table,
        DossierAccess._meta.db_table,
        Invitation._meta.db_table,
    ) == TABLES
    assert sorted(FirmMembership.objects.values_list(*MEMBERSHIP_FIELDS)) == memberships
    assert sorted(DossierAccess.objects.values_list(*ACCESS_FIELDS)) == accesses
    assert sorted(Invitation.objects.values_list(*INVITATION_FIELDS)) == invitations
    assert FirmMembership.objects.get(user=admin).level == FirmLevel.LICENCE_ADMIN
    assert FirmMembership.objects.get(user=client, firm=firm).display_name == "Client A"
    assert DossierAccess.objects.get(dossier=dossier).role == Role.VIEW_USER
    assert Invitation.objects.get(firm=firm).invited_by == admin
    assert Invitation.objects.get(firm=other_firm).status == "revoked"
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute("SELECT count(*) FROM pg_policies WHERE tablename = %s", [table])
            assert cursor.fetchone()[0] >= 1, table
            cursor.execute(
                "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s",
                [table],
            )
            assert cursor.fetchone() == (True, True), table
            cursor.execute("SELECT to_regclass(%s)", [table.replace("users_", "dossiers_")])
            assert cursor.fetchone()[0] is None  # no second table


def test_the_moved_models_keep_their_constraints(pre_move: dict[str, Any]) -> None:
    """The constraints are the tables': a second membership of the same person in the same
    firm, or a second row of the same role, written after the move, is refused as before."""
    firm = FirmFactory()
    dossier = DossierFactory(firm=firm)
    user = UserFactory()
    pre_move["FirmMembership"].objects.create(user_id=user.pk, firm_id=firm.pk, level="user")
    pre_move["DossierAccess"].objects.create(
        user_id=user.pk, dossier_id=dossier.pk, role="view.user"
    )
    migrate_to_latest()
    with pytest.raises(IntegrityError, match="membership_unique_user_firm"), transaction.atomic():
        FirmMembership.objects.create(user=user, firm=firm, level=FirmLevel.POWER_USER)
    with (
        pytest.raises(IntegrityError, match="access_unique_user_dossier_role"),
        transaction.atomic(),
    ):
        DossierAccess.objects.create(user=user, dossier=dossier, role=Role.VIEW_USER)
    with pytest.raises(IntegrityError, match="membership_level_valid"), transaction.atomic():
        FirmMembership.objects.filter(user=user).update(level="owner")
    assert FirmMembership.objects.filter(user=user).count() == 1
