"""The user's scope and the user's memberships in one round trip: a request writes its scope
when it starts and reads the memberships (the header, the two-factor rule) right after, so
``portal_scope_for_user_memberships(uid)`` does both. It writes the scope with
``portal_scope_for_user`` (unchanged), then returns the user's active memberships with their
firms, read under that scope (the row-level policies apply: FORCE ROW LEVEL SECURITY holds for
the function's owner too), as JSON rows that follow the tables' columns (core/db_scope.py,
dossiers/members.py)."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION portal_scope_for_user_memberships(uid bigint)
RETURNS TABLE (membership jsonb, firm jsonb)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM portal_scope_for_user(uid);
  RETURN QUERY
    SELECT to_jsonb(m), to_jsonb(f)
      FROM users_firmmembership m
      JOIN users_user u ON u.id = m.user_id
      JOIN dossiers_firm f ON f.id = m.firm_id
     WHERE m.user_id = uid AND m.is_active AND u.is_active
     ORDER BY m.id;
END
$$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT to_regprocedure('portal_scope_for_user_memberships(bigint)')")
        (existing,) = cursor.fetchone()
    if existing is None:
        schema_editor.execute(FUNCTION)


def backwards(apps, schema_editor):
    """The function is left in place: it only reads, under the scope it writes itself, and
    the code of the earlier migrations never calls it. (Migrating back over this one, as the
    tests of issue 17's moves do as the application role, which owns no function.)"""


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0011_content_types_follow_moved_models"),
        ("dossiers", "0006_members_moved_from_users"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
