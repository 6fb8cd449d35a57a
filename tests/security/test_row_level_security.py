"""The second wall, read from the database itself (docs/tenancy.md): every table that reaches a
firm through its foreign keys has a row-level-security policy, enabled and forced; a table
that does not is named here with the reason it holds no firm's data. And the scope a request
or a task writes into the connection cannot be undone by a rolled-back first query."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from connect.models import Document, DocumentEvent
from core import db_scope
from core.mail import email_enqueue
from dossiers.models import FirmLevel
from tests.factories import DossierFactory, FirmFactory, MembershipFactory

#: Hold a firm's data without a foreign key to one: protected all the same.
TENANT_WITHOUT_FOREIGN_KEY = {
    "users_apitoken": "a person's keys to every firm they belong to",
    "portal_outboundemail": "mails to a firm's people, with one-time links",
}

#: Tables that hold no firm's data: the identity of a person (one WinBooksID across firms),
#: the framework's own tables.
NOT_TENANT = {
    "users_user": "the identity of a person, shared by the firms they belong to",
    "users_user_groups": "Django's groups (unused)",
    "users_user_user_permissions": "Django's permissions (unused)",
    "auth_group": "Django's groups (unused)",
    "auth_group_permissions": "Django's groups (unused)",
    "auth_permission": "Django's permission catalogue",
    "django_content_type": "Django's model catalogue",
    "django_migrations": "the schema's history",
    "django_session": "a browser's session (read before anyone is known)",
    "django_admin_log": "the operator's admin changes (superusers only)",
    "account_emailaddress": "the person's login address",
    "account_emailconfirmation": "the person's login address",
    "mfa_authenticator": "the person's second factor",
    "usersessions_usersession": "the person's sessions",
}

TABLES = """
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = 'public'
                                            AND p.tablename = c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
"""

FOREIGN_KEYS = """
SELECT src.relname, dst.relname
FROM pg_constraint k
JOIN pg_class src ON src.oid = k.conrelid
JOIN pg_class dst ON dst.oid = k.confrelid
JOIN pg_namespace n ON n.oid = src.relnamespace
WHERE k.contype = 'f' AND n.nspname = 'public'
"""


def catalogue() -> tuple[dict[str, tuple[bool, bool, bool]], set[str]]:
    """Every table with (row security on, forced, has a policy), and the tables that reach
    ``dossiers_firm`` by foreign keys."""
    with connection.cursor() as cursor:
        cursor.execute(TABLES)
        tables = {name: (on, forced, policy) for name, on, forced, policy in cursor.fetchall()}
        cursor.execute(FOREIGN_KEYS)
        edges = cursor.fetchall()
    tenant = {"dossiers_firm"}
    grown = True
    while grown:
        reached = {src for src, dst in edges if dst in tenant and src != dst}
        grown = not reached <= tenant
        tenant |= reached
    return tables, tenant


@pytest.mark.django_db
def test_every_tenant_table_has_a_forced_policy() -> None:
    tables, by_keys = catalogue()
    tenant = by_keys | set(TENANT_WITHOUT_FOREIGN_KEY)
    assert {"connect_document", "connect_documenttext", "connect_paymentline"} <= by_keys
    unprotected = sorted(
        name for name in tenant if name in tables and tables[name] != (True, True, True)
    )
    assert not unprotected, f"tenant tables without a forced policy: {unprotected}"
    unclassified = sorted(set(tables) - tenant - set(NOT_TENANT))
    assert not unclassified, (
        f"new tables: add a policy (a migration) or name them in NOT_TENANT: {unclassified}"
    )
    assert not set(NOT_TENANT) & by_keys, "a table named as no firm's data reaches a firm"


@pytest.mark.django_db
def test_without_a_scope_every_tenant_table_is_empty_to_the_application() -> None:
    """Rows in every kind of table the data below touches; the application's role with the
    scope ``none`` reads none of them, the system reads them all."""
    firm = FirmFactory()
    dossier = DossierFactory(firm=firm)
    MembershipFactory(firm=firm, level=FirmLevel.LICENCE_ADMIN)
    document = Document.objects.create(
        firm=firm,
        dossier=dossier,
        filename="a.pdf",
        storage_name="rls/a.pdf",
        content_type="application/pdf",
        size=1,
        sha256="a" * 64,
        source="web",
    )
    DocumentEvent.objects.create(document=document, kind="uploaded")
    from django.core.mail import EmailMessage

    email_enqueue(EmailMessage("Subject", "Body", to=["someone@example.be"]))
    _tables, by_keys = catalogue()
    tenant = sorted(by_keys | set(TENANT_WITHOUT_FOREIGN_KEY))

    def counts() -> dict[str, int]:
        with connection.cursor() as cursor:
            found = {}
            for table in tenant:
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (catalogue names)
                found[table] = cursor.fetchone()[0]
        return found

    with db_scope.scoped(db_scope.SYSTEM):
        seen_by_system = counts()
    with db_scope.scoped(db_scope.NONE):
        seen_by_none = counts()
    for table in (
        "dossiers_firm",
        "dossiers_dossier",
        "connect_document",
        "connect_documentevent",
        "users_firmmembership",
        "portal_outboundemail",
    ):
        assert seen_by_system[table] >= 1, table
    assert seen_by_none == dict.fromkeys(tenant, 0)


def connection_scope() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('portal.scope', true), current_setting('portal.user', true)"
        )
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_first_query_does_not_leave_the_previous_scope() -> None:
    """Request 1 leaves user A's scope on the connection. Request 2, for user B, makes its
    first query inside a transaction that rolls back — which undoes the settings written in
    it. The next query must still run as B, never as A."""
    firm = FirmFactory()
    first = MembershipFactory(firm=firm, level=FirmLevel.LICENCE_ADMIN).user
    second = MembershipFactory(firm=firm, level=FirmLevel.LICENCE_ADMIN).user
    db_scope.activate(db_scope.for_user(first), fresh=True)
    db_scope.apply_now()
    assert connection_scope() == ("user", str(first.pk))

    db_scope.activate(db_scope.for_user(second), fresh=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert connection_scope() == ("user", str(second.pk))  # written in the transaction
        raise RuntimeError("rolled back")
    assert connection_scope() == ("user", str(second.pk))

    # The same within a savepoint of an outer transaction that goes on.
    db_scope.activate(db_scope.for_user(first), fresh=True)
    with transaction.atomic():
        connection_scope()
        db_scope.activate(db_scope.for_user(second))
        with pytest.raises(RuntimeError), transaction.atomic():
            assert connection_scope() == ("user", str(second.pk))
            raise RuntimeError("rolled back")
        assert connection_scope() == ("user", str(second.pk))
    db_scope.activate(db_scope.process_default())


@pytest.mark.django_db(transaction=True)
def test_a_request_writes_its_scope_before_the_view_runs(client) -> None:
    """The scope is written when the request starts (after the session's user is known),
    before anything the view reads; the response's end puts the process's default back."""
    firm = FirmFactory()
    user = MembershipFactory(firm=firm, level=FirmLevel.LICENCE_ADMIN).user
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/hub/").status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    assert "django_session" in statements[0] and "users_user" in statements[1]
    assert statements[2].split(" FROM ") == [
        "SELECT membership, firm",
        f"portal_scope_for_user_memberships({user.pk})",
    ]
    assert not any("portal_scope_for_user" in sql for sql in statements[3:])
    # The memberships came with the scope: the page does not read them again.
    assert not any(sql.startswith('SELECT "users_firmmembership"') for sql in statements)
    assert db_scope.current() == db_scope.process_default()
