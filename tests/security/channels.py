"""The ways a file reaches the receive service, driven as a sender would drive them: the web
upload (a logged-in client), the API (a Bearer token), e-mail over SMTP to the project's own
receiver (`manage.py inbound_smtp`'s handler) and the Postmark webhook.

File names travel as RFC 2231 parameters (``filename*=utf-8''…``), as a hostile sender may
write them: Django's test client and Python's e-mail package would otherwise clean them first.
"""

import base64
import json
import smtplib
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse

from connect.models import InboundMessage
from dossiers.models import Dossier
from dossiers.services import inbound_email_address
from tests.connect.test_api import api as api_client
from users.models import User

CHANNELS = ("web", "api", "smtp", "postmark")
#: The SMTP receiver works in its own thread, on its own database connection: those tests
#: commit for real.
CHANNEL_PARAMS = [
    pytest.param(c, marks=pytest.mark.django_db(transaction=True), id=c)
    if c == "smtp"
    else pytest.param(c, id=c)
    for c in CHANNELS
]
LANGUAGES = ("fr", "en")
WEBHOOK_SECRET = "hook:s3cret"
SENDER = "factures@proximus.be"


@dataclass
class Answer:
    """What the sender gets back."""

    status: int
    #: The text the sender reads (JSON answer, or the e-mail sent back).
    text: str
    #: The API's error code (the other channels show a message only).
    code: str = ""
    documents: list[str] = field(default_factory=list)


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    for name, filename, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f"filename*=utf-8''{quote(filename, safe='')}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def mime_message(to: str, files: list[tuple[str, bytes]], *, subject: str = "Factures") -> bytes:
    boundary = uuid.uuid4().hex
    head = (
        f"From: Proximus <{SENDER}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: {formatdate()}\r\nMessage-ID: <{uuid.uuid4().hex}@proximus.be>\r\n"
        f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCi-joint.\r\n"
    ).encode()
    parts = [head]
    for filename, data in files:
        encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
        parts.append(
            f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: attachment; filename*=utf-8''{quote(filename, safe='')}"
            "\r\n\r\n".encode()
            + encoded
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


class Sender:
    """Sends files to ``dossier`` through one channel, in a language (the user's for the web,
    Accept-Language for the API, the dossier's for e-mail)."""

    def __init__(self, *, dossier: Dossier, user: User, smtp_port: int | None = None) -> None:
        self.dossier = dossier
        self.user = user
        self.smtp_port = smtp_port
        self.web = Client()
        self.web.force_login(user)
        self.api = api_client(user)

    def send(self, channel: str, files: list[tuple[str, bytes]], language: str) -> Answer:
        """Send, then run what waits for the commit (processing, the answer by e-mail) as it
        runs after a real request; the SMTP receiver commits on its own connection."""
        if channel == "web":
            with TestCase.captureOnCommitCallbacks(execute=True):
                return self._web(files, language)
        if channel == "api":
            with TestCase.captureOnCommitCallbacks(execute=True):
                return self._api(files, language)
        Dossier.objects.filter(pk=self.dossier.pk).update(language=language)
        before = len(mail.outbox)
        if channel == "smtp":
            status = self._smtp(files)
        else:
            with TestCase.captureOnCommitCallbacks(execute=True):
                status = self._postmark(files)
        message = InboundMessage.objects.order_by("-pk").first()
        return Answer(
            status=status,
            text="\n".join(f"{m.subject}\n{m.body}" for m in mail.outbox[before:]),
            documents=[str(d.public_id) for d in message.documents.all()] if message else [],
        )

    def _web(self, files: list[tuple[str, bytes]], language: str) -> Answer:
        User.objects.filter(pk=self.user.pk).update(language=language)
        body, content_type = multipart(
            {"category": "purchase_invoice"}, [("uploads", name, data) for name, data in files]
        )
        response = self.web.post(
            reverse("connect:upload", args=[self.dossier.public_id]),
            body,
            content_type=content_type,
            HTTP_ACCEPT="application/json",
        )
        answer = response.json()
        return Answer(
            status=response.status_code,
            text=json.dumps(answer, ensure_ascii=False),
            documents=[r["url"] for r in answer["results"] if r["ok"]],
        )

    def _api(self, files: list[tuple[str, bytes]], language: str) -> Answer:
        body, content_type = multipart({}, [("file", name, data) for name, data in files])
        response = self.api.post(
            f"/api/v1/dossiers/{self.dossier.public_id}/documents",
            body,
            content_type=content_type,
            HTTP_ACCEPT_LANGUAGE=language,
        )
        answer = response.json()
        error = answer.get("error") or {}
        return Answer(
            status=response.status_code,
            text=json.dumps(answer, ensure_ascii=False),
            code=error.get("code", ""),
            documents=[] if error else [answer["id"]],
        )

    def _smtp(self, files: list[tuple[str, bytes]]) -> int:
        address = inbound_email_address(self.dossier)
        assert self.smtp_port is not None, "the smtp channel needs the inbound_smtp fixture"
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=60) as smtp:
            code, _reply = smtp.ehlo()
            refused = smtp.sendmail(SENDER, [address], mime_message(address, files))
        assert refused == {}
        return HTTPStatus.OK if code == 250 else code

    def _postmark(self, files: list[tuple[str, bytes]]) -> int:
        address = inbound_email_address(self.dossier)
        payload = {
            "FromFull": {"Email": SENDER, "Name": "Proximus"},
            "ToFull": [{"Email": address, "Name": ""}],
            "OriginalRecipient": address,
            "Subject": "Factures",
            "TextBody": "Ci-joint.",
            "Headers": [
                {"Name": "Return-Path", "Value": f"<{SENDER}>"},
                # The provider's own SPF verdict: the sender is authenticated (aligned SPF).
                {"Name": "Received-SPF", "Value": "Pass (sender SPF authorized)"},
            ],
            "Attachments": [
                {
                    "Name": name,
                    "ContentType": "application/octet-stream",
                    "Content": base64.b64encode(data).decode(),
                }
                for name, data in files
            ],
        }
        response = Client().post(
            "/inbound/postmark/",
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION="Basic " + base64.b64encode(WEBHOOK_SECRET.encode()).decode(),
        )
        return response.status_code


def files_under(root: Path, *, but: tuple[str, ...] = ()) -> list[str]:
    """Every file under ``root`` (relative paths), leaving out the top folders in ``but``."""
    if not root.exists():
        return []
    found = (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return sorted(p for p in found if p.split("/", 1)[0] not in but)
