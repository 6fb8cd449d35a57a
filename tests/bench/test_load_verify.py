"""`make load` ends by checking every upload locust made (bench/load/run.py, ``verify``): a
document missing, stored with other bytes, left unprocessed, or sent but not ready is counted
as lost — the check must see each of them, or "lost documents: 0" would prove nothing."""

import hashlib
import json
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from bench.load import run
from connect.models import Document
from dossiers.models import Dossier
from tests.connect import samples
from users.models import User


def _stored(
    dossier: Dossier, uploader: User, name: str, **fields: object
) -> tuple[Document, bytes]:
    data = samples.pdf(text=name)
    values = {
        "status": "sent",
        "sent_at": timezone.now(),
        "ready_at": timezone.now(),
        "processing": "done",
    } | fields
    document = Document.objects.create(
        firm=dossier.firm,
        dossier=dossier,
        filename=name,
        storage_name=default_storage.save(f"load-verify/{name}", ContentFile(data)),
        content_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        source="web",
        uploaded_by=uploader,
        **values,
    )
    return document, data


def _entry(name: str, document_id: object, data: bytes, *, sent: bool = True) -> dict:
    return {
        "id": str(document_id),
        "name": name,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "sent": sent,
    }


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path


def test_each_kind_of_loss_is_counted_and_named(
    dossier: Dossier, client_user: User, media: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(run, "SETTLE_SECONDS", 0)
    good, good_data = _stored(dossier, client_user, "good.pdf")
    other, other_data = _stored(dossier, client_user, "altered.pdf")
    (media / "media" / other.storage_name).write_bytes(b"%PDF-1.4 something else")
    pending, pending_data = _stored(dossier, client_user, "pending.pdf", processing="pending")
    unsent, unsent_data = _stored(
        dossier, client_user, "unready.pdf", status="draft", sent_at=None, ready_at=None
    )
    entries = [
        _entry("good.pdf", good.public_id, good_data),
        _entry("altered.pdf", other.public_id, other_data),
        _entry("pending.pdf", pending.public_id, pending_data),
        _entry("unready.pdf", unsent.public_id, unsent_data),
        _entry("missing.pdf", uuid.uuid4(), b"never stored"),
    ]
    (media / "uploads.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))

    assert run.verify(media) == 4

    printed = capsys.readouterr().out
    assert "lost documents: 4" in printed
    for name in ("altered.pdf", "pending.pdf", "unready.pdf", "missing.pdf"):
        assert name in printed
    assert "good.pdf" not in printed


def test_uploads_stored_processed_and_ready_are_not_lost(
    dossier: Dossier, client_user: User, media: Path, capsys
) -> None:
    sent, sent_data = _stored(dossier, client_user, "sent.pdf")
    desk, desk_data = _stored(
        dossier, client_user, "desk.pdf", status="draft", sent_at=None, ready_at=None
    )
    retrieved, retrieved_data = _stored(dossier, client_user, "taken.pdf", status="retrieved")
    entries = [
        _entry("sent.pdf", sent.public_id, sent_data),
        _entry("desk.pdf", desk.public_id, desk_data, sent=False),  # its send was refused
        _entry("taken.pdf", retrieved.public_id, retrieved_data),
    ]
    (media / "uploads.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))

    assert run.verify(media) == 0
    assert "lost documents: 0" in capsys.readouterr().out
