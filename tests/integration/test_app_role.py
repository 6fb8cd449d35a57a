"""The database sequence of docker-compose.yml, run for real against a fresh PostgreSQL database:
the postgres service's init script creates the app's login role, the `migrate` service's own
commands (as compose gives them, as the owner) build the schema and grant the role its rows; the
role then logs in as web, worker and beat do and can bypass nothing: it owns no table, has no
BYPASSRLS and sees no dossier without a scope."""

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import psycopg
import pytest
import yaml

from tests.integration.test_compose import ENV, RAW, ROOT, commands_of, interpolate

pytestmark = pytest.mark.integration

SLOT = os.environ.get("TEST_RUN_SLOT", "0")
HOST = "127.0.0.1"


@dataclass
class Deployment:
    database: str
    app_role: str
    compose: dict


def owner_connection(database: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(host=HOST, user="postgres", dbname=database, autocommit=True)


def run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def service_env(service: dict, database: str) -> dict[str, str]:
    """The service's environment from compose, pointed at this machine's servers."""
    env = {**os.environ, **{k: str(v) for k, v in service["environment"].items()}}
    url = urlsplit(env["DATABASE_URL"])
    env["DATABASE_URL"] = f"postgres://postgres@{HOST}:5432/{database}"
    env["COMPOSE_DATABASE_USER"] = url.username or ""
    env["REDIS_URL"] = f"redis://{HOST}:6379/15"
    env.pop("DATABASE_APP_ROLE", None)
    return env


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    database, app_role = f"portal_compose_{SLOT}", f"portal_app_compose_{SLOT}"
    compose = interpolate(yaml.safe_load(RAW), {**ENV, "POSTGRES_APP_USER": app_role})
    with owner_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{app_role}"')
        admin.execute(f'CREATE DATABASE "{database}"')
    postgres = compose["services"]["postgres"]
    script = next(v.split(":")[0] for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v)
    init_env = {
        **os.environ,
        **{k: str(v) for k, v in postgres["environment"].items()},
        # The entrypoint runs it as POSTGRES_USER on POSTGRES_DB; here the cluster's superuser.
        "POSTGRES_USER": "postgres",
        "POSTGRES_DB": database,
        "PGHOST": HOST,
    }
    for _ in range(2):  # a second run (an older volume, by hand) changes nothing
        run(["bash", str(ROOT / script)], init_env)
    migrate = compose["services"]["migrate"]
    env = service_env(migrate, database)
    # The owner runs it, as in compose (where POSTGRES_USER, a superuser, owns the tables).
    assert env["COMPOSE_DATABASE_USER"] == postgres["environment"]["POSTGRES_USER"]
    for command in commands_of(migrate):
        assert command[:2] == ["python", "manage.py"]
        run([sys.executable, *command[1:]], env)
    # A firm with a dossier, written by the owner under the system scope.
    run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from tests.factories import DossierFactory; DossierFactory(); DossierFactory()",
        ],
        {**env, "DJANGO_SETTINGS_MODULE": "portal.settings.local"},
    )
    try:
        yield Deployment(database, app_role, compose)
    finally:
        with owner_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{app_role}"')


def app_connection(deployment: Deployment) -> psycopg.Connection:
    """As web, worker and beat connect: the login role of their DATABASE_URL."""
    url = urlsplit(deployment.compose["services"]["web"]["environment"]["DATABASE_URL"])
    assert url.username == deployment.app_role
    return psycopg.connect(
        host=HOST, user=url.username, password=url.password, dbname=deployment.database
    )


def test_the_app_login_role_can_bypass_nothing(deployment: Deployment) -> None:
    with owner_connection(deployment.database) as owner:
        assert owner.execute("SELECT count(*) FROM dossiers_dossier").fetchone()[0] == 2
        (enabled,) = owner.execute(
            "SELECT relrowsecurity FROM pg_class WHERE relname = 'dossiers_dossier'"
        ).fetchone()
        assert enabled
    with app_connection(deployment) as app:
        role = app.execute(
            "SELECT current_user, rolsuper, rolbypassrls, rolcanlogin, rolcreaterole,"
            " rolcreatedb FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert role == (deployment.app_role, False, False, True, False, False)
        owned = app.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles"
            " WHERE rolname = current_user)"
        ).fetchone()[0]
        assert owned == 0
        # No scope yet (a fresh connection), then the web's default: no dossier.
        assert app.execute("SELECT count(*) FROM dossiers_dossier").fetchone()[0] == 0
        app.execute("SELECT set_config('portal.scope', 'none', false)")
        assert app.execute("SELECT count(*) FROM dossiers_dossier").fetchone()[0] == 0
        # The rows are there and granted: the policy, not a missing privilege, hid them.
        app.execute("SELECT set_config('portal.scope', 'system', false)")
        assert app.execute("SELECT count(*) FROM dossiers_dossier").fetchone()[0] == 2
        # Not an owner: the policy cannot be switched off from the app.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("ALTER TABLE dossiers_dossier DISABLE ROW LEVEL SECURITY")


def test_db_app_role_refuses_a_role_that_owns_a_table(deployment: Deployment) -> None:
    owner_role = f"portal_owner_compose_{SLOT}"
    with owner_connection(deployment.database) as owner:
        owner.execute(f'DROP TABLE IF EXISTS "scratch_{SLOT}"')
        owner.execute(f'DROP ROLE IF EXISTS "{owner_role}"')
        owner.execute(f'CREATE ROLE "{owner_role}" LOGIN')
        owner.execute(f'CREATE TABLE "scratch_{SLOT}" (id int)')
        owner.execute(f'ALTER TABLE "scratch_{SLOT}" OWNER TO "{owner_role}"')
    env = service_env(deployment.compose["services"]["migrate"], deployment.database)
    try:
        done = subprocess.run(
            [sys.executable, "manage.py", "db_app_role", owner_role],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode != 0
        assert "owns tables" in done.stderr
    finally:
        with owner_connection(deployment.database) as owner:
            owner.execute(f'DROP TABLE IF EXISTS "scratch_{SLOT}"')
            owner.execute(f'DROP ROLE IF EXISTS "{owner_role}"')
