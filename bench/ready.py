"""`make bench`: from upload to "ready for retrieval" in Transport mode, with a warm worker.

A real `celery worker` process (``tests.fixtures_services.worker_start``: every queue, one
process) consumes the bench's Redis database. A client of a Transport dossier uploads one-page
invoices (drawn by ``bench/invoices.py``) through the web endpoint (``connect:upload``, "send at
once"), after a few uploads that warm the worker. With ``interval`` 0 (the default) each upload
waits until the previous one is processed: the latency of one upload meeting an idle, warm
worker; with ``interval`` > 0 one upload starts every ``interval`` seconds whatever the worker's
backlog (an arrival rate: queueing shows). For each upload the clock starts just before the
request; it stops at ``ready_at`` (the desktop tool may retrieve the document) and at
``processed_at`` (the worker made its thumbnail). The bar is taken on the later of the two: the
document is listed as new *and* fully processed. The worker's own run time per task is read
from its log, to tell where the time goes (request, queue, task).
"""

import math
import os
import re
import statistics
import subprocess
import tempfile
import time
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

WARM_UP = 5
SETTLE_SECONDS = 180
TASK_TIME = re.compile(r"connect\.tasks\.document_process\[[^]]+\] succeeded in ([0-9.]+)s")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _invoices(directory: Path, count: int) -> list[Path]:
    from bench.invoices import generate, render_pdf

    paths = []
    for invoice in generate(count, seed=8):
        path = directory / f"invoice-{invoice.key:04d}.pdf"
        render_pdf(invoice, path)
        paths.append(path)
    return paths


def _upload(client: Any, url: str, path: Path) -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile

    with path.open("rb") as handle:
        upload = SimpleUploadedFile(path.name, handle.read(), content_type="application/pdf")
    response = client.post(
        url,
        {"uploads": upload, "category": "purchase_invoice", "send": "on"},
        HTTP_ACCEPT="application/json",
    )
    if response.status_code != HTTPStatus.OK:
        raise RuntimeError(f"upload answered {response.status_code}: {response.content[:300]!r}")
    result = response.json()["results"][0]
    if not result["ok"] or result.get("duplicate"):
        raise RuntimeError(f"upload refused: {result}")
    return str(result["url"].rstrip("/").rsplit("/", 1)[-1])


def _settle(ids: list[str], deadline: float) -> None:
    from connect.models import Document, Processing

    while time.monotonic() < deadline:
        waiting = (
            Document.objects.filter(public_id__in=ids)
            .exclude(processing__in=(Processing.DONE, Processing.QUARANTINED))
            .count()
        )
        if not waiting:
            return
        time.sleep(0.2)
    raise RuntimeError("documents still unprocessed after the settle time")


def measure(count: int, interval: float) -> dict[str, Any]:
    import redis
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse
    from django.utils import timezone

    from connect.models import Document
    from dossiers.models import FirmLevel
    from portal.celery import app
    from tests.factories import DossierFactory, FirmFactory, MembershipFactory, UserFactory, grant
    from tests.fixtures_services import worker_start

    firm = FirmFactory(name="Ready bench")
    accountant = MembershipFactory(firm=firm, level=FirmLevel.POWER_USER).user
    dossier = DossierFactory(firm=firm, accountant=accountant, code="READY")
    grant(accountant, dossier, "connect.accountant")
    client_user = UserFactory()
    grant(client_user, dossier, "connect.entrepreneur")
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()

    with tempfile.TemporaryDirectory(prefix="bench-ready-") as workdir:
        media = Path(workdir) / "media"
        paths = _invoices(Path(workdir), count + WARM_UP)
        previous_media = os.environ.get("MEDIA_ROOT")
        os.environ["MEDIA_ROOT"] = str(media)  # the worker's environment
        worker = worker_start(broker_url=settings.CELERY_BROKER_URL, name="bench-ready")
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = False
        try:
            with override_settings(MEDIA_ROOT=str(media), ALLOWED_HOSTS=["testserver"]):
                client = Client()
                client.force_login(client_user)
                url = reverse("connect:upload", args=[dossier.public_id])
                warm = [_upload(client, url, path) for path in paths[:WARM_UP]]
                _settle(warm, time.monotonic() + SETTLE_SECONDS)
                started: dict[str, datetime] = {}
                request_seconds = []
                begin = time.monotonic()
                for i, path in enumerate(paths[WARM_UP:]):
                    pause = begin + i * interval - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    at, clock = timezone.now(), time.perf_counter()
                    public_id = _upload(client, url, path)
                    request_seconds.append(time.perf_counter() - clock)
                    started[public_id] = at
                    if not interval:
                        _settle([public_id], time.monotonic() + SETTLE_SECONDS)
                _settle(list(started), time.monotonic() + SETTLE_SECONDS)
                task_seconds = [
                    float(m.group(1))
                    for line in worker.log[-(count + 50) :]  # type: ignore[attr-defined]
                    if (m := TASK_TIME.search(line))
                ][-count:]
        finally:
            app.conf.task_always_eager = eager
            worker.terminate()
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
            if previous_media is None:
                os.environ.pop("MEDIA_ROOT", None)
            else:
                os.environ["MEDIA_ROOT"] = previous_media
    rows = Document.objects.filter(public_id__in=list(started)).values(
        "public_id", "ready_at", "processed_at", "processing"
    )
    ready, processed, both, failed = [], [], [], 0
    for row in rows:
        at = started[str(row["public_id"])]
        if row["ready_at"] is None or row["processed_at"] is None:
            failed += 1
            continue
        ready.append((row["ready_at"] - at).total_seconds())
        processed.append((row["processed_at"] - at).total_seconds())
        both.append(max(ready[-1], processed[-1]))
    if not both:
        raise RuntimeError("no upload became ready and processed")
    return {
        "ready_count": count,
        "ready_interval": interval,
        "ready_not_done": failed,
        "ready_request_p50": statistics.median(request_seconds),
        "ready_task_p50": statistics.median(task_seconds) if task_seconds else 0.0,
        "ready_at_p95": percentile(ready, 0.95),
        "ready_processed_p50": statistics.median(processed),
        "ready_processed_p95": percentile(processed, 0.95),
        "ready_p50": statistics.median(both),
        "ready_p95": percentile(both, 0.95),
        "ready_max": max(both),
    }
