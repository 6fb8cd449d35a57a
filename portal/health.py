"""Health endpoints for probes and monitoring (docs/operations.md, "Health"):

- ``/health/``: the web process answers (touches nothing else);
- ``/health/db/``: PostgreSQL answers ``SELECT 1``;
- ``/health/redis/``: Redis (cache and broker) answers PING;
- ``/health/worker/``: at least one Celery worker answers a ping through the broker.

Each answers JSON ``{"status": "ok"|"fail", "check": …}`` with 200 or 503, names the failing
error's class only (never a host, a user or a message), needs no login and is never cached.
``HealthCheckMiddleware`` answers these paths before the rest of the chain, so that a probe
needs no session, no database scope, no allowed host name and no TLS, and ``/health/`` keeps
answering while the database is down. The deeper checks keep their result for
``HEALTH_CHECK_CACHE_SECONDS`` in the process: a flood of probes costs one check per period."""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_safe

from portal.celery import app

logger = logging.getLogger(__name__)

Result = tuple[bool, dict[str, Any]]

#: How long a worker has to answer the ping (and Redis or the broker to accept a connection).
TIMEOUT = 1

_memo: dict[str, tuple[float, Result]] = {}
_memo_lock = threading.Lock()


def database_check(connection: BaseDatabaseWrapper | None = None) -> Result:
    connection = connection or connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        # A broken connection is not reused by the next request.
        connection.close_if_unusable_or_obsolete()
        return False, {"error": type(error).__name__}
    return True, {}


def redis_check(url: str | None = None) -> Result:
    import redis

    url = settings.REDIS_URL if url is None else url
    if not url:
        return True, {"mode": "not configured"}
    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        return False, {"error": type(error).__name__}
    finally:
        client.close()
    return True, {}


def worker_check() -> Result:
    from kombu.exceptions import OperationalError

    if app.conf.task_always_eager:
        return True, {"mode": "inline"}
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=TIMEOUT)
            replies = app.control.ping(timeout=TIMEOUT, limit=1, connection=connection)
    except (OperationalError, OSError) as error:
        return False, {"error": type(error).__name__}
    if not replies:
        return False, {"workers": 0}
    return True, {"workers": len(replies)}


def _run(name: str, check: Callable[[], Result]) -> HttpResponse:
    period = settings.HEALTH_CHECK_CACHE_SECONDS
    now = time.monotonic()
    with _memo_lock:
        kept = _memo.get(name)
    if kept is not None and now - kept[0] < period:
        result = kept[1]
    else:
        started = time.perf_counter()
        ok, detail = check()
        detail["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
        result = (ok, detail)
        with _memo_lock:
            _memo[name] = (now, result)
        if not ok:
            logger.warning("health check %s failed: %s", name, detail)
    ok, detail = result
    return _answer({"status": "ok" if ok else "fail", "check": name, **detail}, ok)


def _answer(body: dict[str, Any], ok: bool) -> HttpResponse:
    response = JsonResponse(body, status=200 if ok else 503)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def health_web(request: HttpRequest) -> HttpResponse:
    return _answer({"status": "ok", "check": "web"}, True)


@require_safe
def health_db(request: HttpRequest) -> HttpResponse:
    return _run("db", database_check)


@require_safe
def health_redis(request: HttpRequest) -> HttpResponse:
    return _run("redis", redis_check)


@require_safe
def health_worker(request: HttpRequest) -> HttpResponse:
    return _run("worker", worker_check)


VIEWS = {health_web, health_db, health_redis, health_worker}


class HealthCheckMiddleware:
    """Answers the health routes (with or without their final slash) before any other
    middleware; every other request goes on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith("/health"):
            try:
                match = resolve(path if path.endswith("/") else f"{path}/")
            except Resolver404:
                match = None
            if match is not None and match.func in VIEWS:
                return match.func(request)
        return self.get_response(request)
