"""A worker killed (SIGKILL) in the middle of reading a Premium document: the document is read
again, once, and one credit is consumed at most."""

import io
import signal
import subprocess
import time

import img2pdf
import pytest
from django.conf import settings
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from connect.documents import services
from connect.models import CreditUse, Document, Recognition
from dossiers.models import Cartouche, Dossier
from tests.fixtures_services import use_broker, worker_start
from users.models import User

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def scanned_invoice(pages: int = 3) -> bytes:
    """An image-only PDF (a scan): reading it takes OCR, seconds per page."""
    font = ImageFont.load_default(size=34)
    images = []
    for page in range(pages):
        image = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
        draw = ImageDraw.Draw(image)
        lines = [
            "Garage Dupont SRL",
            "TVA BE0403.170.701",
            f"Facture n° 2026-{page + 41}",
            "Date de facture : 12/03/2026",
            "Total HTVA 100,00 EUR",
            "TVA 21% 21,00 EUR",
            "Total TVAC 121,00 EUR",
            "IBAN BE68 5390 0754 7034",
        ] + [f"Ligne {n}: entretien du véhicule, pièces et main-d'oeuvre" for n in range(30)]
        for n, line in enumerate(lines):
            draw.text((120, 120 + n * 56), line, fill=0, font=font)
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        images.append(buffer.getvalue())
    return img2pdf.convert(images)


def test_a_worker_killed_mid_recognition_leaves_the_document_read_again_once(
    dossier: Dossier, client_user: User, tmp_path
) -> None:
    import redis

    from connect.tasks import document_processing_sweep
    from portal.celery import app

    # A Redis database of its own, two above this xdist worker's (within 1–15).
    base, own_db = settings.CELERY_BROKER_URL.rsplit("/", 1)
    broker = f"{base}/{1 + (int(own_db) + 1) % 15}"
    redis.Redis.from_url(broker).flushdb()
    real_broker = settings.CELERY_BROKER_URL
    Dossier.objects.filter(pk=dossier.pk).update(default_processing_mode="premium")
    dossier.refresh_from_db()
    before = Cartouche.objects.get(firm=dossier.firm, mode="premium").credits
    use_broker(broker)
    app.conf.task_always_eager = False
    first = worker_start(broker_url=broker, pool="solo", name="doomed")
    second: subprocess.Popen[str] | None = None
    try:
        document = services.document_receive(
            dossier=dossier,
            actor=client_user,
            filename="scan.pdf",
            chunks=[scanned_invoice()],
            source="web",
        ).document
        services.documents_send(actor=client_user, dossier=dossier, documents=[document])
        deadline = time.monotonic() + 60
        while Document.objects.get(pk=document.pk).recognition_attempts < 1:
            assert time.monotonic() < deadline, "".join(first.log[-30:])  # type: ignore[attr-defined]
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)  # mid-OCR: the attempt is counted, nothing stored
        first.wait(10)
        killed = Document.objects.get(pk=document.pk)
        assert killed.recognition == Recognition.PENDING
        assert not CreditUse.objects.filter(document=document).exists()
        # A new worker; the sweeper finds the interrupted reading and enqueues it again.
        second = worker_start(broker_url=broker, pool="solo", name="survivor")
        # The dead run's lease runs out (it outlives the task's time limit).
        Document.objects.filter(pk=document.pk).update(
            recognition_started_at=timezone.now() - timezone.timedelta(minutes=12)
        )
        document_processing_sweep.delay()
        document_processing_sweep.delay()  # twice: the reading still happens once
        deadline = time.monotonic() + 120
        while Document.objects.get(pk=document.pk).recognition == Recognition.PENDING:
            assert time.monotonic() < deadline, "".join(second.log[-30:])  # type: ignore[attr-defined]
            time.sleep(0.2)
        time.sleep(1)  # let a doubled message, if any, run
        done = Document.objects.get(pk=document.pk)
        assert done.recognition in (Recognition.DONE, Recognition.REVIEW)
        assert done.recognition_attempts == 2
        assert done.recognized is not None
        assert CreditUse.objects.filter(document=document).count() == 1
        after = Cartouche.objects.get(firm=dossier.firm, mode="premium").credits
        assert before - after == 1
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(15)
        use_broker(real_broker)
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
