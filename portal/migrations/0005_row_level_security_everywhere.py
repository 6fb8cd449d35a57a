"""The second wall on every table that holds a firm's or a dossier's data (docs/tenancy.md),
and FORCE ROW LEVEL SECURITY on each, so that the tables' owner is bound too (a superuser
and a role with BYPASSRLS still are not: the application must log in as neither).

tests/security/test_row_level_security.py reads the database catalogue and fails on a table
that reaches a firm by its foreign keys and has no policy. PostgreSQL only."""

from django.db import migrations

FIRMS = "(SELECT portal_scope_firms())::bigint[]"
USER = "(SELECT portal_scope_user())"
IN_VISIBLE_DOSSIERS = "dossier_id IN (SELECT id FROM dossiers_dossier)"
IN_VISIBLE_DOCUMENTS = "document_id IN (SELECT id FROM connect_document)"
#: The firms of the dossiers the scope sees, and the firms where it is staff.
OF_VISIBLE_FIRM = f"firm_id = ANY ({FIRMS}) OR firm_id IN (SELECT firm_id FROM dossiers_dossier)"

#: table -> who may see and write its rows (besides the system scope).
POLICIES = {
    # The tenant itself: its staff, the people of its dossiers, its members.
    "dossiers_firm": (
        f"id = ANY ({FIRMS}) OR id IN (SELECT firm_id FROM dossiers_dossier)"
        f" OR id IN (SELECT firm_id FROM users_firmmembership WHERE user_id = {USER})"
    ),
    "dossiers_cartouche": OF_VISIBLE_FIRM,
    "dossiers_connectiontest": IN_VISIBLE_DOSSIERS,
    "users_firmmembership": f"user_id = {USER} OR {OF_VISIBLE_FIRM}",
    # An invitation: the inviting firm's staff, and the invited person once logged in. The
    # link's holder finds it under the system scope (the link's secret proves the request).
    "users_invitation": f"firm_id = ANY ({FIRMS}) OR user_id = {USER}",
    # A token: its owner, and the staff of a firm the owner belongs to (the read audit names
    # it). The API finds a presented token under the system scope (its secret proves it).
    "users_apitoken": (
        f"user_id = {USER} OR user_id IN (SELECT m.user_id FROM users_firmmembership m"
        f" WHERE m.firm_id = ANY ({FIRMS}))"
    ),
    # Written and read only under the system scope (portal/mail.py): no user reads the outbox.
    "portal_outboundemail": "false",
    "portal_auditevent": f"firm_id = ANY ({FIRMS}) OR {IN_VISIBLE_DOSSIERS}",
    "portal_reportswitch": OF_VISIBLE_FIRM,
    "connect_remindersent": (
        "task_id IN (SELECT id FROM connect_task)"
        " OR request_id IN (SELECT id FROM connect_documentrequest)"
    ),
    "connect_threadread": "thread_id IN (SELECT id FROM connect_thread)",
    "connect_payingaccount": IN_VISIBLE_DOSSIERS,
    "connect_paymentbatch": IN_VISIBLE_DOSSIERS,
    "connect_paymentline": "batch_id IN (SELECT id FROM connect_paymentbatch)",
    "connect_binder": IN_VISIBLE_DOSSIERS,
    "connect_documenttext": IN_VISIBLE_DOCUMENTS,
    "connect_documentattachment": IN_VISIBLE_DOCUMENTS,
    "connect_documentevent": IN_VISIBLE_DOCUMENTS,
    "connect_credituse": f"firm_id = ANY ({FIRMS}) OR {IN_VISIBLE_DOSSIERS}",
    "connect_connectprofile": IN_VISIBLE_DOSSIERS,
    "connect_inboundmessage": IN_VISIBLE_DOSSIERS,
}

#: Tables with a policy since portal/0003 and connect/0013: now forced too.
EARLIER = (
    "dossiers_dossier",
    "users_dossieraccess",
    "connect_document",
    "connect_task",
    "connect_documentrequest",
    "connect_thread",
    "connect_message",
    "connect_documentread",
    "connect_suppliermemory",
    "connect_rememberedfact",
)

#: The user's scope is computed as the system: with FORCE, the function's owner is bound by
#: the policies it reads through, unless it is a superuser.
SCOPE_FOR_USER = """
CREATE OR REPLACE FUNCTION portal_scope_for_user(uid bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  firms text;
  dossiers text;
BEGIN
  PERFORM set_config('portal.scope', 'system', false);
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


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(SCOPE_FOR_USER)
    for table, rule in POLICIES.items():
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(
            f"CREATE POLICY tenant ON {table} USING (portal_scope_system() OR {rule})"
        )
    for table in (*EARLIER, *POLICIES):
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in (*EARLIER, *POLICIES):
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    for table in POLICIES:
        schema_editor.execute(f"DROP POLICY IF EXISTS tenant ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_auditaction_firm_mfa"),
        ("connect", "0017_withdrawn_bytes_free"),
        ("dossiers", "0005_firm_mfa_required_for_staff"),
        ("users", "0003_apitoken"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
