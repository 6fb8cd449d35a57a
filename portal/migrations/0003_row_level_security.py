"""Row-level security on the tenant tables: the second wall behind the application's own
filters (core/db_scope.py, docs/tenancy.md). PostgreSQL only; SQLite (`make run`) has none."""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION portal_scope_system() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('portal.scope', true), '') = 'system'
$$;

CREATE OR REPLACE FUNCTION portal_scope_user() RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('portal.user', true), '')::bigint
$$;

CREATE OR REPLACE FUNCTION portal_scope_dossiers() RETURNS bigint[]
LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    string_to_array(nullif(current_setting('portal.dossiers', true), ''), ',')::bigint[],
    '{}'::bigint[])
$$;

CREATE OR REPLACE FUNCTION portal_scope_firms() RETURNS bigint[]
LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    string_to_array(nullif(current_setting('portal.firms', true), ''), ',')::bigint[],
    '{}'::bigint[])
$$;

-- The acting user's scope, computed from the same rules as DossierQuerySet.visible_to: the
-- firms where they are active staff, and the dossiers where they hold a role in a firm they
-- still belong to. SECURITY DEFINER: it reads the tables as their owner.
CREATE OR REPLACE FUNCTION portal_scope_for_user(uid bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  firms text;
  dossiers text;
BEGIN
  SELECT string_agg(DISTINCT m.firm_id::text, ',') INTO firms
    FROM users_firmmembership m JOIN users_user u ON u.id = m.user_id
   WHERE m.user_id = uid AND m.is_active AND u.is_active
     AND m.level IN ('licence_admin', 'power_user');
  SELECT string_agg(DISTINCT a.dossier_id::text, ',') INTO dossiers
    FROM users_dossieraccess a
    JOIN dossiers_dossier d ON d.id = a.dossier_id
    JOIN users_firmmembership m ON m.firm_id = d.firm_id AND m.user_id = a.user_id
    JOIN users_user u ON u.id = a.user_id
   WHERE a.user_id = uid AND m.is_active AND u.is_active;
  PERFORM set_config('portal.scope', 'user', false),
          set_config('portal.user', uid::text, false),
          set_config('portal.firms', coalesce(firms, ''), false),
          set_config('portal.dossiers', coalesce(dossiers, ''), false);
END
$$;
"""

#: The dossiers the scope sees, as the dossier table's own policy decides.
IN_VISIBLE_DOSSIERS = "dossier_id IN (SELECT id FROM dossiers_dossier)"

#: table -> who may see and write its rows (besides the system scope).
POLICIES = {
    # Staff see every dossier of their firms; others the dossiers where they hold a role.
    "dossiers_dossier": (
        "id = ANY ((SELECT portal_scope_dossiers())::bigint[])"
        " OR firm_id = ANY ((SELECT portal_scope_firms())::bigint[])"
    ),
    "users_dossieraccess": f"{IN_VISIBLE_DOSSIERS} OR user_id = (SELECT portal_scope_user())",
    # Documents carry their firm: no join needed on the largest table.
    "connect_document": (
        "dossier_id = ANY ((SELECT portal_scope_dossiers())::bigint[])"
        " OR firm_id = ANY ((SELECT portal_scope_firms())::bigint[])"
    ),
    "connect_task": IN_VISIBLE_DOSSIERS,
    "connect_documentrequest": IN_VISIBLE_DOSSIERS,
    "connect_thread": IN_VISIBLE_DOSSIERS,
    "connect_message": "thread_id IN (SELECT id FROM connect_thread)",
    "connect_documentread": IN_VISIBLE_DOSSIERS,
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FUNCTIONS.strip().split("\n\n"):
        schema_editor.execute(statement)
    for table, rule in POLICIES.items():
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(
            f"CREATE POLICY tenant ON {table} USING (portal_scope_system() OR {rule})"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in POLICIES:
        schema_editor.execute(f"DROP POLICY IF EXISTS tenant ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for name in ("system()", "user()", "dossiers()", "firms()", "for_user(bigint)"):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS portal_scope_{name}")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_report_switches"),
        ("connect", "0011_document_reads"),
        ("dossiers", "0004_cartouche_exhausted_notified_at"),
        ("users", "0003_apitoken"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
