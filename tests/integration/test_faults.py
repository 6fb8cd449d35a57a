"""Faults with real processes (QUALITY.md, "Faults: nothing lost"; docs/faults.md).

Each test breaks a real component the way production breaks it: a Celery worker SIGKILLed
again and again mid-task, a private Redis killed while clients upload, a private PostgreSQL
restarted under a gunicorn that keeps running, the SMTP server gone for a while, the media
disk full or read-only and S3 cut off mid-upload, `connect-sync` SIGKILLed at random bytes of
its conversation. The shared PostgreSQL and Redis are never touched: the ones a test stops are
its own (tests/fixtures_services.py)."""

import contextlib
import hashlib
import http.client
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connect.documents import services
from connect.models import (
    CreditUse,
    Document,
    DocumentEvent,
    DocumentText,
    EventKind,
    Processing,
    Recognition,
    Status,
)
from core.models import OutboundEmail
from dossiers.models import Cartouche, Dossier, FirmLevel
from tests.connect import samples
from tests.fixtures_services import (
    ROOT,
    PostgresCluster,
    RedisInstance,
    SMTPServer,
    _database_url,
    children_of,
    free_port,
    postgres_bin,
    process_group_kill,
    use_broker,
    worker_start,
)
from tests.integration.test_connect_sync import files_in, get_all
from users.models import User

pytestmark = [
    pytest.mark.integration,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True),
]

MAX_ATTEMPTS = settings.CONNECT_PROCESSING_MAX_ATTEMPTS
STORAGE_FAILED_FR = "Le fichier n'a pas pu être enregistré"
RETRY_LINE = re.compile(r"email_deliver\[([0-9a-f-]+)\] retry: Retry in (\d+)s")


def wait_until(predicate: Callable[[], Any], timeout: float, message: Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(message())
        time.sleep(0.05)
    return result


def premium(dossier: Dossier, credits: int) -> None:
    Dossier.objects.filter(pk=dossier.pk).update(default_processing_mode="premium")
    dossier.refresh_from_db()
    Cartouche.objects.filter(firm=dossier.firm, mode="premium").update(credits=credits)


def credits_left(dossier: Dossier) -> int:
    return Cartouche.objects.get(firm=dossier.firm, mode="premium").credits


@contextlib.contextmanager
def broker(url: str) -> Iterator[None]:
    """This process enqueues to ``url`` and no longer runs tasks inline."""
    from portal.celery import app

    use_broker(url)
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        use_broker(settings.CELERY_BROKER_URL)
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


def log_tail(process: subprocess.Popen[str] | None, lines: int = 30) -> str:
    return "".join(getattr(process, "log", [])[-lines:])


def assert_read_once(documents: list[Document]) -> None:
    """Each document read exactly once: one credit, one text, one "recognised" event."""
    ids = [d.pk for d in documents]
    for name, model, key in (
        ("credit", CreditUse, "document_id"),
        ("text", DocumentText, "document_id"),
    ):
        counts = dict(
            model.objects.filter(**{f"{key}__in": ids})
            .values_list(key)
            .annotate(n=Count("id"))
            .values_list(key, "n")
        )
        assert counts == dict.fromkeys(ids, 1), (name, counts)
    events = dict(
        DocumentEvent.objects.filter(document_id__in=ids, kind=EventKind.RECOGNISED)
        .values_list("document_id")
        .annotate(n=Count("id"))
        .values_list("document_id", "n")
    )
    assert events == dict.fromkeys(ids, 1), events


# --- 1. a worker SIGKILLed again and again ----------------------------------------------------


@dataclass
class Kill:
    document: str
    attempt: int
    whole_group: bool
    interrupted: bool = False


def test_a_worker_killed_again_and_again_loses_nothing_and_doubles_nothing(
    dossier: Dossier, client_user: User, private_redis: RedisInstance
) -> None:
    """Premium documents read by a real prefork worker that is SIGKILLed whenever it has just
    taken a document: the pool child alone (as the OOM killer does; the parent requeues the
    message) or the whole process group (a node lost; its messages stay unacknowledged). The
    sweeper enqueues what a dead run held once its lease is stale (the test ages the leases:
    11 minutes do not pass in a test). Two files kill the worker on every attempt: one while
    it is read, one while its thumbnail is made."""
    from connect.tasks import document_processing_sweep

    premium(dossier, credits=100)
    photos = [
        (f"photo-{n}.jpg", samples.invoice_photo([*samples.BELGIAN_INVOICE, f"Bon {n}"]))
        for n in range(3)
    ]
    texts = [
        (f"facture-{n}.pdf", samples.invoice_pdf([*samples.BELGIAN_INVOICE, f"Commande {n}"]))
        for n in range(3)
    ]
    poison_bytes = samples.invoice_photo(["Ce fichier fait tomber le lecteur", "Poison"])
    # Received and processed (thumbnails) inline: the worker below reads them.
    received = {
        name: services.document_receive(
            dossier=dossier, actor=client_user, filename=name, chunks=[data], source="web"
        ).document
        for name, data in [*photos, *texts, ("poison.jpg", poison_bytes)]
    }
    names = {document.pk: name for name, document in received.items()}
    poison = received["poison.jpg"]
    good = [d for d in received.values() if d.pk != poison.pk]
    before = credits_left(dossier)
    kills: list[Kill] = []
    restarts = sweeps = 0
    worker: subprocess.Popen[str] | None = None

    def start() -> subprocess.Popen[str]:
        return worker_start(
            broker_url=private_redis.url(),
            pool="prefork",
            name="fault-kill",
            queues="documents,recognition",
            new_session=True,
        )

    def sweep(*, stale_ids: list[int]) -> None:
        """Time passes for the dead runs (their leases are stale), the beat's sweeper runs."""
        nonlocal sweeps
        old = timezone.now() - timedelta(minutes=12)
        waiting = Document.objects.filter(pk__in=stale_ids)
        waiting.filter(recognition_started_at__isnull=False).update(recognition_started_at=old)
        waiting.filter(recognition_started_at__isnull=True).update(recognition_queued_at=old)
        waiting.filter(processing=Processing.PENDING).update(uploaded_at=old)
        document_processing_sweep()  # in this process; it enqueues to the private Redis
        sweeps += 1

    def unfinished() -> dict[tuple[int, str], int]:
        """(document, step) -> attempts counted, for each reading or processing not over."""
        rows = Document.objects.filter(pk__in=names).values_list(
            "pk", "recognition", "recognition_attempts", "processing", "processing_attempts"
        )
        steps = {}
        for pk, recognition, read, processing, processed in rows:
            if recognition == Recognition.PENDING:
                steps[(pk, "read")] = read
            if processing == Processing.PENDING:
                steps[(pk, "thumbnail")] = processed
        return steps

    with broker(private_redis.url()):
        # The thumbnail poison arrives now: its processing goes to the worker.
        thumb_poison = services.document_receive(
            dossier=dossier,
            actor=client_user,
            filename="thumbnail-poison.jpg",
            chunks=[samples.invoice_photo(["Vignette impossible"])],
            source="web",
        ).document
        names[thumb_poison.pk] = "thumbnail-poison.jpg"
        services.documents_send(
            actor=client_user, dossier=dossier, documents=list(received.values())
        )
        documents_before = Document.objects.count()
        try:
            worker = start()
            seen = unfinished()
            idle_since = time.monotonic()
            deadline = time.monotonic() + 240
            while steps := unfinished():
                assert time.monotonic() < deadline, (kills, log_tail(worker))
                taken = [(key, n) for key, n in steps.items() if n > seen.get(key, 0)]
                if not taken:
                    if time.monotonic() - idle_since > 15:  # nothing moves any more
                        sweep(stale_ids=list(names))
                        idle_since = time.monotonic()
                    time.sleep(0.01)
                    continue
                idle_since = time.monotonic()
                (pk, step), attempt = taken[0]
                seen[(pk, step)] = attempt
                # The poison files every time; the others at most twice (the third reading
                # must succeed), 5 kills among them.
                good_kills = sum("poison" not in k.document for k in kills)
                poisoned = pk in (poison.pk, thumb_poison.pk)
                if not poisoned and (good_kills >= 5 or attempt >= MAX_ATTEMPTS):
                    continue
                whole_group = len(kills) % 3 == 2
                pool_children = children_of(worker.pid)
                if whole_group or not pool_children:
                    process_group_kill(worker)
                    whole_group = True
                else:
                    for child in pool_children:
                        os.kill(child, signal.SIGKILL)
                kill = Kill(names[pk], attempt, whole_group)
                kills.append(kill)
                kill.interrupted = (pk, step) in unfinished()
                if whole_group:
                    # Its reserved messages are lost with it (unacknowledged until Redis's
                    # visibility timeout, an hour): the sweeper finds every document that
                    # waits, 5 minutes after it was queued or 11 after its lease.
                    worker = start()
                    restarts += 1
                    sweep(stale_ids=list(names))
                else:
                    sweep(stale_ids=[pk])
            time.sleep(1.5)  # a doubled message, if any, would run now
        finally:
            if worker is not None:
                process_group_kill(worker)

    summary = (
        f"{len(kills)} kills ({sum(k.whole_group for k in kills)} of the whole group, "
        f"{sum(k.interrupted for k in kills)} mid-task), {restarts} restarts, {sweeps} sweeps: "
        + ", ".join(f"{k.document}#{k.attempt}{'G' if k.whole_group else 'C'}" for k in kills)
    )
    print(summary)  # noqa: T201 (the figures for docs/faults.md)
    assert len(kills) >= 10, summary
    assert sum(k.interrupted for k in kills) >= 10, summary
    for poisoned in ("poison.jpg", "thumbnail-poison.jpg"):
        assert [k.attempt for k in kills if k.document == poisoned] == [1, 2, 3], summary
    # Nothing lost, nothing doubled: every good document read once, one credit each.
    assert Document.objects.count() == documents_before
    for document in good:
        document.refresh_from_db()
        assert document.recognition == Recognition.DONE, (names[document.pk], summary)
        assert document.ready_at is not None
        assert 1 <= document.recognition_attempts <= MAX_ATTEMPTS
        assert document.recognized and document.recognized["supplier_vat"] == "BE0403170701"
    assert_read_once(good)
    assert before - credits_left(dossier) == len(good)
    assert CreditUse.objects.count() == len(good)
    # The file that kills the reading is given up after the allowed attempts: delivered as it
    # is, never read, no credit.
    poison.refresh_from_db()
    assert poison.recognition == Recognition.FAILED
    assert poison.recognition_attempts == MAX_ATTEMPTS
    assert poison.ready_at is not None
    assert not CreditUse.objects.filter(document=poison).exists()
    assert list(
        DocumentEvent.objects.filter(document=poison, kind=EventKind.RECOGNISED).values_list(
            "note", flat=True
        )
    ) == ["failed"]
    # The file that kills the thumbnailing is quarantined after the allowed attempts.
    thumb_poison.refresh_from_db()
    assert thumb_poison.processing == Processing.QUARANTINED
    assert thumb_poison.processing_attempts == MAX_ATTEMPTS
    assert not thumb_poison.thumbnail_name


# --- 2. Redis killed while clients upload -----------------------------------------------------


def redis_cache(instance: RedisInstance) -> dict[str, Any]:
    """The cache on the private Redis, as production shares one Redis for cache and broker."""
    return {
        "default": {
            "BACKEND": settings.CACHES["default"]["BACKEND"],
            "LOCATION": instance.url(),
            "KEY_PREFIX": "fault",
        }
    }


def test_uploads_succeed_while_redis_is_down_and_are_processed_once_after(
    dossier: Dossier, client_user: User, private_redis: RedisInstance, settings
) -> None:
    """Redis is the broker and the cache. It dies (SIGKILL, no persistence: every queued
    message is lost) between the uploads a client sends from the web page; each upload still
    answers success. Redis comes back empty; the beat's sweeper and a real worker process and
    read every document exactly once."""
    from connect.tasks import document_processing_sweep

    premium(dossier, credits=50)
    settings.CACHES = redis_cache(private_redis)
    web = Client()
    web.force_login(client_user)
    upload_url = reverse("connect:upload", args=[dossier.public_id])
    worker = worker_start(
        broker_url=private_redis.url(), pool="solo", name="fault-redis", new_session=True
    )
    try:
        with broker(private_redis.url()):
            statuses = []
            for n, count in enumerate((1, 2, 1)):
                if n == 1:  # Redis dies after the first upload, its work perhaps in flight
                    private_redis.crash()
                    started = time.monotonic()
                files = [
                    SimpleUploadedFile(
                        f"web-{n}-{k}.pdf",
                        samples.invoice_pdf([*samples.BELGIAN_INVOICE, f"Web {n}.{k}"]),
                    )
                    for k in range(count)
                ]
                response = web.post(
                    upload_url,
                    {"category": "purchase_invoice", "send": "on", "uploads": files},
                    HTTP_ACCEPT="application/json",
                )
                statuses.append(response.status_code)
                assert all(r["ok"] for r in json.loads(response.content)["results"])
            outage = time.monotonic() - started
            assert statuses == [HTTPStatus.OK] * 3
            documents = list(Document.objects.filter(dossier=dossier).order_by("pk"))
            assert len(documents) == 4
            # The database holds the truth: received, sent, waiting to be processed and read.
            assert {(d.status, d.processing, d.recognition) for d in documents[1:]} == {
                (Status.SENT, Processing.PENDING, Recognition.PENDING)
            }

            private_redis.up()  # back, empty
            old = timezone.now() - timedelta(minutes=6)  # the sweeper's wait has passed
            Document.objects.filter(dossier=dossier).update(
                uploaded_at=old, recognition_queued_at=old
            )
            document_processing_sweep.delay()  # what the beat sends every minute
            document_processing_sweep.delay()  # twice: nothing is done twice

            def settled() -> bool:
                return not Document.objects.exclude(
                    processing=Processing.DONE, recognition=Recognition.DONE
                ).exists()

            wait_until(
                settled,
                90,
                lambda: (
                    str(list(Document.objects.values_list("processing", "recognition")))
                    + log_tail(worker)
                ),
            )
            time.sleep(1.5)  # a doubled message, if any, would run now
    finally:
        process_group_kill(worker)
    print(f"Redis down for {outage:.1f} s during 2 uploads (3 files)")  # noqa: T201
    for document in Document.objects.all():
        assert document.processing_attempts == 1
        assert document.recognition_attempts == 1
        assert document.thumbnail_name
    assert_read_once(documents)
    assert credits_left(dossier) == 50 - 4


def test_the_desk_and_the_api_keep_working_while_the_cache_redis_is_down(
    dossier: Dossier, client_user: User, private_redis: RedisInstance, settings
) -> None:
    """The same outage seen from the pages and the API: the rate limits and the unread count
    live in the cache, which must not take the page or a scanner's upload down with it."""
    from users.services import api_token_create

    settings.CACHES = redis_cache(private_redis)
    web = Client()
    web.force_login(client_user)
    _, token = api_token_create(actor=client_user, name="scanner")
    with broker(private_redis.url()):
        private_redis.crash()
        page = web.get(reverse("connect:section", args=[dossier.public_id, "invoices"]))
        response = web.post(
            f"/api/v1/dossiers/{dossier.public_id}/documents",
            {"file": SimpleUploadedFile("scan.pdf", samples.invoice_pdf(["Scanner", "A4"]))},
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_ACCEPT="application/json",
        )
    assert page.status_code == HTTPStatus.OK
    assert response.status_code == HTTPStatus.CREATED, response.content[:300]
    assert Document.objects.filter(dossier=dossier, processing=Processing.PENDING).count() == 1


# --- 3. PostgreSQL restarted under a running gunicorn -----------------------------------------


def http_get(port: int, path: str, cookie: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, "Accept-Language": "fr"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def database_copy(cluster: PostgresCluster, name: str) -> None:
    """The test database (schema and the rows this test made) into the private cluster."""
    subprocess.run(
        [postgres_bin("psql"), "-q", cluster.url(), "-c", f"CREATE DATABASE {name}"],
        check=True,
        capture_output=True,
    )
    dump = subprocess.run(
        [postgres_bin("pg_dump"), "--no-owner", "--no-privileges", _database_url()],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(
        [postgres_bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", cluster.url(name)],
        input=dump,
        check=True,
        capture_output=True,
    )


def test_postgresql_restarted_requests_fail_cleanly_then_succeed_without_restarting_the_app(
    dossier: Dossier, client_user: User, private_postgres: PostgresCluster, tmp_path: Path
) -> None:
    """A gunicorn worker keeps its database connection between requests (CONN_MAX_AGE). The
    private PostgreSQL behind it is stopped (fast, then as a crash) and started again while a
    client keeps asking: the requests that meet the outage get the plain 500 page (no
    traceback), the later ones succeed from the same gunicorn worker process."""
    browser = Client()
    browser.force_login(client_user)  # the session row travels with the copy
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    database_copy(private_postgres, "portal")
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        # As in production (portal/settings/base.py): connections kept, checked before reuse.
        "TEST_DATABASE_URL": private_postgres.url("portal")
        + "?conn_max_age=60&conn_health_checks=True",
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("w") as out:
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    page = reverse("connect:section", args=[dossier.public_id, "invoices"])
    outcomes: list[int | str] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            try:
                status, body = http_get(port, page, cookie)
                outcomes.append("traceback" if b"Traceback" in body else status)
            except (OSError, http.client.HTTPException) as exc:
                outcomes.append(type(exc).__name__)
            time.sleep(0.02)

    try:

        def up() -> bool:
            with contextlib.suppress(OSError):
                return http_get(port, page, cookie)[0] == HTTPStatus.OK
            return False

        wait_until(up, 60, lambda: "gunicorn did not answer")
        (worker_pid,) = children_of(gunicorn.pid)
        asker = threading.Thread(target=keep_asking, daemon=True)
        asker.start()
        for mode in ("fast", "immediate"):
            time.sleep(0.3)
            private_postgres.stop(mode)
            status, body = http_get(port, page, cookie)
            assert status == HTTPStatus.INTERNAL_SERVER_ERROR, (mode, status, body[:300])
            assert b"<h1>" in body
            for leak in (b"Traceback", b"OperationalError", b"psycopg", b"5432", b"portal/"):
                assert leak not in body, (mode, leak)
            private_postgres.start()
            status, body = http_get(port, page, cookie)
            assert status == HTTPStatus.OK, (mode, status, body[:500])
            assert dossier.name.encode() in body
        # The client keeps asking until three answers in a row are good again (a fixed pause
        # gave it too few requests on a loaded machine).
        wait_until(
            lambda: outcomes[-3:] == [HTTPStatus.OK] * 3,
            60,
            lambda: f"the pages did not come back: {outcomes[-10:]}",
        )
        stop.set()
        asker.join(10)
        # A quiet restart: the worker's kept connection is dead when the next request comes.
        assert http_get(port, page, cookie)[0] == HTTPStatus.OK
        private_postgres.stop("fast")
        private_postgres.start()
        status, body = http_get(port, page, cookie)
        assert status == HTTPStatus.OK, ("after a quiet restart", status, body[:300])
        assert children_of(gunicorn.pid) == [worker_pid]  # the app was not restarted
        assert gunicorn.poll() is None
    finally:
        stop.set()
        process_group_kill(gunicorn)
    failed = [o for o in outcomes if o != HTTPStatus.OK]
    print(f"{len(outcomes)} requests around 2 restarts: {len(failed)} answered {set(failed)}")  # noqa: T201
    assert set(failed) <= {HTTPStatus.INTERNAL_SERVER_ERROR}, outcomes
    assert outcomes[-3:] == [HTTPStatus.OK] * 3


# --- 4. SMTP down for a while -----------------------------------------------------------------


def test_mails_queued_while_smtp_is_down_are_delivered_once_each_with_backoff(
    celery_worker, smtp: SMTPServer, dossier: Dossier, client_user: User, accountant: User
) -> None:
    from connect.collaboration.document_requests.services import request_create
    from connect.collaboration.messages.services import thread_create
    from dossiers.firm_users import user_invite

    smtp.down()
    outage_started = time.monotonic()
    user_invite(
        firm=dossier.firm,
        actor=accountant,
        email="nouveau@alpha-un.be",
        first_name="Nina",
        last_name="Nouveau",
        language="nl",
        level=FirmLevel.USER,
        accesses={dossier: {"view.user"}},
        send_email=True,
    )
    thread_create(actor=client_user, dossier=dossier, subject="TVA", body="Une question.")
    request_create(
        actor=accountant,
        dossier=dossier,
        description="Extraits bancaires de mars",
        period="2026-03",
        due_date=timezone.localdate() + timedelta(days=7),
    )
    rows = list(OutboundEmail.objects.order_by("pk"))
    assert {(row.kind, row.to) for row in rows} == {
        ("invitation", "nouveau@alpha-un.be"),
        ("message.posted", accountant.email),
        ("request.created", client_user.email),
    }
    # Down: each row is tried, refused, recorded and retried later, not in a tight loop.
    tries: dict[int, list[float]] = {row.pk: [] for row in rows}
    while time.monotonic() - outage_started < 5 or any(len(t) < 2 for t in tries.values()):
        assert time.monotonic() - outage_started < 30, tries
        for pk, attempts in OutboundEmail.objects.values_list("pk", "attempts"):
            while len(tries[pk]) < attempts:
                tries[pk].append(time.monotonic() - outage_started)
        time.sleep(0.02)
    outage = time.monotonic() - outage_started
    for row in OutboundEmail.objects.all():
        assert row.status == OutboundEmail.Status.PENDING
        assert "Connection refused" in row.last_error or "Errno" in row.last_error, row.last_error
        assert 2 <= row.attempts <= 8, (row.kind, tries)  # backoff: not hundreds of tries
    assert smtp.messages == []

    smtp.up()
    smtp.wait_for(3, timeout=60)

    def all_sent() -> bool:
        return not OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).exists()

    wait_until(all_sent, 30, lambda: str(list(OutboundEmail.objects.values("kind", "status"))))
    time.sleep(3)  # nothing else arrives: each mail once
    delivered = sorted(str(message["To"]) for message in smtp.messages)
    assert delivered == sorted(row.to for row in rows)
    for row in OutboundEmail.objects.all():
        assert row.attempts >= 3 and row.sent_at is not None and row.last_error == ""
    gaps = {
        kind: [round(b - a, 2) for a, b in itertools.pairwise(times)]
        for kind, times in zip([r.kind for r in rows], tries.values(), strict=True)
    }
    # The worker's own account: "email_deliver[<task>] retry: Retry in <n>s", exponential with
    # full jitter (the n-th retry waits between 0 and 2**n seconds: MAIL_RETRY_BACKOFF is 1).
    countdowns: dict[str, list[int]] = {}
    for task, seconds in RETRY_LINE.findall("".join(celery_worker.log)):
        countdowns.setdefault(task, []).append(int(seconds))
    assert sum(map(len, countdowns.values())) >= sum(len(t) for t in tries.values()) - 3
    for waits in countdowns.values():
        assert all(wait <= 2**n for n, wait in enumerate(waits)), countdowns
    print(f"SMTP down {outage:.1f} s; gaps between tries: {gaps}; countdowns {countdowns}")  # noqa: T201


# --- 5. the storage full, read-only, or cut off -----------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs as MEDIA_ROOT: a real disk that fills up or turns read-only."""
    mount_point = tmp_path / "media"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mount_point)],
        check=False,
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False, capture_output=True)


def stored_documents(root: Path) -> list[Path]:
    return sorted(p for p in (root / "documents").rglob("*") if p.is_file())


def upload_one(client: Client, dossier: Dossier, name: str, data: bytes) -> dict[str, Any]:
    response = client.post(
        reverse("connect:upload", args=[dossier.public_id]),
        {"category": "purchase_invoice", "uploads": [SimpleUploadedFile(name, data)]},
        HTTP_ACCEPT="application/json",
    )
    return {"status": response.status_code, **json.loads(response.content)}


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_a_full_or_read_only_disk_refuses_the_upload_cleanly(
    fault: str, small_disk: Path, dossier: Dossier, client_user: User, settings
) -> None:
    settings.MEDIA_ROOT = str(small_disk)
    client = Client()
    client.force_login(client_user)
    data = samples.pdf_with_binary_stream(os.urandom(300_000))
    filler = small_disk / "filler"
    if fault == "full":
        with filler.open("wb") as handle, contextlib.suppress(OSError):
            while True:  # until ENOSPC
                handle.write(b"\0" * 65536)
                handle.flush()
        with filler.open("r+b") as handle:  # leave 64 KB: the upload fails mid-write
            handle.truncate(filler.stat().st_size - 65536)
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)

    answer = upload_one(client, dossier, "facture.pdf", data)

    assert answer["status"] == HTTPStatus.BAD_REQUEST, answer
    (result,) = answer["results"]
    assert result["ok"] is False
    assert result["message"].startswith(STORAGE_FAILED_FR), result
    assert not Document.objects.exists()  # no row without a file
    assert stored_documents(small_disk) == []  # no file (not even a partial one) without a row

    # The disk has room again / is writable again: the same upload goes through.
    if fault == "full":
        filler.unlink()
    else:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    answer = upload_one(client, dossier, "facture.pdf", data)
    assert answer["status"] == HTTPStatus.OK, answer
    (document,) = Document.objects.all()
    (path,) = stored_documents(small_disk)
    assert path == small_disk / document.storage_name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == document.sha256


# A TCP proxy that a test cuts at an exact byte ------------------------------------------------


@dataclass
class _Connection:
    head: bytes = b""
    sockets: list[socket.socket] = field(default_factory=list)

    @property
    def request(self) -> str:
        return self.head.split(b"\r\n", 1)[0].decode("latin-1")


class CuttingProxy:
    """Between a client and a server on loopback. ``arm`` says where to cut: after a number of
    bytes of answers (``down``) or of requests (``up``), all connections counted together;
    before a request that matches (``before``); or after a matching request reached the server
    but before its answer reaches the client (``answer_of``). At the cut nothing more passes,
    new connections are closed, and ``on_cut`` runs (e.g. SIGKILL of the client)."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.lock = threading.Lock()
        self.arm()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def arm(
        self,
        *,
        down: int | None = None,
        up: int | None = None,
        before: Callable[[str], bool] | None = None,
        answer_of: Callable[[str], bool] | None = None,
        on_cut: Callable[[], None] = lambda: None,
    ) -> None:
        with self.lock:
            self.down, self.up = down, up
            self.before, self.answer_of = before, answer_of
            self.on_cut = on_cut
            self.cut = threading.Event()
            self.cut_in: str | None = None

    def close(self) -> None:
        self.listener.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        if self.cut.is_set():
            client.close()
            return
        try:
            server = socket.create_connection(self.upstream, timeout=60)
        except OSError:
            client.close()
            return
        connection = _Connection(sockets=[client, server])
        upward = threading.Thread(target=self._pump, args=(client, server, "up", connection))
        upward.start()
        self._pump(server, client, "down", connection)
        upward.join(60)
        for sock in connection.sockets:
            sock.close()

    def _cut(self, connection: _Connection) -> None:
        with self.lock:
            first = not self.cut.is_set()
            self.cut.set()
            if first:
                self.cut_in = connection.request
        if first:
            self.on_cut()
        for sock in connection.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _pump(self, src: socket.socket, dst: socket.socket, way: str, connection: _Connection):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                if way == "up" and not connection.head:
                    connection.head = data[:300]
                    if self.before and self.before(connection.request):
                        return self._cut(connection)
                if way == "down" and self.answer_of and self.answer_of(connection.request):
                    return self._cut(connection)
                with self.lock:
                    budget = self.down if way == "down" else self.up
                    cut_here = budget is not None and len(data) >= budget
                    if budget is not None:
                        data = data[:budget]
                        budget -= len(data)
                        if way == "down":
                            self.down = budget
                        else:
                            self.up = budget
                if self.cut.is_set():
                    return self._cut(connection)
                dst.sendall(data)
                if cut_here:
                    return self._cut(connection)
        except OSError:
            return


# S3 cut off mid-upload


@pytest.fixture
def s3_behind_proxy(settings) -> Iterator[tuple[Any, str, CuttingProxy]]:
    import boto3

    executable = shutil.which("moto_server")
    assert executable, "moto[server] is a test dependency"
    port = free_port()
    moto = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    s3 = boto3.client(
        "s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="eu-west-1", **credentials
    )
    bucket = "portal-faults"

    def ready() -> bool:
        with contextlib.suppress(Exception):
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
            )
            return True
        return False

    proxy = CuttingProxy("127.0.0.1", port)
    try:
        wait_until(ready, 30, lambda: "moto_server did not start")
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": bucket,
                    "endpoint_url": proxy.url,
                    "region_name": "eu-west-1",
                    "access_key": "test",
                    "secret_key": "test",
                    "file_overwrite": False,
                },
            },
        }
        yield s3, bucket, proxy
    finally:
        proxy.close()
        process_group_kill(moto)


def test_s3_cut_off_mid_upload_refuses_the_upload_cleanly(
    s3_behind_proxy: tuple[Any, str, CuttingProxy], dossier: Dossier, client_user: User
) -> None:
    s3, bucket, proxy = s3_behind_proxy
    client = Client()
    client.force_login(client_user)
    data = samples.pdf_with_binary_stream(os.urandom(300_000))

    def keys() -> list[str]:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix="documents/").get("Contents", [])
        return [item["Key"] for item in listed]

    proxy.arm(up=100_000)  # the network to S3 breaks after 100 KB of the upload
    answer = upload_one(client, dossier, "facture.pdf", data)

    assert proxy.cut.is_set(), "the upload never reached S3"
    assert answer["status"] == HTTPStatus.BAD_REQUEST, answer
    (result,) = answer["results"]
    assert result["ok"] is False and result["message"].startswith(STORAGE_FAILED_FR), result
    assert not Document.objects.exists()
    assert keys() == []

    proxy.arm()  # S3 reachable again
    answer = upload_one(client, dossier, "facture.pdf", data)
    assert answer["status"] == HTTPStatus.OK, answer
    (document,) = Document.objects.all()
    assert keys() == [document.storage_name]


# --- 6. connect-sync killed mid-run, again and again ------------------------------------------


def test_connect_sync_killed_at_random_bytes_then_run_to_the_end_writes_each_document_once(
    live_server, dossier: Dossier, client_user: User, accountant: User, tmp_path: Path
) -> None:
    """The desktop tool downloads through a proxy that SIGKILLs it at an exact byte of the
    conversation: before an acknowledgement leaves, after the server acknowledged but before
    the answer arrives, right after a rename (its test hook), and at 10 random byte offsets
    (mostly mid-download). After each kill: every acknowledged document is on disk, complete,
    with its metadata, and no document has two files. A final clean run completes the folder:
    each document once, SHA-256 equal, nothing skipped."""
    from users.services import api_token_create

    documents = []
    for n in range(16):
        data = samples.pdf_with_binary_stream(os.urandom(30_000 + 2_000 * n))
        documents.append(
            services.document_receive(
                dossier=dossier,
                actor=client_user,
                filename=f"pièce {n:02d}.pdf",
                chunks=[data],
                source="web",
            ).document
        )
    services.documents_send(actor=client_user, dossier=dossier, documents=documents)
    _, token = api_token_create(actor=accountant, name="desktop")
    host, port = live_server.url.removeprefix("http://").split(":")
    listing = f"/api/v1/dossiers/{dossier.public_id}/documents?status=new"
    new = get_all(live_server.url, token, listing)
    assert len(new) == 16
    expected = {d["id"]: d["sha256"] for d in new}
    folder = tmp_path / "Connect"
    proxy = CuttingProxy(host, int(port))
    seed = int(os.environ.get("FAULTS_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    kills: list[str] = []

    def start(**env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "connect_sync", "--url", proxy.url, "--to", str(folder)],
            cwd=ROOT,
            env={**os.environ, "CONNECT_SYNC_TOKEN": token, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def check_folder(after: str) -> None:
        """Whatever the server counts as retrieved is on disk, whole, with its metadata."""
        finals = [p for p in files_in(folder) if p.suffix != ".json" and ".part-" not in p.name]
        by_id: dict[str, Path] = {}
        for path in finals:
            key = path.stem.rsplit("_", 1)[1]
            assert key not in by_id, (after, "two files for one document", path, by_id[key])
            by_id[key] = path
        for document_id, sha in expected.items():
            found = by_id.get(document_id[:8])
            if found is not None:
                assert hashlib.sha256(found.read_bytes()).hexdigest() == sha, (after, found)
        retrieved = Document.objects.filter(dossier=dossier, status=Status.RETRIEVED)
        for public_id in retrieved.values_list("public_id", flat=True):
            found = by_id.get(str(public_id)[:8])
            assert found is not None, (after, "acknowledged but not on disk", public_id)
            assert found.with_name(found.name + ".json").exists(), (after, found)

    def window() -> int:
        """The bytes of the next run up to the end of its third download (listings as the
        server answers them now, ~400 bytes of headers per answer): a random cut there lands
        in a listing, mid-download, between documents or in an acknowledgement's answer, and
        each run gets on by a document or two."""
        listings = 0
        for path in ("/api/v1/dossiers", listing):
            request = urllib.request.Request(  # noqa: S310 (the live server's address)
                live_server.url + path, headers={"Authorization": f"Bearer {token}"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                listings += len(response.read()) + 400
        waiting = (
            Document.objects.filter(dossier=dossier)
            .exclude(status=Status.RETRIEVED)
            .order_by("pk")
            .values_list("size", flat=True)
        )
        return listings + sum(size + 800 for size in waiting[:3])

    def is_ack(request: str) -> bool:
        return request.startswith("POST ") and "/retrieved" in request

    plans: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        ("before an acknowledgement", {"before": is_ack}, {}),
        ("acknowledged, answer lost", {"answer_of": is_ack}, {}),
        ("after a rename, before the metadata", {}, {"CONNECT_SYNC_DIE_AFTER": "1"}),
    ]
    plans += [("random byte", {}, {})] * 10
    try:
        for label, cut, env in plans:
            if label == "random byte":
                cut = {"down": rng.randint(1, window())}
            process = start(**env)
            proxy.arm(**cut, on_cut=process.kill)
            _, err = process.communicate(timeout=60)
            if process.returncode in (-signal.SIGKILL, 9):
                where = proxy.cut_in or "the rename hook"
                kills.append(f"{label} @ {cut.get('down', '')} in {where}")
            else:
                assert process.returncode == 0, err  # the cut fell after the end: a full run
            check_folder(label)
        proxy.arm()
        done = start()
        _, err = done.communicate(timeout=120)
        assert done.returncode == 0, err
        assert "errors 0" in err
    finally:
        proxy.close()
    summary = f"seed {seed}: {len(kills)} kills: " + "; ".join(kills)
    print(summary)  # noqa: T201
    assert len(kills) >= 10, summary
    assert sum("/content" in k for k in kills) >= 3, summary  # several mid-download
    check_folder("the clean run")
    finals = [p for p in files_in(folder) if p.suffix != ".json"]
    assert len(finals) == 16 and not [p for p in finals if ".part-" in p.name], finals
    for document_id, sha in expected.items():
        (path,) = [p for p in finals if p.stem.endswith(f"_{document_id[:8]}")]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
        assert json.loads(path.with_name(path.name + ".json").read_text("utf-8"))["id"] == (
            document_id
        )
    assert Document.objects.filter(dossier=dossier, status=Status.RETRIEVED).count() == 16
    assert (
        get_all(
            live_server.url, token, f"/api/v1/dossiers/{dossier.public_id}/documents?status=new"
        )
        == []
    )
