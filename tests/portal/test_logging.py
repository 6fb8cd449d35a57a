"""Structured logs (portal/logging.py, portal/middleware.py): one JSON object per line with the
request id, the user's id (never the e-mail), path, status and duration; an incoming
X-Request-ID is kept when sane and echoed; secret URL parts are masked; LOG_FORMAT switches
between JSON (production's default) and plain lines; a task enqueued by a request logs, in the
real worker, its own id with the id of that request."""

import io
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from connect.models import Document
from core.logging import JsonFormatter, RequestContextFilter
from dossiers.models import Dossier
from tests.connect import samples
from users.models import User

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def capture() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def records(stream: io.StringIO) -> list[dict]:
    # Every line is one JSON object (json.loads fails on anything else).
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_request_writes_one_json_access_line_with_its_id(
    capture: io.StringIO, client_user: User, dossier: Dossier, auth_client
) -> None:
    client = auth_client(client_user)
    url = reverse("connect:tasks", args=[dossier.public_id])
    response = client.get(url, HTTP_X_REQUEST_ID="edge-4f2a9c1d-77")
    assert response.status_code == HTTPStatus.OK
    assert response["X-Request-ID"] == "edge-4f2a9c1d-77"

    (line,) = [r for r in records(capture) if r["logger"] == "portal.request"]
    assert line["request_id"] == "edge-4f2a9c1d-77"
    assert line["level"] == "INFO"
    assert line["method"] == "GET"
    assert line["path"] == url
    assert line["status"] == HTTPStatus.OK
    assert line["user_id"] == client_user.pk
    assert 0 < line["duration_ms"] < 10_000
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])
    assert client_user.email not in capture.getvalue()


@pytest.mark.parametrize(
    "incoming",
    ["", "short", "x" * 200, "abc def 12345678", 'id\n{"level": "ERROR"}', "<script>1234567"],
)
def test_an_insane_incoming_id_is_replaced(capture: io.StringIO, incoming: str, db) -> None:
    response = Client().get("/accounts/login/", HTTP_X_REQUEST_ID=incoming)
    generated = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    (line,) = [r for r in records(capture) if r["logger"] == "portal.request"]
    assert line["request_id"] == generated
    assert "user_id" not in line  # anonymous


def test_every_record_written_during_a_request_carries_its_id(
    capture: io.StringIO, client_user: User, auth_client
) -> None:
    response = auth_client(client_user).get("/connect/documents/not-a-uuid/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    lines = records(capture)
    not_found = [r for r in lines if r["logger"] == "django.request"]
    assert not_found
    assert not_found[0]["level"] == "WARNING"
    assert not_found[0]["request_id"] == response["X-Request-ID"]
    # Outside a request: "-" in plain lines, null in JSON.
    logging.getLogger("portal.test").warning("after the request")
    assert records(capture)[-1]["request_id"] is None


def test_secret_links_are_not_logged(capture: io.StringIO, db) -> None:
    token = "s3cr3t-invitation-token-0123456789abcdef"
    Client().get(f"/invitation/{token}/")
    Client().get("/accounts/password/reset/key/3-set-password-key-0123456789/")
    text = capture.getvalue()
    assert token not in text
    assert "set-password-key-0123456789" not in text
    paths = [r["path"] for r in records(capture) if r["logger"] == "portal.request"]
    assert paths[0] == "/invitation/…/"


def test_an_exception_is_kept_with_its_traceback(capture: io.StringIO) -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        logging.getLogger("portal.test").exception("it failed", extra={"document": 42})
    (line,) = records(capture)
    assert line["message"] == "it failed"
    assert line["level"] == "ERROR"
    assert 'raise ValueError("broken")' in line["exception"]
    assert line["extra"] == {"document": 42}


def manage_log_line(settings_module: str, **environment: str) -> str:
    """What a management command run with these settings writes for one warning."""
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    inherited.pop("LOG_FORMAT", None)
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_SECRET_KEY": "a" * 20 + "-production-secret-key-0123456789-abcdefghij",
        "DJANGO_ALLOWED_HOSTS": "portal.example.be",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "PORTAL_BASE_URL": "https://portal.example.be",
        **environment,
    }
    code = "import logging; logging.getLogger('portal.check').warning('one line')"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    (line,) = [line for line in result.stderr.splitlines() if "one line" in line]
    return line


def test_log_format_json_in_production_plain_for_make_run() -> None:
    line = json.loads(manage_log_line("portal.settings.production"))
    assert line["logger"] == "portal.check"
    assert line["message"] == "one line"
    assert line["level"] == "WARNING"

    plain = manage_log_line("portal.settings.production", LOG_FORMAT="plain")
    assert plain.endswith("WARNING portal.check [-] one line")
    assert manage_log_line("portal.settings.local").endswith("WARNING portal.check [-] one line")


@pytest.mark.integration
def test_a_task_logs_its_id_and_the_request_that_enqueued_it(
    celery_worker, client_user: User, dossier: Dossier
) -> None:
    client = Client()
    client.force_login(client_user)
    request_id = "upload-9d1e0c5a2b"
    response = client.post(
        reverse("connect:upload", args=[dossier.public_id]),
        {
            "category": "purchase_invoice",
            "uploads": [SimpleUploadedFile("f.pdf", samples.pdf(1), "application/pdf")],
        },
        HTTP_ACCEPT="application/json",
        HTTP_X_REQUEST_ID=request_id,
    )
    assert response.json()["results"][0]["ok"], response.content
    document = Document.objects.get()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = [
            line
            for line in celery_worker.log
            if "document_process" in line and "succeeded" in line and request_id in line
        ]
        if done:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("".join(celery_worker.log[-30:]))
    # The plain line of the worker: "… celery.app.trace [upload-9d1e0c5a2b] Task
    # connect.tasks.document_process[<task id>] succeeded …"
    assert f"[{request_id}]" in done[0]
    assert re.search(r"document_process\[[0-9a-f-]{36}\]", done[0])
    document.refresh_from_db()
    assert document.thumbnail_name
