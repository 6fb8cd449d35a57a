"""Fixtures shared by every test: two firms, their people and dossiers, logged-in clients."""

import io
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from dossiers.models import Dossier, Firm, FirmLevel
from tests.factories import (
    PASSWORD,
    DossierFactory,
    FirmFactory,
    MembershipFactory,
    UserFactory,
    grant,
)
from users.models import User

pytest_plugins = ["tests.fixtures_services"]

#: The role the tests act as once the database is migrated: it owns nothing and has no
#: BYPASSRLS, so PostgreSQL's row-level security applies to every test (docs/tenancy.md).
APP_ROLE = "portal_app"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker) -> Iterator[None]:
    """Migrate as the owner (pytest-django), then act as the application role."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    with django_db_blocker.unblock():
        call_command("db_app_role", APP_ROLE, "--create", "--truncate", stdout=io.StringIO())
        with connections["default"].cursor() as cursor:
            # Some tests log in as the role, as the deployment does (docker-compose.yml).
            cursor.execute(f"ALTER ROLE {APP_ROLE} LOGIN")
        connections.close_all()
        settings.DATABASE_APP_ROLE = APP_ROLE
    yield
    with django_db_blocker.unblock():
        connections.close_all()  # the owner drops the test database
    settings.DATABASE_APP_ROLE = ""


@pytest.fixture(autouse=True)
def _db_scope_default() -> None:
    """Each test starts under the process's default scope: a streamed response a test did not
    read leaves its request's scope behind (it is put back when the response closes)."""
    from core import db_scope

    db_scope.activate(db_scope.process_default())


@pytest.fixture(autouse=True)
def _session_writes_held(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A session's "last seen" and "last active" are written at most once a minute. A test
    that counts the queries of a request after a warm-up one would count that write whenever
    its own setup took more than a minute (a loaded machine): the interval is held at a day,
    except for the tests of those writes themselves (marker ``session_clock``)."""
    if request.node.get_closest_marker("session_clock"):
        return
    from users import middleware

    monkeypatch.setattr(middleware, "SESSION_SEEN_EVERY", 24 * 3600)
    monkeypatch.setattr(middleware, "SESSION_ACTIVE_EVERY", 24 * 3600)


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Rate-limit counters live in the (real, Redis) cache: each test starts clean."""
    cache.clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def firm(db: None) -> Firm:
    return FirmFactory(name="Fiduciaire Alpha")


@pytest.fixture
def other_firm(db: None) -> Firm:
    return FirmFactory(name="Cabinet Beta")


@pytest.fixture
def licence_admin(firm: Firm) -> User:
    return MembershipFactory(
        firm=firm, level=FirmLevel.LICENCE_ADMIN, user__email="admin@alpha.be"
    ).user


@pytest.fixture
def accountant(firm: Firm) -> User:
    return MembershipFactory(
        firm=firm, level=FirmLevel.POWER_USER, user__email="comptable@alpha.be"
    ).user


@pytest.fixture
def dossier(firm: Firm, accountant: User) -> Dossier:
    created = DossierFactory(firm=firm, code="ALPHA1", name="Alpha Un SRL", accountant=accountant)
    grant(accountant, created, "connect.accountant", "view.admin")
    return created


@pytest.fixture
def client_user(dossier: Dossier) -> User:
    user = UserFactory(email="client@alpha-un.be")
    grant(user, dossier, "connect.entrepreneur", "view.user")
    return user


@pytest.fixture
def other_dossier(other_firm: Firm) -> Dossier:
    return DossierFactory(firm=other_firm, code="BETA1", name="Beta Canary SRL")


@pytest.fixture
def other_staff(other_firm: Firm) -> User:
    return MembershipFactory(
        firm=other_firm, level=FirmLevel.LICENCE_ADMIN, user__email="admin@beta.be"
    ).user


@pytest.fixture
def auth_client() -> Callable[[User], Client]:
    """A Django test client logged in as the given user."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
