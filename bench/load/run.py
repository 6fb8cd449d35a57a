"""`make load`: the portal under load on loopback, then a check that nothing was lost.

1. creates the database ``load_portal`` on the local PostgreSQL and migrates it;
2. seeds two firms (accountants, dossiers, one client per dossier, an API token per
   accountant) and some thousands of documents (sent ones with their files, for the inbox and
   the desktop tools; booked ones, for the dashboards);
3. starts gunicorn (``LOAD_WORKERS`` × ``LOAD_THREADS``), a Celery worker on every queue and
   beat, on a redis-server of their own (bench/private_redis.py; ``LOAD_REDIS_URL`` to use
   another);
4. runs locust headless (bench/load/locustfile.py) for ``LOAD_SECONDS`` (60) and prints, per
   request kind, requests/s, p50/p95/p99 and errors;
5. waits for the worker to settle, then checks every upload locust made: its row is there with
   the sha256 locust computed, the stored bytes hash to it, it is processed, and once sent it
   is ready for retrieval. Prints ``lost documents: N``; exits non-zero unless N is 0;
6. stops every process it started, drops the database and the scratch directory.

Settings: ``portal.settings.local`` with DEBUG off, PostgreSQL, Redis and mail to nowhere
(``production`` marks cookies Secure, which a plain-HTTP loopback client does not send back).
"""

import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
DATABASE = os.environ.get("LOAD_DATABASE", "load_portal")
POSTGRES = os.environ.get("LOAD_POSTGRES", "postgres://postgres@127.0.0.1:5432")
#: Empty: a private redis-server (or, without one, database 8 of the shared server).
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "")
WORKERS = int(os.environ.get("LOAD_WORKERS", "3"))
THREADS = int(os.environ.get("LOAD_THREADS", "8"))
CONCURRENCY = int(os.environ.get("LOAD_WORKER_CONCURRENCY", "2"))
DOCUMENTS = int(os.environ.get("LOAD_DOCUMENTS", "5000"))
SETTLE_SECONDS = int(os.environ.get("LOAD_SETTLE_SECONDS", "180"))
#: Users started per second: 2 spreads the logins (a deliberately slow hash) over the first
#: seconds; as many as there are users makes them all log in at once (a Monday morning).
SPAWN_RATE = float(os.environ.get("LOAD_SPAWN_RATE", "2"))
#: The role the services act as, so that row-level security applies as in production ("" to
#: connect as the owner). Cluster-wide and shared with the tests: granted, never dropped.
APP_ROLE = os.environ.get("LOAD_APP_ROLE", "portal_app")
USERS = {
    "LOAD_ACCOUNTANTS": os.environ.get("LOAD_ACCOUNTANTS", "4"),
    "LOAD_CLIENTS": os.environ.get("LOAD_CLIENTS", "4"),
    "LOAD_DESKTOPS": os.environ.get("LOAD_DESKTOPS", "2"),
}
FIRMS, ACCOUNTANTS_PER_FIRM, DOSSIERS_PER_ACCOUNTANT = 2, 2, 5
#: Busy loops run beside the services while locust runs (0: none): another program on the
#: machine that wants every core. They share one session, as one service would.
HOG = int(os.environ.get("LOAD_HOG", "0"))


def service_env(workdir: Path, port: int, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"{POSTGRES}/{DATABASE}",
        "REDIS_URL": redis_url,
        "EMAIL_URL": "dummymail://",
        "MEDIA_ROOT": str(workdir / "media"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


# --- database and seed -----------------------------------------------------------------------


def _admin_sql(*statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as db:
        for statement in statements:
            db.execute(statement)  # type: ignore[arg-type]


def database_create() -> None:
    _admin_sql(
        f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)', f'CREATE DATABASE "{DATABASE}"'
    )
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def database_drop() -> None:
    from django.db import connections

    connections.close_all()
    _admin_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def seed(workdir: Path) -> dict[str, Any]:
    """Firms, people, dossiers, tokens and documents; returns what locust needs to log in."""
    from django.contrib.auth.hashers import make_password
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import connection
    from django.utils import timezone

    from connect.models import Category, Document
    from dossiers.models import FirmLevel, ProcessingMode
    from tests.factories import DossierFactory, FirmFactory, MembershipFactory, grant
    from users.models import User
    from users.services import api_token_create

    rng = random.Random(8)
    password = secrets.token_urlsafe(12)
    hashed = make_password(password)  # once: the hasher is slow on purpose
    result: dict[str, Any] = {"password": password, "accountants": [], "clients": [], "tokens": []}
    dossiers = []
    for f in range(FIRMS):
        firm = FirmFactory(name=f"Fiduciaire Charge {f + 1}")
        for a in range(ACCOUNTANTS_PER_FIRM):
            accountant = User.objects.create(email=f"comptable{f}{a}@load.test", password=hashed)
            MembershipFactory(firm=firm, user=accountant, level=FirmLevel.POWER_USER)
            own = []
            for d in range(DOSSIERS_PER_ACCOUNTANT):
                dossier = DossierFactory(
                    firm=firm,
                    accountant=accountant,
                    code=f"L{f}{a}{d}",
                    default_processing_mode=ProcessingMode.TRANSPORT,
                )
                grant(accountant, dossier, "connect.accountant", "view.admin")
                client = User.objects.create(email=f"client{f}{a}{d}@load.test", password=hashed)
                grant(client, dossier, "connect.entrepreneur", "view.user")
                result["clients"].append({"email": client.email, "dossier": str(dossier.public_id)})
                dossiers.append((dossier, client))
                own.append(str(dossier.public_id))
            result["accountants"].append({"email": accountant.email, "dossiers": own})
            _token, raw = api_token_create(actor=accountant, name="load")
            result["tokens"].append({"token": raw, "dossiers": own})
    now = timezone.now()
    batch = []
    for i in range(DOCUMENTS):
        dossier, client = dossiers[i % len(dossiers)]
        when = now - timedelta(hours=rng.randint(1, 24 * 365))
        sent = i % 5 < 2  # two in five wait in the inbox, with their file
        name = f"load/{dossier.public_id}/{i}.pdf"
        data = b"%PDF-1.4\n" + rng.randbytes(rng.randint(5_000, 30_000))
        if sent:
            default_storage.save(name, ContentFile(data))
        batch.append(
            Document(
                firm=dossier.firm,
                dossier=dossier,
                filename=f"facture-{i}.pdf",
                storage_name=name,
                content_type="application/pdf",
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                source="web",
                uploaded_by=client,
                status="sent" if sent else "booked",
                category=rng.choice([Category.PURCHASE_INVOICE, Category.SALES_INVOICE]),
                sent_at=when,
                ready_at=when,
                booked_at=None if sent else when + timedelta(days=rng.randint(1, 30)),
                amount=Decimal(rng.randint(1000, 500_000)) / 100,
                processing="done",
                processed_at=when,
            )
        )
        if len(batch) == 2000:
            Document.objects.bulk_create(batch)
            batch = []
    Document.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    (workdir / "seed.json").write_text(json.dumps(result))
    return result


def app_role_grant() -> str:
    """Grants APP_ROLE its row access (`manage.py db_app_role`); returns the role the services
    are to act as."""
    import io

    from django.core.management import call_command

    if not APP_ROLE:
        return ""
    call_command("db_app_role", APP_ROLE, "--create", stdout=io.StringIO())
    return APP_ROLE


# --- processes -------------------------------------------------------------------------------


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group this run started (gunicorn's and Celery's children too),
    then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def wait_for(check: Any, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not start in {timeout:.0f} s")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
            return bool(response.status == 200)
    except OSError:
        return False


def services_start(workdir: Path, env: dict[str, str], port: int) -> list[Any]:
    celery = [sys.executable, "-m", "celery", "-A", "portal"]
    web = start(
        [
            str(VENV_BIN / "gunicorn"),
            "portal.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={WORKERS}",
            f"--threads={THREADS}",
            "--worker-class=gthread",
            "--timeout=120",
            # Longer than any user's pause: an idle connection is not closed under its request.
            "--keep-alive=30",
            "--log-level=warning",
            f"--access-logfile={workdir / 'access.log'}",
            # The time gunicorn took for each request (ms), beside what locust waited.
            "--access-logformat=%(m)s %(U)s %(s)s %(M)s",
        ],
        env,
        workdir / "gunicorn.log",
    )
    worker_log = workdir / "worker.log"
    worker = start(
        [
            *celery,
            "worker",
            "-Q",
            "default,mail,documents,recognition",
            f"--concurrency={CONCURRENCY}",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"load-{os.getpid()}@%h",
        ],
        env,
        worker_log,
    )
    beat = start(
        [
            *celery,
            "beat",
            f"--schedule={workdir / 'beat-schedule'}",
            f"--pidfile={workdir / 'beat.pid'}",
            "--loglevel=WARNING",
        ],
        env,
        workdir / "beat.log",
    )
    processes = [web, worker, beat]
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/accounts/login/"), "gunicorn")
        wait_for(lambda: " ready." in worker_log.read_text(errors="replace"), "the worker")
    except RuntimeError:
        for process in processes:
            stop(process)
        raise
    return processes


# --- locust and its report -------------------------------------------------------------------


def cpu_seconds(session: int) -> float:
    """CPU time (user and system) of the processes of a session (a process started by `start`
    and its children, those that ended included: pdftoppm under the worker), from /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[3]) == session:
            total += sum(int(f) for f in fields[11:15])  # its own and its ended children's
    return total / os.sysconf("SC_CLK_TCK")


def hog_start(workdir: Path) -> subprocess.Popen[bytes]:
    """``HOG`` busy loops in one session of their own (``LOAD_HOG``)."""
    loop = f"{sys.executable} -c 'while True: pass'"
    command = ["sh", "-c", " & ".join([loop] * HOG) + " & wait"]
    return start(command, dict(os.environ), workdir / "hog.log")


def hog_stop(hog: subprocess.Popen[bytes] | None) -> float:
    """Stops the busy loops; returns the CPU seconds they had."""
    if hog is None:
        return 0.0
    used = cpu_seconds(hog.pid)
    stop(hog)
    return used


def server_times(workdir: Path) -> dict[str, list[int]]:
    """The time gunicorn took for each request (ms, from its access log), per group of
    ``locustfile.group``: what the portal spent, without the wait for a free thread or the
    client's own."""
    groups: dict[str, list[int]] = {}
    path = workdir / "access.log"
    for line in path.read_text().splitlines() if path.exists() else []:
        parts = line.split()
        if len(parts) != 4 or not parts[3].isdigit():
            continue
        method, url, _status, ms = parts
        if url.startswith("/api/"):
            name = "desktop API"
        elif method == "POST" and url.endswith("/upload/"):
            name = "uploads"
        elif method == "POST" and url.startswith("/accounts/login/"):
            name = "login"
        else:
            name = "pages"
        groups.setdefault(name, []).append(int(ms))
    return groups


def server_report(workdir: Path) -> None:
    times = server_times(workdir)
    if not times:
        return
    print("as gunicorn timed them (ms, from the request read to the answer written):")
    for name, values in sorted(times.items()):
        values.sort()
        p50, p95 = (values[min(len(values) - 1, int(q * len(values)))] for q in (0.5, 0.95))
        print(f"  {name:<32}{len(values):>7}{p50:>16}{p95:>8}")


def locust_run(workdir: Path, env: dict[str, str], port: int) -> None:
    users = sum(int(count) for count in USERS.values())
    command = [
        str(VENV_BIN / "locust"),
        "-f",
        str(Path(__file__).with_name("locustfile.py")),
        "--headless",
        f"--users={users}",
        f"--spawn-rate={SPAWN_RATE:g}",
        f"--run-time={SECONDS}s",
        f"--host=http://127.0.0.1:{port}",
        "--only-summary",
        "--stop-timeout=60",
        "--loglevel=WARNING",
    ]
    locust_env = {
        **env,
        **USERS,
        "LOAD_SEED": str(workdir / "seed.json"),
        "LOAD_UPLOADS": str(workdir / "uploads.jsonl"),
        "LOAD_REPORT": str(workdir / "report.json"),
    }
    print(f"locust: {users} users ({', '.join(f'{k}={v}' for k, v in USERS.items())}), {SECONDS} s")
    with (workdir / "locust.log").open("wb") as out:
        # A session of its own: on Linux's autogroup scheduling, the client does not share
        # its CPU with this script's terminal (or a hog started there): it stands for people
        # on other machines, and waiting for a core itself would add to what it measures.
        subprocess.run(
            command,
            cwd=ROOT,
            env=locust_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    if not (workdir / "report.json").exists():
        print((workdir / "locust.log").read_text(errors="replace")[-3000:])
        raise RuntimeError("locust wrote no statistics")


def report(workdir: Path) -> tuple[int, int]:
    """Prints the table of locust's final statistics (per request kind, then per group) and
    the answers 429; returns the number of failed requests and of answers 429."""
    data = json.loads((workdir / "report.json").read_text())
    print(f"\nover {data['seconds']:.0f} s:")
    print(
        f"{'request kind':<34}{'count':>7}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'errors':>8}"
    )
    rows = [*sorted(data["kinds"], key=lambda k: k["name"]), None, *data["groups"]]
    for row in [*rows, data["total"]]:
        if row is None:
            print("by group:")
            continue
        print(
            f"{row['name'][:33]:<34}{row['count']:>7}{row['rps']:>8.2f}{row['p50']:>8}"
            f"{row['p95']:>8}{row['p99']:>8}{row['failures']:>8}"
        )
    for error in sorted(data["errors"], key=lambda e: -e["count"])[:10]:
        print(f"  error x{error['count']}: {error['name']}: {error['error'][:150]}")
    refused = data["refused"]
    kinds = ", ".join(f"{name}: {count}" for name, count in sorted(refused.items()))
    # No user of the scenario goes near a limit: every 429 is a false refusal.
    print(
        f"answers 429 (none expected): {sum(refused.values())}" + (f" ({kinds})" if kinds else "")
    )
    return int(data["total"]["failures"]), sum(refused.values())


# --- verification ----------------------------------------------------------------------------


def verify(workdir: Path) -> int:
    """Waits for the worker to settle, then checks each upload locust recorded; returns the
    number of documents lost (missing, other bytes, unprocessed, or sent but not ready)."""
    from django.core.files.storage import default_storage

    from connect.models import Document, Processing, Status

    path = workdir / "uploads.jsonl"
    uploads = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    ids = [u["id"] for u in uploads]
    started = time.monotonic()
    deadline = started + SETTLE_SECONDS
    while time.monotonic() < deadline:
        waiting = Document.objects.filter(public_id__in=ids, processing=Processing.PENDING).count()
        if not waiting:
            break
        time.sleep(1)
    print(f"\nprocessing settled {time.monotonic() - started:.1f} s after the run")
    rows = {str(d.public_id): d for d in Document.objects.filter(public_id__in=ids)}
    problems: list[str] = []
    for upload in uploads:
        document = rows.get(upload["id"])
        if document is None:
            problems.append(f"{upload['name']}: no row")
            continue
        with default_storage.open(document.storage_name, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        if document.sha256 != upload["sha256"] or digest != upload["sha256"]:
            problems.append(f"{upload['name']}: stored bytes differ from what was sent")
        elif document.size != upload["size"]:
            problems.append(f"{upload['name']}: size {document.size} != {upload['size']}")
        elif document.processing != Processing.DONE:
            problems.append(f"{upload['name']}: processing {document.processing}")
        elif upload["sent"] and (
            document.status not in (Status.SENT, Status.VALIDATED, Status.RETRIEVED)
            or document.ready_at is None
        ):
            problems.append(f"{upload['name']}: sent, but {document.status}, not ready")
    sent = sum(u["sent"] for u in uploads)
    retrieved = sum(
        1 for u in uploads if u["id"] in rows and rows[u["id"]].status == Status.RETRIEVED
    )
    megabytes = sum(u["size"] for u in uploads) / 2**20
    print(
        f"uploads made: {len(uploads)} ({megabytes:.0f} MB, {megabytes / SECONDS:.1f} MB/s), "
        f"sent: {sent}, retrieved by the desktop tools: {retrieved}"
    )
    for problem in problems[:20]:
        print(f"  {problem}")
    print(f"lost documents: {len(problems)}")
    return len(problems)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.private_redis import private_redis

    if REDIS_URL:
        run(REDIS_URL)
    else:
        with private_redis(fallback="redis://127.0.0.1:6379/8") as url:
            run(url)


def run(redis_url: str) -> None:
    from tests.fixtures_services import free_port

    workdir = Path(tempfile.mkdtemp(prefix="portal-load-"))
    port = free_port()
    env = service_env(workdir, port, redis_url)
    os.environ.update(env)  # this process seeds and verifies with the services' settings
    import django
    import redis

    django.setup()
    redis.Redis.from_url(redis_url).flushdb()
    processes: list[Any] = []
    lost, failed, refused, uploads = 0, 0, 0, 0
    try:
        started = time.perf_counter()
        database_create()
        seeded = seed(workdir)
        print(
            f"seeded {len(seeded['accountants'])} accountants, {len(seeded['clients'])} dossiers "
            f"and clients, {DOCUMENTS} documents in {time.perf_counter() - started:.0f} s"
        )
        env["DATABASE_APP_ROLE"] = role = app_role_grant()
        processes = services_start(workdir, env, port)
        print(
            f"gunicorn on 127.0.0.1:{port} ({WORKERS} workers x {THREADS} threads), "
            f"worker (concurrency {CONCURRENCY}) and beat on {redis_url}; "
            + (f"acting as {role} (row-level security)" if role else "acting as the owner")
        )
        used = [cpu_seconds(process.pid) for process in processes]
        load_before = os.getloadavg()[0]
        hog = hog_start(workdir) if HOG else None
        started = time.perf_counter()
        try:
            locust_run(workdir, env, port)
        finally:
            hog_cpu = hog_stop(hog)
        elapsed = time.perf_counter() - started
        used = [
            cpu_seconds(process.pid) - before
            for process, before in zip(processes, used, strict=True)
        ]
        failed, refused = report(workdir)
        server_report(workdir)
        locust_cpu = sum(os.times()[2:4])
        print(
            f"CPU during the run ({elapsed:.0f} s, {os.cpu_count()} cores, load average "
            f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after): gunicorn {used[0]:.0f} s, "
            f"worker {used[1]:.0f} s, beat {used[2]:.0f} s, locust {locust_cpu:.0f} s"
            + (f", {HOG} busy loops {hog_cpu:.0f} s" if HOG else "")
        )
        lost = verify(workdir)
        path = workdir / "uploads.jsonl"
        uploads = len(path.read_text().splitlines()) if path.exists() else 0
    finally:
        for process in reversed(processes):
            stop(process)
        database_drop()
        redis.Redis.from_url(redis_url).flushdb()
        if os.environ.get("LOAD_KEEP") == "1":
            print(f"logs and files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"failed requests: {failed}")
    if lost or refused or not uploads:
        sys.exit(1)


if __name__ == "__main__":
    main()
