"""The antivirus hook (issue 8): every received file, e-mail and e-invoice attachment is
scanned by a real clamd (INSTREAM over its socket). The EICAR test file is refused on every
channel with the name of what was found; a clean PDF is received; clamd down, hung or over
its stream limit refuses the file cleanly (fail closed): no row, no file."""

import base64
import logging
import socket
import threading
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import pytest

from connect.documents import antivirus
from connect.models import Document, InboundMessage
from tests.connect import samples
from tests.hostile.cases import CASES, SCAN_UNAVAILABLE, VALID_PDF, VIRUS_FOUND, eicar
from tests.security.channels import CHANNEL_PARAMS, LANGUAGES, Sender, files_under
from tests.security.conftest import Clamd, Storage, clamd_start
from tests.security.test_hostile_corpus import MAIL, assert_refused

SIGNATURE = "Eicar-Test-Signature"


def assert_nothing_kept(storage: Storage) -> None:
    """Not even the e-mail: a message that carries a virus (or that no scan vouched for) is
    not kept either."""
    assert not Document.objects.exists()
    assert files_under(storage.media) == []
    assert list(storage.temp.iterdir()) == []
    assert not InboundMessage.objects.exclude(storage_name="").exists()


def test_the_scanner_tells_eicar_from_a_clean_file(clamd: Clamd) -> None:
    assert antivirus.scan([eicar()]).startswith(SIGNATURE)
    assert antivirus.scan([VALID_PDF.read_bytes()]) is None
    # Chunks are re-cut to the protocol's size: a file in many small pieces is one stream.
    assert antivirus.scan([bytes([b]) for b in eicar()]).startswith(SIGNATURE)


@pytest.mark.parametrize("channel", CHANNEL_PARAMS)
def test_eicar_is_refused_on_every_channel_with_the_name_of_the_virus(
    channel: str, clamd: Clamd, sender: Sender, storage: Storage, caplog
) -> None:
    for language in LANGUAGES:
        with caplog.at_level(logging.WARNING, logger="connect.documents.antivirus"):
            answer = sender.send(channel, [("facture.pdf", eicar())], language)
        assert_refused(answer, channel, VIRUS_FOUND, language)
        assert (SIGNATURE in answer.text) is (channel not in MAIL)  # e-mail: a fixed answer
        assert_nothing_kept(storage)
    assert any(SIGNATURE in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("channel", CHANNEL_PARAMS)
def test_a_clean_pdf_is_received_with_scanning_on(
    channel: str, clamd: Clamd, sender: Sender, storage: Storage
) -> None:
    answer = sender.send(channel, [("facture.pdf", VALID_PDF.read_bytes())], "en")
    assert answer.status == (HTTPStatus.CREATED if channel == "api" else HTTPStatus.OK)
    assert len(answer.documents) == 1, answer.text
    assert Document.objects.get().filename == "facture.pdf"


def ubl_carrying(data: bytes, filename: str) -> bytes:
    """The sample e-invoice with ``data`` embedded as an additional document."""
    reference = (
        "<cac:AdditionalDocumentReference><cbc:ID>annexe</cbc:ID><cac:Attachment>"
        f'<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="{filename}">'
        f"{base64.b64encode(data).decode()}</cbc:EmbeddedDocumentBinaryObject>"
        "</cac:Attachment></cac:AdditionalDocumentReference>"
    ).encode()
    anchor = b"<cac:AccountingSupplierParty>"
    return samples.ubl().replace(anchor, reference + anchor, 1)


@pytest.mark.parametrize("channel", ["web", "api"])
def test_a_virus_inside_an_e_invoice_is_refused_with_the_attachment_named(
    channel: str, clamd: Clamd, sender: Sender, storage: Storage
) -> None:
    invoice = ubl_carrying(eicar(), "annexe.pdf")
    assert antivirus.scan([invoice]) is None  # clamd alone does not look inside the XML
    for language in LANGUAGES:
        answer = sender.send(channel, [("efacture.xml", invoice)], language)
        assert_refused(answer, channel, VIRUS_FOUND, language)
        assert "annexe.pdf" in answer.text and SIGNATURE in answer.text
        assert_nothing_kept(storage)
    clean_invoice = ubl_carrying(VALID_PDF.read_bytes(), "a.pdf")
    clean = sender.send(channel, [("efacture.xml", clean_invoice)], "en")
    assert len(clean.documents) == 1, clean.text


@pytest.fixture
def hung_clamd() -> Iterator[str]:
    """A TCP server that accepts and never answers, as a clamd stuck on a huge scan."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    listener.close()


@pytest.mark.parametrize("channel", CHANNEL_PARAMS)
@pytest.mark.parametrize("fault", ["down", "hung"])
def test_no_verdict_refuses_the_file_cleanly_and_is_logged(
    channel: str,
    fault: str,
    sender: Sender,
    storage: Storage,
    settings,
    tmp_path: Path,
    hung_clamd: str,
    caplog,
) -> None:
    if fault == "down":  # a socket path nobody listens on, as after clamd stopped
        settings.CONNECT_CLAMD_SOCKET = str(tmp_path / "gone.sock")
    else:
        settings.CONNECT_CLAMD_SOCKET = hung_clamd
        settings.CONNECT_CLAMD_TIMEOUT = 0.5
    for language in LANGUAGES:
        with caplog.at_level(logging.ERROR, logger="connect.documents.antivirus"):
            answer = sender.send(channel, [("facture.pdf", VALID_PDF.read_bytes())], language)
        assert_refused(answer, channel, SCAN_UNAVAILABLE, language)
        if channel == "api":
            assert answer.status == HTTPStatus.SERVICE_UNAVAILABLE
        assert_nothing_kept(storage)
    assert any("virus scan unavailable" in r.getMessage() for r in caplog.records)


def test_a_stream_over_clamds_limit_is_refused_not_waved_through(
    tmp_path_factory: pytest.TempPathFactory, sender: Sender, storage: Storage, settings
) -> None:
    """clamd answers "INSTREAM size limit exceeded. ERROR" past its StreamMaxLength: that is
    no verdict, so the file is refused (the setting's comment says to raise the limit)."""
    small = clamd_start(Path(tmp_path_factory.mktemp("clamd-small")), stream_max="1K")
    try:
        settings.CONNECT_CLAMD_SOCKET = small.socket
        with pytest.raises(antivirus.ScanUnavailable, match="size limit"):
            antivirus.scan([b"%PDF-1.4\n" + b"0" * 4096])
        photo = next(c for c in CASES if c.id == "jpeg-as-pdf").data()  # 5 KB
        answer = sender.send("api", [("photo.jpg", photo)], "en")
        assert answer.code == "virus_scan_unavailable"
        assert_nothing_kept(storage)
    finally:
        small.stop()
