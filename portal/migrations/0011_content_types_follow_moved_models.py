"""The content types of the models that issue 17 moved between apps follow them.

A move keeps the table (``SeparateDatabaseAndState``) but Django keys a model's content type by
its app label: after the moves, ``users | firm membership`` and the others stayed behind as
stale rows, and Django created new ones for the new labels. Here each old content type is either
renamed to its new label (a database that had not made the new one yet: one migrate run from
before the moves), or, when both exist, merged into the new one: the admin's log entries and
the users' and groups' permissions are moved over, then the old rows are deleted. No row of a
tenant table is touched. A fresh database has neither yet: nothing to do."""

from django.db import migrations

#: (old app label, new app label, model name) of every move (issue 17).
MOVES = (
    ("portal", "view", "reportswitch"),
    ("portal", "core", "outboundemail"),
    ("portal", "core", "auditevent"),
    ("users", "dossiers", "firmmembership"),
    ("users", "dossiers", "dossieraccess"),
    ("users", "dossiers", "invitation"),
)


def _merge_permissions(apps, old_type, new_type) -> None:
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("users", "User")
    Group = apps.get_model("auth", "Group")
    for old in Permission.objects.filter(content_type=old_type):
        new = Permission.objects.filter(content_type=new_type, codename=old.codename).first()
        if new is None:  # a permission Django had not made yet under the new label
            old.content_type = new_type
            old.save(update_fields=["content_type"])
            continue
        for user in User.objects.filter(user_permissions=old):
            user.user_permissions.add(new)
        for group in Group.objects.filter(permissions=old):
            group.permissions.add(new)
        old.delete()


def follow(apps, schema_editor) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    LogEntry = apps.get_model("admin", "LogEntry")
    for old_label, new_label, model in MOVES:
        old_type = ContentType.objects.filter(app_label=old_label, model=model).first()
        if old_type is None:
            continue
        new_type = ContentType.objects.filter(app_label=new_label, model=model).first()
        if new_type is None:
            old_type.app_label = new_label
            old_type.save(update_fields=["app_label"])
            continue
        LogEntry.objects.filter(content_type=old_type).update(content_type=new_type)
        _merge_permissions(apps, old_type, new_type)
        old_type.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0010_outbox_audit_moved_to_core"),
        ("view", "0001_initial"),
        ("core", "0001_initial"),
        ("dossiers", "0006_members_moved_from_users"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("users", "0006_members_moved_to_dossiers"),
    ]

    operations = [migrations.RunPython(follow, migrations.RunPython.noop)]
