"""After receiving: thumbnails, the sweeper, and the quarantine of documents that keep failing."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from connect.documents.services import document_receive
from connect.documents.services.processing import document_process, document_processing_sweep
from connect.models import Document, Processing
from dossiers.models import Dossier
from tests.connect import samples
from users.models import User


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def receive(dossier: Dossier, actor: User, name: str, data: bytes) -> Document:
    return document_receive(
        dossier=dossier, actor=actor, filename=name, chunks=[data], source="web"
    ).document


@pytest.mark.parametrize(
    ("name", "data"), [("a.pdf", samples.pdf(2)), ("b.png", samples.image("PNG", (1600, 1200)))]
)
def test_processing_makes_a_first_page_thumbnail(
    dossier: Dossier, client_user: User, name: str, data: bytes, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        document = receive(dossier, client_user, name, data)
    document.refresh_from_db()
    assert document.processing == Processing.DONE
    assert document.processing_attempts == 1
    with default_storage.open(document.thumbnail_name, "rb") as handle, Image.open(handle) as thumb:
        assert thumb.format == "PNG"
        assert thumb.width == 480


def test_a_ubl_file_needs_no_thumbnail(dossier: Dossier, client_user: User) -> None:
    document = receive(dossier, client_user, "e.xml", samples.ubl())
    document_process(document_id=document.pk)
    document.refresh_from_db()
    assert (document.processing, document.thumbnail_name) == (Processing.DONE, "")


def test_a_document_that_keeps_failing_is_quarantined(
    dossier: Dossier, client_user: User, settings
) -> None:
    document = receive(dossier, client_user, "a.pdf", samples.pdf())
    default_storage.delete(document.storage_name)  # its bytes cannot be read any more
    for attempt in range(1, settings.CONNECT_PROCESSING_MAX_ATTEMPTS + 1):
        document_process(document_id=document.pk)
        document.refresh_from_db()
        assert document.processing_attempts == attempt
    assert document.processing == Processing.QUARANTINED
    assert document.processing_error
    document_process(document_id=document.pk)  # no further attempt
    document.refresh_from_db()
    assert document.processing_attempts == settings.CONNECT_PROCESSING_MAX_ATTEMPTS


def test_a_crash_counts_as_an_attempt(dossier: Dossier, client_user: User, settings) -> None:
    """A worker killed mid-task never records its failure; the attempt was counted before."""
    document = receive(dossier, client_user, "a.pdf", samples.pdf())
    Document.objects.filter(pk=document.pk).update(
        processing_attempts=settings.CONNECT_PROCESSING_MAX_ATTEMPTS
    )
    document_process(document_id=document.pk)
    document.refresh_from_db()
    assert document.processing == Processing.QUARANTINED


def test_the_sweeper_finds_documents_whose_processing_never_started(
    dossier: Dossier, client_user: User
) -> None:
    waiting = receive(dossier, client_user, "a.pdf", samples.pdf(1))
    fresh = receive(dossier, client_user, "b.pdf", samples.pdf(2))
    done = receive(dossier, client_user, "c.pdf", samples.pdf(3))
    old = timezone.now() - timedelta(minutes=5)
    Document.objects.filter(pk__in=[waiting.pk, done.pk]).update(uploaded_at=old)
    Document.objects.filter(pk=done.pk).update(processing=Processing.DONE)
    assert document_processing_sweep() == [waiting.pk]
    assert fresh.pk not in document_processing_sweep()


def test_a_heic_photo_is_received_and_converted_for_the_preview(
    dossier: Dossier, client_user: User
) -> None:
    document = receive(dossier, client_user, "IMG_0042.HEIC", samples.heic())
    assert document.content_type == "image/heic"
    document_process(document_id=document.pk)
    document.refresh_from_db()
    with default_storage.open(document.thumbnail_name, "rb") as handle, Image.open(handle) as thumb:
        assert (thumb.format, thumb.width) == ("PNG", 480)


def test_a_thumbnail_lost_from_the_storage_answers_404_not_500(
    dossier: Dossier, client_user: User, auth_client, django_capture_on_commit_callbacks
) -> None:
    from django.urls import reverse

    with django_capture_on_commit_callbacks(execute=True):
        document = receive(dossier, client_user, "facture.pdf", samples.invoice_pdf(["Facture"]))
    document.refresh_from_db()
    url = reverse("connect:thumbnail", args=[document.public_id])
    client = auth_client(client_user)
    assert client.get(url).status_code == 200
    default_storage.delete(document.thumbnail_name)
    assert client.get(url).status_code == 404
