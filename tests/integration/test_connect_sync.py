"""The real `connect-sync` program against the real API on a live server, documents processed by a
real Celery worker: a run that dies after renaming a file and before acknowledging it, then a run
to completion, leave each document in the folder exactly once (QUALITY.md: "desktop tool crashes
mid-sync"); a second run downloads nothing; a revoked token exits 3."""

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from reportlab.pdfgen import canvas

from connect.models import Document, Status
from dossiers.models import Dossier
from tests.connect import samples
from users.models import ApiToken, TokenScope, User
from users.services import api_token_create, api_token_revoke

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent.parent
# The command of the connect-sync distribution (connect-sync/), installed by `make install`.
CONSOLE_SCRIPT = Path(sys.executable).parent / "connect-sync"


def text_pdf() -> bytes:
    """A PDF with a real text layer, as an invoicing program makes it."""
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 760, "Meunerie du Centre SA - Facture 2026-0142")
    page.drawString(72, 740, "BE0123.456.789 - Total TVAC 1.210,00 EUR - +++123/4567/89012+++")
    page.save()
    return out.getvalue()


def call(base: str, token: str, method: str, path: str, body: bytes | None = None, **headers: str):
    request = urllib.request.Request(  # noqa: S310 (the live server's http:// address)
        base + path if path.startswith("/") else path,
        data=body,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def get_all(base: str, token: str, path: str) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    url: str | None = path
    while url:
        status, page = call(base, token, "GET", url)
        assert status == 200, page
        results += page["results"]
        url = page["next"]
    return results


def upload(base: str, token: str, dossier_id: str, name: str, data: bytes, content_type: str):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="send"\r\n\r\ntrue\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, document = call(
        base,
        token,
        "POST",
        f"/api/v1/dossiers/{dossier_id}/documents",
        body,
        **{"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert status == 201, (name, status, document)
    return document


def run_sync(
    base: str, token: str, folder: Path, *, command: list[str] | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """The program as an accountant runs it, in its own process; the token in the environment."""
    return subprocess.run(
        [
            *(command or [sys.executable, "-m", "connect_sync"]),
            *("--url", base, "--to", str(folder)),
        ],
        check=False,
        cwd=ROOT,
        env={**os.environ, "CONNECT_SYNC_TOKEN": token, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


def files_in(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def test_a_sync_that_dies_mid_way_then_completes_writes_each_document_once(
    celery_worker, live_server, dossier: Dossier, accountant: User, client_user: User, tmp_path
) -> None:
    base = live_server.url
    # Premium: the facts read from the PDF and the photo travel with them (UBL: always).
    Dossier.objects.filter(pk=dossier.pk).update(default_processing_mode="premium")
    _, client_token = api_token_create(actor=client_user, name="scanner")
    _, token = api_token_create(actor=accountant, name="desktop")
    (target,) = [
        d for d in get_all(base, client_token, "/api/v1/dossiers") if d["code"] == "ALPHA1"
    ]
    files = [
        (name, samples.ubl(name), "application/xml")
        for name in sorted(p.name for p in samples.PEPPOL.glob("*.xml"))
    ]
    files += [
        ("Facture Meunerie 2026-0142.pdf", text_pdf(), "application/pdf"),
        (
            "IMG_20261128_101500.jpg",
            samples.invoice_photo(samples.BELGIAN_INVOICE),
            "image/jpeg",
        ),
    ]
    assert len(files) == 6
    uploaded = {upload(base, client_token, target["id"], *f)["id"] for f in files}
    assert len(uploaded) == 6

    deadline = time.monotonic() + 120  # the photo is read by OCR
    while (
        len(new := get_all(base, token, f"/api/v1/dossiers/{target['id']}/documents?status=new"))
        < 6
    ):
        assert time.monotonic() < deadline, f"only {len(new)} of 6 documents became new"
        time.sleep(0.25)
    assert {d["id"] for d in new} == uploaded
    expected = {d["id"]: d for d in new}
    folder = tmp_path / "Connect"

    # The desktop tool dies right after renaming its 2nd file, before the metadata and the ack.
    died = run_sync(base, token, folder, CONNECT_SYNC_DIE_AFTER="2")
    assert died.returncode == 9, died.stderr
    assert len([p for p in files_in(folder) if p.suffix != ".json"]) == 2
    (folder / "ALPHA1" / ".2026-11-28_leftover_00000000.pdf.part-abc123").write_bytes(b"half")

    done = run_sync(base, token, folder)
    assert done.returncode == 0, done.stderr
    assert "downloaded 4, already present 1, errors 0" in done.stderr
    assert "downloaded ALPHA1/" in done.stderr

    documents = [p for p in files_in(folder) if p.suffix != ".json"]
    assert len(documents) == 6
    assert all(p.parent == folder / "ALPHA1" for p in documents)
    assert not [p for p in files_in(folder) if ".part-" in p.name]
    for document_id, document in expected.items():
        (path,) = [p for p in documents if p.stem.endswith(f"_{document_id[:8]}")]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == document["sha256"]
        metadata = json.loads(path.with_name(path.name + ".json").read_text("utf-8"))
        assert metadata["id"] == document_id
        assert metadata["sha256"] == document["sha256"]
        facts = metadata["recognized"]
        if metadata["filename"].endswith(".xml"):
            assert facts["source"] == "ubl" and facts["invoice_number"] in ("Snippet1", "Vat-Z")
        elif metadata["filename"].endswith(".pdf"):
            assert facts["source"] == "text" and facts["total_incl_vat"] == "1210.00"
        else:  # the photo
            assert facts["source"] == "ocr" and facts["supplier_vat"] == "BE0403170701"
            assert facts["total_incl_vat"] == "121.00"
    assert get_all(base, token, f"/api/v1/dossiers/{target['id']}/documents?status=new") == []

    # Nothing new: a second run downloads nothing and touches nothing.
    before = {p: p.stat().st_mtime_ns for p in files_in(folder)}
    again = run_sync(base, token, folder)
    assert again.returncode == 0, again.stderr
    assert "downloaded 0, already present 0, errors 0" in again.stderr
    assert {p: p.stat().st_mtime_ns for p in files_in(folder)} == before


def test_a_revoked_token_exits_3(live_server, dossier: Dossier, accountant: User, tmp_path) -> None:
    token_row, token = api_token_create(actor=accountant, name="desktop")
    api_token_revoke(actor=accountant, token=token_row)
    assert CONSOLE_SCRIPT.exists(), "make install installs the connect-sync distribution"

    result = run_sync(live_server.url, token, tmp_path, command=[str(CONSOLE_SCRIPT)])

    assert result.returncode == 3
    assert "the token has been revoked" in result.stderr
    assert token not in result.stderr


def test_an_expired_token_exits_3_and_says_so(
    live_server, dossier: Dossier, accountant: User, tmp_path
) -> None:
    token_row, token = api_token_create(actor=accountant, name="desktop")
    assert run_sync(live_server.url, token, tmp_path).returncode == 0
    ApiToken.objects.filter(pk=token_row.pk).update(expires_at=timezone.now())

    result = run_sync(live_server.url, token, tmp_path)

    assert result.returncode == 3
    assert "error: the token has expired: make a new one" in result.stderr
    assert token not in result.stderr


def test_a_read_only_token_exits_3_and_says_why(
    live_server, dossier: Dossier, accountant: User, client_user: User, tmp_path
) -> None:
    _, client_token = api_token_create(actor=client_user, name="scanner")
    upload(
        live_server.url,
        client_token,
        str(dossier.public_id),
        "facture.pdf",
        samples.pdf(text="one"),
        "application/pdf",
    )
    Document.objects.update(status=Status.SENT, ready_at=timezone.now())  # through the pipeline
    _, token = api_token_create(actor=accountant, name="desktop", scope=TokenScope.READ)

    result = run_sync(live_server.url, token, tmp_path)

    assert result.returncode == 3
    assert "the token may only read" in result.stderr
    assert Document.objects.get().status == Status.SENT  # not acknowledged
