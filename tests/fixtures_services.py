"""Real components for integration and end-to-end tests: an SMTP server on loopback (aiosmtpd),
a Celery worker process consuming from Redis, and Debian's Chromium driven by Playwright."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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


def self_signed_certificate(directory: Path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, made for this test (PEM files)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "inbound.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


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
    *,
    broker_url: str,
    email_url: str = "",
    pool: str = "prefork",
    name: str = "test",
    queues: str = "default,mail,documents,recognition",
    new_session: bool = False,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """Start a real `celery worker` process on the test database and ``broker_url``; returns
    once it is ready (its output is kept in ``process.log``). ``new_session``: the worker leads
    a process group of its own, which ``os.killpg`` kills whole (pool children, OCR tools)
    without touching the test run. ``extra_env``: more variables (its own storage, temp dir...)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "TEST_DATABASE_URL": _database_url(),
        "TEST_REDIS_URL": broker_url,
        "EMAIL_URL": email_url or "consolemail://",
        "CELERY_TASK_ALWAYS_EAGER": "false",  # what the worker enqueues goes to Redis too
        "DATABASE_APP_ROLE": settings.DATABASE_APP_ROLE,  # row-level security applies
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "-Q",
        queues,
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
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=new_session,
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


def process_group_kill(process: subprocess.Popen[Any]) -> None:
    """SIGKILL a process started with ``new_session`` and everything in its group (a worker's
    pool children, the OCR tools they run), then reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(15)


def children_of(pid: int) -> list[int]:
    """Ids of the live child processes of ``pid`` (from /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            children.append(int(stat.parent.name))
    return children


# --- private Redis and PostgreSQL: instances a test may crash and restart ---------------------
# The shared servers on 6379 and 5432 serve other test runs: they are never stopped.


@dataclass
class RedisInstance:
    """A redis-server of the test's own on a free loopback port, without persistence."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def up(self) -> None:
        """Start (again, on the same port) and wait until it answers."""
        import redis

        if self.process is not None and self.process.poll() is None:
            return
        executable = shutil.which("redis-server")
        assert executable, "redis-server is needed (Debian package redis-server)"
        options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [executable, "--port", str(self.port), *options, "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis.from_url(self.url(), socket_connect_timeout=0.5)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "the private redis-server did not start"
                time.sleep(0.05)

    def crash(self) -> None:
        """SIGKILL: what was queued in it is lost, as when Redis dies without persistence."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def __enter__(self) -> "RedisInstance":
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.crash()  # nothing in it is worth keeping


@pytest.fixture
def private_redis() -> Iterator[RedisInstance]:
    with RedisInstance() as instance:
        yield instance


def postgres_bin(name: str) -> str:
    found = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3])
    )
    located = str(found[-1]) if found else shutil.which(name)
    assert located, f"{name} is needed (Debian package postgresql)"
    return located


@dataclass
class PostgresCluster:
    """A PostgreSQL cluster of the test's own (initdb in a temporary directory, trust
    authentication on loopback), run as the ``postgres`` user when the tests run as root."""

    directory: Path
    port: int = field(default_factory=free_port)

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(
            [*prefix, *argv], check=True, capture_output=True, text=True, timeout=120
        )

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def init(self) -> None:
        self._run(
            postgres_bin("initdb"),
            *("-D", str(self.data), "-U", "postgres", "--auth=trust"),
            *("-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c full_page_writes=off -c synchronous_commit=off"
        )
        self._run(
            postgres_bin("pg_ctl"),
            *("-D", str(self.data), "-l", str(self.directory / "log"), "-o", options),
            *("-w", "-t", "60", "start"),
        )

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends the sessions (clients see their connection closed); ``immediate`` is
        a crash (recovery at the next start)."""
        self._run(postgres_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


@pytest.fixture
def private_postgres() -> Iterator[PostgresCluster]:
    directory = Path(tempfile.mkdtemp(prefix="portal-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = PostgresCluster(directory)
    cluster.init()
    cluster.start()
    try:
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)


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
        # Requests still in flight (lazy thumbnails) would hold rows while the test's database
        # is emptied: a deadlock with the flush once failed a run.
        for page in context.pages:
            with contextlib.suppress(Exception):
                page.wait_for_load_state("networkidle", timeout=5_000)
        context.close()
