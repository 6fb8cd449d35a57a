"""Real components for integration and end-to-end tests: an SMTP server on loopback (aiosmtpd),
a Celery worker process consuming from Redis, and Debian's Chromium driven by Playwright."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SMTPServer:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Any = None

    def up(self) -> None:
        """Listen (again) on the same port."""
        from aiosmtpd.controller import Controller

        if self.controller is None:
            self.controller = Controller(_Collector(self), hostname=self.host, port=self.port)
            self.controller.start()

    def down(self) -> None:
        """Stop listening: connections are refused, as during an outage."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def wait_for(self, count: int = 1, timeout: float = 30.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s), got {len(self.messages)}")


class _Collector:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.server.lock:
            self.server.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server on a free loopback port; received messages are kept in order."""
    server = SMTPServer(host="127.0.0.1", port=free_port())
    server.up()
    yield server
    server.down()


@pytest.fixture
def smtp(smtp_server: SMTPServer) -> Iterator[SMTPServer]:
    smtp_server.up()
    smtp_server.clear()
    yield smtp_server
    smtp_server.up()


def _database_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def use_broker(url: str) -> None:
    """Point this process's Celery app at ``url`` (dropping pooled connections)."""
    from kombu import pools

    from portal.celery import app

    app.conf.broker_url = url
    pools.reset()  # kombu's shared connection and producer pools
    app._pool = None  # rebuilt on next use from the new URL
    app.amqp._producer_pool = None


def worker_start(
    *, broker_url: str, email_url: str = "", pool: str = "prefork", name: str = "test"
) -> subprocess.Popen[str]:
    """Start a real `celery worker` process on the test database and ``broker_url``; returns
    once it is ready (its output is kept in ``process.log``)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "TEST_DATABASE_URL": _database_url(),
        "TEST_REDIS_URL": broker_url,
        "EMAIL_URL": email_url or "consolemail://",
        "CELERY_TASK_ALWAYS_EAGER": "false",  # what the worker enqueues goes to Redis too
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "-Q",
        "default,mail,documents,recognition",
        "--pool",
        pool,
        "--concurrency",
        "1",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"{name}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}@%h",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    ready = threading.Event()
    log: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            log.append(line)
            if " ready." in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 60
    while not ready.wait(0.2) and process.poll() is None and time.monotonic() < deadline:
        pass
    if not ready.is_set():
        process.kill()
        raise RuntimeError("the Celery worker did not start:\n" + "".join(log[-40:]))
    process.log = log  # type: ignore[attr-defined]  (for failing tests to print)
    return process


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, smtp_server: SMTPServer
) -> Iterator[subprocess.Popen[str]]:
    """A real `celery worker` process on the test database, consuming this test run's own Redis
    database, sending mail to the test SMTP server."""
    import redis

    from portal.celery import app

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    process = worker_start(broker_url=settings.CELERY_BROKER_URL, email_url=smtp_server.url)
    app.conf.task_always_eager = False
    try:
        yield process
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def celery_worker(celery_worker_process: subprocess.Popen[str], transactional_db: None) -> Any:
    """Use in a test: tasks enqueued by the code under test run in the real worker."""
    from portal.celery import app

    app.conf.task_always_eager = False
    yield celery_worker_process
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER  # unit tests run inline


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make test` as root to install it")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page_factory(browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """New browser pages on the live server; each has its own context (cookies, language)."""
    contexts: list[Any] = []

    def make(locale: str = "fr-BE", **options: Any) -> Any:
        context = browser.new_context(base_url=live_server.url, locale=locale, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
