"""QUALITY.md, "Hostile input": every file of the corpus (tests/hostile/) through every channel
(web upload, API, e-mail over SMTP, the Postmark webhook) is refused with its reason in the
sender's language (French and English), and leaves no document row, no stored file and no
temporary file. Hostile names are accepted, stored under a generated path, shown escaped and
offered back in a safe Content-Disposition. A file that slips past the checks is processed by
a real worker, which survives it and quarantines the file."""

import hashlib
import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import Message
from http import HTTPStatus

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from connect.documents.files import inspect, spool
from connect.documents.services.inbound import provider_message_bytes
from connect.models import Document, InboundMessage, Processing
from dossiers.models import Dossier
from tests.connect import samples
from tests.hostile.cases import (
    CASES,
    EMPTY,
    LOOPING_PDF,
    NAMES,
    TOO_LARGE,
    VALID_PDF,
    WORKER_PNG,
    Case,
)
from tests.security.channels import CHANNEL_PARAMS, LANGUAGES, SENDER, Answer, Sender, files_under
from tests.security.conftest import Storage
from users.models import User

MAIL = ("smtp", "postmark")
#: The fixed answer by e-mail (issue 16): something was refused, never which file or why.
MAIL_REFUSAL = {
    "fr": "Certaines pièces jointes n'ont pas pu être reçues.",
    "en": "Some attachments could not be received.",
}


def assert_refused(
    answer: Answer, channel: str, reason: tuple[str, str, str], language: str
) -> None:
    code, english, french = reason
    if channel in MAIL:  # a fixed text, in the dossier's language; the reason is not echoed
        assert MAIL_REFUSAL[language] in answer.text, answer.text
        assert english not in answer.text and french not in answer.text
    else:
        assert (french if language == "fr" else english) in answer.text, answer.text
    if language == "fr":
        assert english not in answer.text  # translated, not the source text
    assert answer.documents == []
    if channel == "api":
        assert answer.code == code
        assert answer.status >= HTTPStatus.BAD_REQUEST
    elif channel == "web":
        assert answer.status == HTTPStatus.BAD_REQUEST
    else:  # the message is taken (no retry by the sending server), the sender is answered
        assert answer.status == HTTPStatus.OK
        message = InboundMessage.objects.order_by("-pk").first()
        assert message is not None and message.outcome == InboundMessage.Outcome.BOUNCED


def assert_nothing_kept(storage: Storage, channel: str) -> None:
    assert not Document.objects.exists()
    # E-mail keeps the message itself (inbound/…) as the record of what arrived.
    assert files_under(storage.media, but=("inbound",) if channel in MAIL else ()) == []
    assert list(storage.temp.iterdir()) == []


CORPUS_PARAMS = [
    pytest.param(case, channel.values[0], marks=channel.marks, id=f"{case.id}-{channel.id}")
    for case in CASES
    for channel in CHANNEL_PARAMS
]


@pytest.mark.parametrize(("case", "channel"), CORPUS_PARAMS)
def test_every_hostile_file_is_refused_with_its_reason_and_nothing_is_kept(
    case: Case, channel: str, sender: Sender, storage: Storage
) -> None:
    for language in LANGUAGES:
        answer = sender.send(channel, [(case.send_as, case.data())], language)
        assert_refused(answer, channel, case.reason, language)
        assert_nothing_kept(storage, channel)


@pytest.mark.parametrize("channel", CHANNEL_PARAMS)
def test_one_byte_over_the_size_limit_is_refused_and_the_limit_itself_accepted(
    channel: str, sender: Sender, storage: Storage, settings
) -> None:
    data = VALID_PDF.read_bytes()
    settings.CONNECT_MAX_UPLOAD_SIZE = len(data) - 1
    for language in LANGUAGES:
        answer = sender.send(channel, [("facture.pdf", data)], language)
        assert_refused(answer, channel, TOO_LARGE, language)
        assert_nothing_kept(storage, channel)
    settings.CONNECT_MAX_UPLOAD_SIZE = len(data)
    assert len(sender.send(channel, [("facture.pdf", data)], "en").documents) == 1


def distinct_pdfs(count: int) -> list[tuple[str, bytes]]:
    base = VALID_PDF.read_bytes()
    # Same length, so the PDF's offsets still hold: distinct bytes, each a valid PDF.
    return [
        (f"f{n}.pdf", base.replace(b"hostile corpus", f"hostile corpu{n}".encode()))
        for n in range(count)
    ]


@pytest.mark.parametrize("channel", [p for p in CHANNEL_PARAMS if p.values[0] != "api"])
def test_more_files_than_allowed(channel: str, sender: Sender, storage: Storage, settings) -> None:
    """The web refuses the whole request; e-mail receives the first N attachments and names
    the others in its answer (the sender cannot split a message that was already sent)."""
    settings.CONNECT_MAX_FILES_PER_REQUEST = 2
    files = distinct_pdfs(3)
    fragments = {
        "web": {"fr": "au maximum 2 fichiers", "en": "Send at most 2 files at once."},
        "mail": {"fr": "pièces jointes par message", "en": "at most 2 attachments per message"},
    }
    for language in LANGUAGES:
        answer = sender.send(channel, files, language)
        expected = fragments["web" if channel == "web" else "mail"][language]
        assert expected in answer.text, answer.text
        if channel == "web":
            assert answer.status == HTTPStatus.BAD_REQUEST
            assert_nothing_kept(storage, channel)
        else:
            assert "f2.pdf" not in answer.text  # a fixed answer names no file
            kept = Document.objects.order_by("filename").values_list("filename", flat=True)
            assert list(kept) == ["f0.pdf", "f1.pdf"]


def test_the_api_refuses_more_than_one_file_per_request(sender: Sender, storage: Storage) -> None:
    answer = sender.send("api", distinct_pdfs(2), "en")
    assert answer.status == HTTPStatus.BAD_REQUEST
    assert not Document.objects.exists()


def test_a_png_through_the_postmark_webhook_arrives_byte_for_byte(
    sender: Sender, storage: Storage
) -> None:
    answer = sender.send("postmark", [("photo.png", samples.image("PNG"))], "en")
    assert len(answer.documents) == 1, answer.text
    assert Document.objects.get().sha256 == hashlib.sha256(samples.image("PNG")).hexdigest()


def test_provider_message_bytes_keeps_binary_attachments_byte_for_byte() -> None:
    """anymail's ``message.as_bytes()`` loses the CR bytes of parts without a transfer
    encoding (a PNG arrives damaged); connect/documents/signals.py passes
    ``provider_message_bytes(message)``."""
    from anymail.inbound import AnymailInboundMessage

    png = samples.image("PNG")
    attachment = AnymailInboundMessage.construct_attachment(
        content_type="application/octet-stream", content=png, filename="photo.png"
    )
    message = AnymailInboundMessage.construct(
        from_email=SENDER, to="x@connect.localhost", text="Ci-joint", attachments=[attachment]
    )
    damaged = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert next(damaged.iter_attachments()).get_payload(decode=True) != png
    kept = message_from_bytes(provider_message_bytes(message), policy=policy.default)
    assert next(kept.iter_attachments()).get_payload(decode=True) == png
    assert kept.get_body(("plain",)).get_content().strip() == "Ci-joint"


def test_a_zero_byte_file_among_others_is_named_in_the_web_answer(
    sender: Sender, storage: Storage
) -> None:
    """The other files of the request are received; the empty one is refused by name."""
    answer = sender.send("web", [("vide.pdf", b""), *distinct_pdfs(1)], "en")
    assert answer.status == HTTPStatus.OK
    assert f'"name": "vide.pdf", "ok": false, "message": "{EMPTY[1]}"' in answer.text
    assert list(Document.objects.values_list("filename", flat=True)) == ["f0.pdf"]


def test_a_pdf_whose_action_chain_and_outline_loop_is_received_and_the_check_ends(
    sender: Sender, storage: Storage
) -> None:
    pages: list[int | None] = []

    def check() -> None:
        spooled = spool([LOOPING_PDF.read_bytes()], max_size=1024 * 1024)
        try:
            pages.append(inspect(spooled, "boucles.pdf").page_count)
        finally:
            spooled.remove()

    # A loop followed without end fails here instead of hanging the run.
    thread = threading.Thread(target=check, daemon=True)
    thread.start()
    thread.join(10)
    assert pages == [1]
    answer = sender.send("api", [("boucles.pdf", LOOPING_PDF.read_bytes())], "en")
    assert len(answer.documents) == 1, answer.text


STORED = re.compile(r"documents/[0-9a-f-]{36}/[0-9a-f-]{36}/\d{4}/\d{2}/[0-9a-f]{32}\.pdf")


@pytest.mark.parametrize("channel", CHANNEL_PARAMS)
@pytest.mark.parametrize(("raw", "kept"), [n[1:] for n in NAMES], ids=[n[0] for n in NAMES])
def test_hostile_names_are_stored_under_a_generated_path_shown_escaped_and_sent_back_safely(
    raw: str,
    kept: str,
    channel: str,
    sender: Sender,
    storage: Storage,
    dossier: Dossier,
    client_user: User,
) -> None:
    answer = sender.send(channel, [(raw, VALID_PDF.read_bytes())], "en")
    assert len(answer.documents) == 1, answer.text
    document = Document.objects.get()
    assert document.filename == kept
    # Stored under a generated path: nothing of the sender's name reaches the storage.
    assert STORED.fullmatch(document.storage_name)
    assert str(dossier.public_id) in document.storage_name
    stored = files_under(storage.media, but=("inbound", "thumbnails"))
    assert stored == [document.storage_name]
    # Shown escaped on the document's page and the desk.
    page = sender.web.get(reverse("connect:document", args=[document.public_id]))
    tab = "desk" if document.status == "draft" else "sent"
    desk = sender.web.get(
        reverse("connect:section", args=[dossier.public_id, "invoices"]) + f"?tab={tab}"
    )
    for html in (page.content.decode(), desk.content.decode()):
        assert escape(kept) in html
        for dangerous in ("\u202e", "\x00", "\x1b", "<img src=x", "../"):
            assert dangerous not in html
    # Offered back as an attachment whose name cannot break the header or pick a path.
    download = sender.web.get(reverse("connect:download", args=[document.public_id]))
    download.close()
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert not set(disposition) & {"\r", "\n", "\x00", "\u202e", "\\"}
    assert download["X-Content-Type-Options"] == "nosniff"
    header = Message()
    header["Content-Disposition"] = disposition
    assert header.get_filename() == kept


@pytest.mark.integration
def test_a_file_that_slips_past_receive_fails_in_a_real_worker_which_survives_and_quarantines(
    celery_worker, dossier: Dossier, client_user: User, auth_client
) -> None:
    """A PNG whose chunks are sound but whose pixels are not: accepted at receive, it fails in
    the worker's thumbnail step. The worker lives on, the sweeper retries it, and after
    CONNECT_PROCESSING_MAX_ATTEMPTS it is quarantined; the next file is processed normally."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from connect.tasks import document_processing_sweep

    client = auth_client(client_user)
    url = reverse("connect:upload", args=[dossier.public_id])

    def upload(name: str, data: bytes) -> Document:
        response = client.post(
            url,
            {"category": "purchase_invoice", "uploads": [SimpleUploadedFile(name, data)]},
            HTTP_ACCEPT="application/json",
        )
        assert response.status_code == HTTPStatus.OK, response.content
        return Document.objects.get(filename=name)

    def wait_until(document: Document, done: Callable[[Document], bool]) -> Document:
        deadline = time.monotonic() + 120  # a real worker on a loaded machine
        while time.monotonic() < deadline:
            document.refresh_from_db()
            if done(document):
                return document
            assert celery_worker.poll() is None, "".join(celery_worker.log[-40:])
            time.sleep(0.1)
        raise AssertionError("".join(celery_worker.log[-40:]))

    broken = upload("scan.png", WORKER_PNG.read_bytes())
    limit = django_settings.CONNECT_PROCESSING_MAX_ATTEMPTS
    for attempt in range(1, limit + 1):
        if attempt > 1:  # the sweeper's next round: the failure is older than its delay
            Document.objects.filter(pk=broken.pk).update(
                uploaded_at=timezone.now() - timedelta(hours=1), processing_error=""
            )
            document_processing_sweep.delay()
        broken = wait_until(broken, lambda d: bool(d.processing_error))
        expected = Processing.QUARANTINED if attempt == limit else Processing.FAILED
        assert (broken.processing_attempts, broken.processing) == (attempt, expected)
        assert "image thumbnail failed" in broken.processing_error
    healthy = wait_until(
        upload("photo.png", samples.image("PNG")), lambda d: d.processing == Processing.DONE
    )
    assert healthy.thumbnail_name
    assert celery_worker.poll() is None
    assert not any("WorkerLostError" in line for line in celery_worker.log)
