"""Faults around uploads: the broker down while clients upload, a browser closed mid-upload."""

import socket
import time
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connect.models import Document, Processing
from dossiers.models import Dossier
from tests.connect import samples
from tests.fixtures_services import free_port, use_broker
from users.models import User

pytestmark = pytest.mark.integration


def test_uploads_succeed_with_the_broker_down_and_are_processed_after(
    celery_worker, dossier: Dossier, client_user: User, tmp_path
) -> None:
    from connect.tasks import document_processing_sweep

    real_broker = settings.CELERY_BROKER_URL
    client = Client()
    client.force_login(client_user)
    use_broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there: Redis is down
    try:
        response = client.post(
            reverse("connect:upload", args=[dossier.public_id]),
            {
                "category": "purchase_invoice",
                "uploads": [SimpleUploadedFile("panne.pdf", samples.pdf(2))],
            },
            HTTP_ACCEPT="application/json",
        )
    finally:
        use_broker(real_broker)
    assert response.status_code == HTTPStatus.OK, response.content
    document = Document.objects.get(dossier=dossier)
    assert document.processing == Processing.PENDING  # recorded; its task never left
    # Redis is back: the sweeper finds the document and the worker processes it.
    Document.objects.filter(pk=document.pk).update(
        uploaded_at=timezone.now() - timezone.timedelta(minutes=5)
    )
    document_processing_sweep.delay()
    deadline = time.monotonic() + 30
    while Document.objects.get(pk=document.pk).processing != Processing.DONE:
        assert time.monotonic() < deadline, "the sweeper did not get the document processed"
        time.sleep(0.1)


def test_a_browser_closed_mid_upload_leaves_nothing(
    live_server, dossier: Dossier, client_user: User, settings, tmp_path
) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(uploads)
    client = Client()
    client.force_login(client_user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    boundary = "----portal-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\n'
        f"purchase_invoice\r\n--{boundary}\r\nContent-Disposition: form-data; "
        f'name="uploads"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    announced = len(head) + 8 * 1024 * 1024
    host, port = live_server.url.removeprefix("http://").split(":")
    path = reverse("connect:upload", args=[dossier.public_id])
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Cookie: {settings.SESSION_COOKIE_NAME}={session}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {announced}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(request + head + b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024))
        time.sleep(0.5)  # the server is reading the body into a temporary file
    # The browser is gone: no row, and the temporary file is removed.
    deadline = time.monotonic() + 10
    while any(Path(uploads).iterdir()):
        assert time.monotonic() < deadline, list(Path(uploads).iterdir())
        time.sleep(0.1)
    assert not Document.objects.exists()
