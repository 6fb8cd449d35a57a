"""Health endpoints (portal/health.py) against the real services: PostgreSQL, Redis, a real
Celery worker; and against dead ones (a closed port, a Redis no worker listens on)."""

import json
import time
from collections.abc import Iterator
from http import HTTPStatus

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client, override_settings

from portal import health
from portal.celery import app
from tests.fixtures_services import RedisInstance, free_port, use_broker

ROUTES = ["/health/", "/health/db/", "/health/redis/", "/health/worker/"]


@pytest.fixture(autouse=True)
def _fresh_checks(settings) -> Iterator[None]:
    settings.HEALTH_CHECK_CACHE_SECONDS = 0
    health._memo.clear()
    yield
    health._memo.clear()


@pytest.fixture
def no_eager() -> Iterator[None]:
    """Tasks go to the broker, as in production (the worker check is then a real ping)."""
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture
def broker() -> Iterator[object]:
    """Point this process's Celery app at another broker for the test; put it back after."""
    yield use_broker
    use_broker(settings.CELERY_BROKER_URL)


def get(path: str, client: Client | None = None):
    response = (client or Client()).get(path)
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    return response, json.loads(response.content)


def test_the_web_check_touches_nothing_else() -> None:
    # No django_db mark: any database access here would raise (pytest-django blocks it),
    # whatever middleware comes later in the chain (sessions, database scope, MFA).
    response, body = get("/health/")
    assert response.status_code == HTTPStatus.OK
    assert body == {"status": "ok", "check": "web"}
    assert not response.cookies  # no session, no CSRF cookie


@pytest.mark.django_db
def test_database_and_redis_answer_ok() -> None:
    for path in ("/health/db/", "/health/redis/"):
        response, body = get(path)
        assert response.status_code == HTTPStatus.OK, body
        assert body["status"] == "ok"
        assert body["duration_ms"] < 1000


@pytest.mark.django_db
def test_the_database_check_fails_on_a_dead_server() -> None:
    port = free_port()
    wrapper_class = type(connections["default"])
    dead = wrapper_class(
        {**connections["default"].settings_dict, "PORT": port, "OPTIONS": {"connect_timeout": 2}},
        alias="health-dead",
    )
    ok, detail = health.database_check(dead)
    assert not ok
    assert detail == {"error": "OperationalError"}


def test_redis_on_a_dead_port_gives_503_without_saying_where(settings) -> None:
    port = free_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/3"
    response, body = get("/health/redis/")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert body["status"] == "fail"
    assert body["error"] == "ConnectionError"
    assert str(port) not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


def test_no_worker_listening_gives_503(no_eager, broker, private_redis: RedisInstance) -> None:
    broker(private_redis.url())  # a Redis of this test's own: no worker consumes from it
    started = time.monotonic()
    response, body = get("/health/worker/")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert body == {
        "status": "fail",
        "check": "worker",
        "workers": 0,
        "duration_ms": body["duration_ms"],
    }
    assert time.monotonic() - started < 3  # the ping waits one second


def test_a_dead_broker_gives_503_quickly(no_eager, broker) -> None:
    port = free_port()
    broker(f"redis://127.0.0.1:{port}/0")
    started = time.monotonic()
    response, body = get("/health/worker/")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert body["status"] == "fail"
    assert body["error"] == "OperationalError"
    assert str(port) not in response.content.decode()
    assert time.monotonic() - started < 5


@pytest.mark.integration
def test_a_running_worker_answers(celery_worker, no_eager) -> None:
    response, body = get("/health/worker/")
    assert response.status_code == HTTPStatus.OK, body
    assert body["status"] == "ok"
    assert body["workers"] >= 1
    assert body["duration_ms"] < 1000  # the first reply ends the wait


@pytest.mark.django_db
def test_probes_need_no_login_host_name_tls_or_slash(admin_user) -> None:
    """Behind the proxy a probe calls the container by its address over plain HTTP."""
    production_like = {
        "ALLOWED_HOSTS": ["portal.example.be"],
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    }
    with override_settings(**production_like):
        probe = Client(HTTP_HOST="10.0.0.7:8000")
        for path in [*ROUTES, "/health/db", "/health/redis"]:
            response = probe.get(path)
            assert response.status_code == HTTPStatus.OK, path
        # Only the probes: any other page asked that way is refused as before.
        assert probe.get("/accounts/login/").status_code == HTTPStatus.BAD_REQUEST
        assert (
            Client(HTTP_HOST="portal.example.be").get("/accounts/login/").status_code
            == HTTPStatus.MOVED_PERMANENTLY
        )
    # A logged-in user gets the same answer; nothing else is said.
    client = Client()
    client.force_login(admin_user)
    _, body = get("/health/", client)
    assert body == {"status": "ok", "check": "web"}


@pytest.mark.django_db
def test_probes_only_read(client: Client) -> None:
    for path in ROUTES:
        assert client.post(path).status_code == HTTPStatus.METHOD_NOT_ALLOWED
        assert client.head(path).status_code in (HTTPStatus.OK, HTTPStatus.SERVICE_UNAVAILABLE)


def test_a_result_is_kept_for_the_period(settings) -> None:
    settings.HEALTH_CHECK_CACHE_SECONDS = 60
    assert get("/health/redis/")[0].status_code == HTTPStatus.OK
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/3"
    # A flood of probes costs one check per period…
    assert get("/health/redis/")[0].status_code == HTTPStatus.OK
    # …and the next period sees the outage.
    settings.HEALTH_CHECK_CACHE_SECONDS = 0
    assert get("/health/redis/")[0].status_code == HTTPStatus.SERVICE_UNAVAILABLE
