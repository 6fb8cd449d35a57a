"""Give the application's database role what it needs and nothing more (docs/tenancy.md).

Run as the owner of the tables (the role that runs `migrate`), after each migration:

    manage.py db_app_role portal_app [--create] [--truncate]

The role may be a login role of its own (docker-compose.yml: created by
deploy/postgres/10-app-role.sh, granted by the `migrate` service) or a NOLOGIN role the login
role switches to (``DATABASE_APP_ROLE``, ``--create``). It may read and write rows and use
sequences; it must own nothing, not be a superuser and not have BYPASSRLS (all checked), so
row-level security applies to it."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection


class Command(BaseCommand):
    help = "Grant the application role row access to every table (row-level security applies)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role")
        parser.add_argument(
            "--create", action="store_true", help="create the role (NOLOGIN) if it is missing"
        )
        parser.add_argument(
            "--truncate",
            action="store_true",
            help="also TRUNCATE (test databases only: TRUNCATE is not subject to row security)",
        )

    def handle(self, *args: Any, role: str, create: bool, truncate: bool, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Row-level security needs PostgreSQL.")
        quoted = connection.ops.quote_name(role)
        with connection.cursor() as cursor:
            if create:
                # Roles are cluster-wide: parallel test databases may race to create it.
                cursor.execute(
                    f"DO $$ BEGIN CREATE ROLE {quoted} NOLOGIN NOSUPERUSER NOBYPASSRLS;"
                    " EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
                )
            cursor.execute(
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = %s", [role]
            )
            row = cursor.fetchone()
            if row is None:
                raise CommandError(f"The role {role} does not exist (use --create).")
            if row[0]:
                raise CommandError(f"{role} bypasses row-level security: use another role.")
            # An owner may switch its tables' policies off: the app role must be someone else
            # (compose: the app's login role, granted by the owner in the `migrate` service).
            cursor.execute(
                "SELECT current_user = %s OR EXISTS (SELECT FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = %s)",
                [role, role],
            )
            if cursor.fetchone()[0]:
                raise CommandError(
                    f"{role} owns tables (or runs this command): run it as the owner, for a"
                    " role that owns nothing."
                )
            privileges = "SELECT, INSERT, UPDATE, DELETE" + (", TRUNCATE" if truncate else "")
            for statement in (
                f"GRANT USAGE ON SCHEMA public TO {quoted}",
                f"GRANT {privileges} ON ALL TABLES IN SCHEMA public TO {quoted}",
                f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {privileges} ON TABLES"
                f" TO {quoted}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE"
                f" ON SEQUENCES TO {quoted}",
            ):
                cursor.execute(statement)
        self.stdout.write(f"{role}: row access granted; row-level security applies.")
