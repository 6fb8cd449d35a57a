"""connect-sync, the desktop client, against a canned server (http.server in a thread): names it
writes, the atomic write, and what a run does after one that died before acknowledging."""

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from connect_sync.api import Client
from connect_sync.cli import main
from connect_sync.store import final_name
from connect_sync.sync import sync

DOSSIER = "5b0f6a52-1111-4c1e-9d7e-000000000001"


def document(id_: str, filename: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "dossier": DOSSIER,
        "filename": filename,
        "content_type": "application/pdf",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "status": "sent",
        "uploaded_at": "2026-11-28T09:15:00Z",
        "recognized": None,
        **extra,
    }


class FakeApi:
    """The retrieval API as the desktop tool sees it: one dossier, one document per page."""

    def __init__(self) -> None:
        self.documents: dict[str, tuple[dict[str, Any], bytes]] = {}
        self.acknowledged: set[str] = set()
        self.requests: list[tuple[str, str]] = []
        self.answers: dict[str, list[tuple[int, dict[str, str]]]] = {}  # path: errors first
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, doc: dict[str, Any], data: bytes) -> None:
        doc["content_url"] = f"{self.url}/api/v1/documents/{doc['id']}/content"
        self.documents[doc["id"]] = (doc, data)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def json(self, status: int, payload: object, headers: dict[str, str] = {}) -> None:  # noqa: B006
                body = json.dumps(payload).encode()
                self.send(status, body, {"Content-Type": "application/json", **headers})

            def answer(self) -> None:
                url = urlsplit(self.path)
                api.requests.append((self.command, url.path))
                if self.headers["Authorization"] != "Bearer good-token":
                    self.json(401, {"error": {"code": "unauthorized", "message": "Bad token."}})
                    return
                if api.answers.get(url.path):
                    status, headers = api.answers[url.path].pop(0)
                    self.json(status, {"error": {"code": "busy", "message": "Wait."}}, headers)
                    return
                parts = url.path.strip("/").split("/")
                if url.path == "/api/v1/dossiers":
                    dossier = {"id": DOSSIER, "code": "BOULANGERIE", "connect_enabled": True}
                    self.json(200, {"results": [dossier], "next": None})
                elif parts[-1] == "documents":
                    waiting = [
                        d for d, _ in api.documents.values() if d["id"] not in api.acknowledged
                    ]
                    page = int(parse_qs(url.query).get("page", ["0"])[0])
                    more = page + 1 < len(waiting)
                    next_url = f"{url.path}?status=new&page={page + 1}" if more else None
                    self.json(200, {"results": waiting[page : page + 1], "next": next_url})
                elif parts[-1] == "content":
                    _doc, data = api.documents[parts[-2]]
                    self.send(200, data, {"X-Content-SHA256": hashlib.sha256(data).hexdigest()})
                elif parts[-1] == "retrieved":
                    api.acknowledged.add(parts[-2])
                    self.json(200, {**api.documents[parts[-2]][0], "status": "retrieved"})
                else:
                    self.json(404, {"error": {"code": "not_found", "message": "Not found."}})

            do_GET = do_POST = answer

        return Handler


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.mark.parametrize(
    ("filename", "uploaded_at", "expected"),
    [
        ("facture.pdf", "2026-11-28T09:15:00Z", "2026-11-28_facture_1a2b3c4d.pdf"),
        # the date of the upload in UTC, as the API gives it
        ("facture.pdf", "2026-11-28T23:30:00-02:00", "2026-11-29_facture_1a2b3c4d.pdf"),
        ("../../evil\u202efdp.pdf", "2026-11-28T09:15:00Z", "2026-11-28_evil_fdp_1a2b3c4d.pdf"),
        ("C:\\Users\\x\\a<b>|c?.PDF", "2026-11-28T09:15:00Z", "2026-11-28_a_b_c_1a2b3c4d.pdf"),
        ("tab\there\x00.pdf", "2026-11-28T09:15:00Z", "2026-11-28_tab here_1a2b3c4d.pdf"),
        ("../..", "2026-11-28T09:15:00Z", "2026-11-28_document_1a2b3c4d.pdf"),
        # a photo the portal turned into a PDF ends in .pdf
        ("ticket.jpg", "2026-11-28T09:15:00Z", "2026-11-28_ticket_1a2b3c4d.pdf"),
    ],
)
def test_final_names_are_safe_and_deterministic(filename, uploaded_at, expected) -> None:
    doc = {"id": "1a2b3c4d-9999", "filename": filename, "uploaded_at": uploaded_at}
    name = final_name({**doc, "content_type": "application/pdf"})
    assert name == expected


def test_windows_reserved_and_long_names() -> None:
    base = {"id": "1a2b3c4d-9999", "uploaded_at": "2026-11-28", "content_type": "text/xml"}
    assert final_name({**base, "filename": "CON.xml"}).startswith("2026-11-28__CON_")
    long = final_name({**base, "filename": "é" * 300 + ".xml"})
    assert len(long) <= 120
    assert long.endswith("_1a2b3c4d.xml")
    assert long.startswith("2026-11-28_éé")


def test_a_sync_downloads_verifies_and_survives_a_crash_before_the_ack(
    api: FakeApi, tmp_path: Path
) -> None:
    api.add(document("1a2b3c4d-0001", "facture.pdf", b"%PDF-1 facture"), b"%PDF-1 facture")
    api.add(document("2b3c4d5e-0002", "../ticket.pdf", b"%PDF-1 ticket"), b"%PDF-1 ticket")
    broken = document("3c4d5e6f-0003", "abime.pdf", b"what the server promised")
    api.add(broken, b"what arrived instead")
    folder = tmp_path / "Connect"
    out = io.StringIO()

    summary = sync(Client(api.url, "good-token"), folder, out=out)

    dossier = folder / "BOULANGERIE"
    first = dossier / "2026-11-28_facture_1a2b3c4d.pdf"
    assert (summary.downloaded, summary.already_present, len(summary.errors)) == (2, 0, 1)
    assert sorted(p.name for p in dossier.iterdir()) == [
        "2026-11-28_facture_1a2b3c4d.pdf",
        "2026-11-28_facture_1a2b3c4d.pdf.json",
        "2026-11-28_ticket_2b3c4d5e.pdf",
        "2026-11-28_ticket_2b3c4d5e.pdf.json",
    ]  # the mismatched download left no part file behind
    assert first.read_bytes() == b"%PDF-1 facture"
    assert json.loads(first.with_name(first.name + ".json").read_text("utf-8"))["id"] == (
        "1a2b3c4d-0001"
    )
    assert api.acknowledged == {"1a2b3c4d-0001", "2b3c4d5e-0002"}
    assert "downloaded BOULANGERIE/2026-11-28_facture_1a2b3c4d.pdf (14 bytes)" in out.getvalue()
    assert "error: BOULANGERIE/2026-11-28_abime_3c4d5e6f.pdf: checksum mismatch" in out.getvalue()
    assert "downloaded 2, already present 0, errors 1" in out.getvalue()

    # A run died after renaming the facture, before its metadata and its acknowledgement; it
    # also left a part file. The next run finishes the job without downloading it again.
    api.acknowledged.discard("1a2b3c4d-0001")
    first.with_name(first.name + ".json").unlink()
    (dossier / ".2026-11-28_x_11111111.pdf.part-k2j4h").write_bytes(b"half")
    api.requests.clear()

    summary = sync(Client(api.url, "good-token"), folder, out=io.StringIO())

    assert (summary.downloaded, summary.already_present, len(summary.errors)) == (0, 1, 1)
    assert ("GET", "/api/v1/documents/1a2b3c4d-0001/content") not in api.requests
    assert ("POST", "/api/v1/documents/1a2b3c4d-0001/retrieved") in api.requests
    assert first.with_name(first.name + ".json").exists()
    assert not [p for p in dossier.iterdir() if ".part-" in p.name]
    assert "3c4d5e6f-0003" not in api.acknowledged


def test_throttling_and_server_errors_are_retried(api: FakeApi, tmp_path: Path) -> None:
    data = b"%PDF-1 facture"
    api.add(document("1a2b3c4d-0001", "facture.pdf", data), data)
    api.answers["/api/v1/dossiers"] = [(429, {"Retry-After": "120"}), (503, {})]
    api.answers["/api/v1/documents/1a2b3c4d-0001/retrieved"] = [(500, {})] * 4
    waits: list[float] = []
    client = Client(api.url, "good-token", sleep=waits.append)

    summary = sync(client, tmp_path, out=io.StringIO())

    # Retry-After is honoured up to 60 s; 5xx are retried 3 times with a growing backoff.
    assert waits == [60.0, 1.0, 1.0, 2.0, 4.0]
    assert summary.downloaded == 0
    assert summary.errors == ["BOULANGERIE/2026-11-28_facture_1a2b3c4d.pdf: Wait. (HTTP 500, busy)"]
    assert api.acknowledged == set()


def test_an_invalid_token_exits_3_and_an_unknown_dossier_2(
    api: FakeApi, tmp_path: Path, capsys, monkeypatch
) -> None:
    assert main(["--url", api.url, "--token", "revoked", "--to", str(tmp_path)]) == 3
    assert "the token is not valid (revoked, or its user deactivated)" in capsys.readouterr().err

    monkeypatch.setenv("CONNECT_SYNC_TOKEN", "good-token")  # the token can stay out of `ps`
    assert main(["--url", api.url, "--to", str(tmp_path), "--dossier", "NOPE"]) == 2
    assert "no dossier 'NOPE'" in capsys.readouterr().err
