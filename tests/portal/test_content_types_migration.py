"""portal 0011: the content types of the models issue 17 moved follow them. A database that
kept the old ones (``users | firm membership`` beside ``dossiers | firm membership``) ends with
one content type per model, under its new label, with the admin's log entries and the
permissions given to users and groups moved over; one that had not made the new ones yet gets
its old ones renamed. Nothing is left behind under an old label."""

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import UserFactory
from tests.migration_moves import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

THIS = ("portal", "0011_content_types_follow_moved_models")
BEFORE = ("portal", "0010_outbox_audit_moved_to_core")
MOVED = {
    ("users", "firmmembership"): "dossiers",
    ("users", "dossieraccess"): "dossiers",
    ("users", "invitation"): "dossiers",
    ("portal", "auditevent"): "core",
    ("portal", "outboundemail"): "core",
    ("portal", "reportswitch"): "view",
}


@pytest.fixture
def before_this():
    migrate([BEFORE])
    assert THIS not in MigrationExecutor(connection).loader.applied_migrations
    ContentType.objects.clear_cache()
    yield
    migrate_to_latest()
    ContentType.objects.clear_cache()


def _stale(app_label: str, model: str) -> ContentType:
    """An old content type, with its permission, as Django made it before the move."""
    old = ContentType.objects.create(app_label=app_label, model=model)
    Permission.objects.create(content_type=old, codename=f"change_{model}", name="Can change")
    return old


def test_old_and_new_content_types_are_merged_into_the_new_one(before_this) -> None:
    new = ContentType.objects.get(app_label="dossiers", model="firmmembership")
    new_permission = Permission.objects.get(content_type=new, codename="change_firmmembership")
    old = _stale("users", "firmmembership")
    old_permission = Permission.objects.get(content_type=old)
    only_old = Permission.objects.create(
        content_type=old, codename="audit_firmmembership", name="Can audit"
    )
    operator = UserFactory()
    operator.user_permissions.add(old_permission)
    group = Group.objects.create(name="operators")
    group.permissions.add(old_permission, only_old)
    entry = LogEntry.objects.create(
        user=operator, content_type=old, object_id="1", object_repr="m", action_flag=ADDITION
    )

    migrate([THIS])

    assert not ContentType.objects.filter(pk=old.pk).exists()
    assert not Permission.objects.filter(pk=old_permission.pk).exists()
    entry.refresh_from_db()
    assert entry.content_type_id == new.pk
    assert set(operator.user_permissions.all()) == {new_permission}
    only_old.refresh_from_db()
    assert only_old.content_type_id == new.pk  # a permission without a twin moves over
    assert set(group.permissions.all()) == {new_permission, only_old}


def test_an_old_content_type_without_a_new_one_is_renamed(before_this) -> None:
    ContentType.objects.filter(app_label="core", model="auditevent").delete()
    old = _stale("portal", "auditevent")

    migrate([THIS])

    old.refresh_from_db()
    assert (old.app_label, old.model) == ("core", "auditevent")
    assert Permission.objects.filter(content_type=old, codename="change_auditevent").exists()


def test_no_content_type_is_left_under_an_old_label(before_this) -> None:
    for app_label, model in MOVED:
        _stale(app_label, model)

    migrate([THIS])

    for (app_label, model), new_label in MOVED.items():
        assert not ContentType.objects.filter(app_label=app_label, model=model).exists()
        assert ContentType.objects.filter(app_label=new_label, model=model).count() == 1
