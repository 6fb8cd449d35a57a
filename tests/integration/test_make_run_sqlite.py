"""`make run`'s embedded set-up (SQLite, inline tasks) under eight uploads at once (issue 14),
each sent to the accountant by the upload itself and processed: the real settings module, a
real `runserver` with its threads, the demo data and a file database. Before WAL, a busy
timeout and immediate transactions, the inline processing tasks failed with "database is
locked" and their documents stayed unprocessed."""

import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from reportlab.pdfgen.canvas import Canvas

from tests.fixtures_services import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.integration


def _wait_for(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("runserver did not start")


def test_eight_uploads_at_once_are_all_sent_and_processed_on_sqlite(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER"}
    }
    database = tmp_path / "db.sqlite3"
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.local",
        DATABASE_URL=f"sqlite:///{database}",
        MEDIA_ROOT=str(tmp_path / "media"),
        PORTAL_BASE_URL=base,
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "demo_data"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(port)
        session = requests.Session()
        session.get(f"{base}/accounts/login/", timeout=30)
        session.post(
            f"{base}/accounts/login/",
            data={
                "login": "client@boulangerie-demo.be",
                "password": "demo-Connect-2026",
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": f"{base}/accounts/login/"},
            timeout=30,
        )
        desk = session.get(f"{base}/connect/", timeout=30).text
        dossier = re.findall(r"/connect/dossiers/([0-9a-f-]{36})/", desk)[0]
        # Uploading sends to the accountant (no second step): each answer says so.
        answers: list[tuple[int, bool]] = []

        def upload(number: int) -> None:
            pdf = tmp_path / f"facture-{number}.pdf"
            canvas = Canvas(str(pdf))
            canvas.drawString(100, 700, f"Facture {number}")
            canvas.save()
            client = requests.Session()
            client.cookies.update(session.cookies)
            answer = client.post(
                f"{base}/connect/dossiers/{dossier}/upload/",
                files={"uploads": (pdf.name, pdf.read_bytes(), "application/pdf")},
                data={
                    "csrfmiddlewaretoken": session.cookies["csrftoken"],
                    "category": "purchase_invoice",
                },
                headers={"Accept": "application/json", "Referer": f"{base}/"},
                timeout=120,
            )
            results = answer.json()["results"]
            answers.append((answer.status_code, len(results) == 1 and results[0].get("sent")))

        threads = [threading.Thread(target=upload, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert answers == [(200, True)] * 8
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT filename, processing, status, sent_at IS NOT NULL FROM connect_document"
            " WHERE filename LIKE 'facture-%'"
        ).fetchall()
    assert sorted(rows) == [(f"facture-{n}.pdf", "done", "sent", 1) for n in range(8)]
    assert "database is locked" not in log.read_text(errors="replace")
