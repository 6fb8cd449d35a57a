"""After receiving (in the worker): the first-page thumbnail, the processing state, the
sweeper and the quarantine of documents that keep failing."""

import logging
import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from PIL import Image

from connect.documents.files import PDF
from connect.documents.services.pipeline import RECOGNITION_LEASE, einvoice_read
from connect.documents.storage import local_copy
from connect.einvoice import EInvoiceError
from connect.models import Document, Processing, Recognition

logger = logging.getLogger(__name__)

THUMBNAIL_WIDTH = 480
#: Longer than the processing task's time limit (180 s): a running task is not doubled.
SWEEP_AFTER = timedelta(minutes=5)


#: The processing task's Celery name (``connect.tasks.document_process``), run after commit.
PROCESS_TASK = "connect.tasks.document_process"


class ProcessingError(Exception):
    """A document could not be processed (its own fault, or a tool's)."""


def _thumbnail_pdf(source: Path, directory: Path) -> Path | None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        logger.warning("pdftoppm is not installed: no PDF thumbnails")
        return None
    prefix = directory / "thumb"
    try:
        subprocess.run(  # noqa: S603 - fixed argv, no shell
            [
                pdftoppm,
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                "-png",
                "-scale-to-x",
                str(THUMBNAIL_WIDTH),
                "-scale-to-y",
                "-1",
                str(source),
                str(prefix),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise ProcessingError(f"pdftoppm failed: {type(exc).__name__}") from None
    return prefix.with_suffix(".png")


def _thumbnail_image(source: Path, directory: Path) -> Path:
    target = directory / "thumb.png"
    try:
        with Image.open(source) as image:
            image.thumbnail((THUMBNAIL_WIDTH, THUMBNAIL_WIDTH * 2))
            image.convert("RGB").save(target, "PNG")
    except (OSError, ValueError) as exc:
        raise ProcessingError(f"image thumbnail failed: {exc}") from None
    return target


def document_process(*, document_id: int) -> Document | None:
    """Make the document's thumbnail and mark it processed. Each attempt is counted before the
    work starts, so a document that kills the worker is quarantined after a few tries."""
    max_attempts = settings.CONNECT_PROCESSING_MAX_ATTEMPTS
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.processing in (Processing.DONE, Processing.QUARANTINED):
            return document
        if document.processing_attempts >= max_attempts:
            document.processing = Processing.QUARANTINED
            document.save(update_fields=["processing"])
            return document
        document.processing_attempts = F("processing_attempts") + 1
        document.save(update_fields=["processing_attempts"])
    document.refresh_from_db()
    try:
        thumbnail = ""
        with tempfile.TemporaryDirectory(prefix="portal-process-") as workdir:
            directory = Path(workdir)
            made: Path | None = None
            if document.content_type == PDF:
                made = _thumbnail_pdf(local_copy(document, directory), directory)
            elif document.content_type.startswith("image/"):
                made = _thumbnail_image(local_copy(document, directory), directory)
            if made is not None and made.exists():
                with made.open("rb") as handle:
                    thumbnail = default_storage.save(
                        f"thumbnails/{document.firm.public_id}/{document.public_id}.png",
                        File(handle),
                    )
        if document.carries_einvoice and document.recognized is None:
            _einvoice_facts(document)
    except (ProcessingError, OSError) as exc:
        failed = document.processing_attempts >= max_attempts
        Document.objects.filter(pk=document.pk).update(
            processing=Processing.QUARANTINED if failed else Processing.FAILED,
            processing_error=str(exc)[:300],
        )
        logger.warning("processing of document %s failed: %s", document.pk, exc)
        return document
    Document.objects.filter(pk=document.pk).update(
        processing=Processing.DONE,
        processed_at=timezone.now(),
        thumbnail_name=thumbnail,
        processing_error="",
    )
    document.refresh_from_db()
    return document


def _einvoice_facts(document: Document) -> None:
    """An e-invoice's facts are read at once (the client sees them on the desk), whatever the
    processing mode; a failure here is retried when the document is sent."""
    try:
        einvoice_read(document)
    except EInvoiceError as exc:
        logger.warning("e-invoice %s could not be read: %s", document.pk, exc)


def document_processing_sweep() -> list[int]:
    """Ids of documents whose processing never started or failed, to enqueue again."""
    stale = timezone.now() - SWEEP_AFTER
    return list(
        Document.objects.filter(
            processing__in=(Processing.PENDING, Processing.FAILED), uploaded_at__lt=stale
        ).values_list("pk", flat=True)[:500]
    )


def document_recognition_sweep() -> list[int]:
    """Ids of sent documents whose reading never started or was interrupted (a worker killed
    mid-task), to enqueue again."""
    now = timezone.now()
    never_started = Q(
        recognition_started_at__isnull=True, recognition_queued_at__lt=now - SWEEP_AFTER
    )
    dead = Q(recognition_started_at__lt=now - RECOGNITION_LEASE)
    return list(
        Document.objects.filter(recognition=Recognition.PENDING)
        .filter(never_started | dead)
        .values_list("pk", flat=True)[:500]
    )
