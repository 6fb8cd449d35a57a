"""Past one machine (docs/scaling.md): two web processes (gunicorn, as the image runs it) and
two Celery workers, each with its own empty MEDIA_ROOT and temporary directory, sharing only
PostgreSQL (as the application's role: row-level security applies), Redis and an S3 server
(moto). A client logs in on web 1 and uploads there, a supplier's mail reaches the SMTP
receiver (a fifth process); the documents are processed and read on whichever worker takes
them; the client downloads them through web 2 (the session opened on web 1 is valid there:
sessions live in the database); page images made by one web process are served by the other;
the accountant's `connect-sync` dies half-way through web 1 and completes through web 2. Each
document arrives once with the sha256 of what was sent, and no process leaves a file in its
own directories (whatever another process needs is in S3 or PostgreSQL)."""

import contextlib
import hashlib
import http.cookiejar
import io
import json
import os
import re
import shutil
import smtplib
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Q
from PIL import Image

from connect.models import Document, Processing, Recognition
from dossiers.models import Cartouche, Dossier
from dossiers.services import inbound_email_address
from tests.connect import samples
from tests.connect.documents.test_inbound import message
from tests.dns_stub import dns_stub
from tests.factories import PASSWORD
from tests.fixtures_services import (
    ROOT,
    RedisInstance,
    _database_url,
    free_port,
    process_group_kill,
    worker_start,
)
from tests.integration.test_connect_sync import files_in, get_all, run_sync
from users.models import User
from users.services import api_token_create

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BUCKET = "portal-hosts"
REGION = "eu-west-1"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PROCESSED = re.compile(r"Task connect\.tasks\.document_process\[[0-9a-f-]+\] succeeded")
SUPPLIER = "factures@proximus.be"
PDF = "application/pdf"
READ = re.compile(r"Task connect\.tasks\.document_recognise\[[0-9a-f-]+\] succeeded")


def wait_until(predicate: Any, timeout: float, message: Any) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, message()
        time.sleep(0.2)
    return result


@pytest.fixture
def s3() -> Iterator[tuple[Any, str]]:
    """A moto S3 server with an empty bucket: the boto3 client and the endpoint's URL."""
    import boto3

    executable = shutil.which("moto_server")
    assert executable, "moto[server] is a test dependency"
    port = free_port()
    moto = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )

    def ready() -> bool:
        with contextlib.suppress(Exception):
            client.create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
            return True
        return False

    try:
        wait_until(ready, 30, lambda: "moto_server did not start")
        yield client, url
    finally:
        process_group_kill(moto)


@dataclass
class Host:
    """One process as if on a machine of its own: its own media and temporary directories."""

    name: str
    directory: Path
    process: subprocess.Popen[Any] | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, redis_url: str, s3_url: str) -> dict[str, str]:
        for sub in ("media", "tmp"):
            (self.directory / sub).mkdir(parents=True)
        return {
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "TEST_DATABASE_URL": _database_url(),
            "TEST_REDIS_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_APP_ROLE": settings.DATABASE_APP_ROLE,  # row-level security applies
            "S3_BUCKET": BUCKET,
            "S3_ENDPOINT_URL": s3_url,
            "S3_REGION": REGION,
            "S3_ACCESS_KEY_ID": "test",
            "S3_SECRET_ACCESS_KEY": "test",
            "MEDIA_ROOT": str(self.directory / "media"),
            "TMPDIR": str(self.directory / "tmp"),
            "PYTHONUNBUFFERED": "1",
        }

    def files_left(self) -> list[str]:
        return [str(p) for p in self.directory.rglob("*") if p.is_file()]


@pytest.fixture
def hosts(tmp_path: Path, s3: tuple[Any, str], transactional_db: None) -> Iterator[dict[str, Host]]:
    """web1 and web2 (gunicorn, 2 sync workers each, as the image's command), worker1 and
    worker2 (every queue, concurrency 1) and the SMTP receiver (`manage.py inbound_smtp`), on a
    redis-server of the test's own."""
    _, s3_url = s3
    started: dict[str, Host] = {}
    # The supplier's DNS: its SPF record authorises this host (an authenticated sender).
    with RedisInstance() as redis, dns_stub() as supplier_dns:
        supplier_dns.txt["proximus.be"] = ["v=spf1 ip4:127.0.0.1 -all"]
        try:
            for name in ("worker1", "worker2"):
                host = Host(name, tmp_path / name)
                host.process = worker_start(
                    broker_url=redis.url(),
                    pool="prefork",
                    name=name,
                    new_session=True,
                    extra_env=host.env(redis.url(), s3_url),
                )
                started[name] = host
            for name in ("web1", "web2"):
                host = Host(name, tmp_path / name, port=free_port())
                env = {**os.environ, **host.env(redis.url(), s3_url)}
                with (tmp_path / f"{name}.log").open("w") as log:
                    host.process = subprocess.Popen(
                        [
                            *(sys.executable, "-m", "gunicorn", "portal.wsgi"),
                            *("--bind", f"127.0.0.1:{host.port}"),
                            *("--workers", "2", "--timeout", "60"),
                        ],
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                started[name] = host
            inbound = Host("inbound", tmp_path / "inbound", port=free_port())
            with (tmp_path / "inbound.log").open("w") as log:
                inbound.process = subprocess.Popen(
                    [sys.executable, "manage.py", "inbound_smtp", "--port", str(inbound.port)],
                    cwd=ROOT,
                    env={
                        **os.environ,
                        **inbound.env(redis.url(), s3_url),
                        "INBOUND_DNS_RESOLVER": supplier_dns.address,
                    },
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            started["inbound"] = inbound
            for name in ("web1", "web2"):
                wait_until(
                    lambda host=started[name]: answers(host.url + "/health/"),
                    60,
                    lambda name=name: (tmp_path / f"{name}.log").read_text()[-3000:],
                )
            yield started
        finally:
            for host in started.values():
                if host.process is not None:
                    process_group_kill(host.process)


def answers(url: str) -> bool:
    with (
        contextlib.suppress(OSError),
        urllib.request.urlopen(url, timeout=5) as response,  # noqa: S310 (loopback)
    ):
        return bool(response.status == 200)
    return False


class Browser:
    """A browser's cookie jar: one for both web processes, as one site behind the proxy."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(
        self, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str, bytes]:
        """(status, final URL, body)."""
        request = urllib.request.Request(url, data=body, headers={**(headers or {})})  # noqa: S310
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.url, response.read()
        except urllib.error.HTTPError as error:
            return error.code, url, error.read()

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken") or ""

    def login(self, base: str, email: str) -> None:
        _, _, page = self.request(base + "/accounts/login/")
        found = CSRF_FIELD.search(page.decode())
        assert found, page[:500]
        form = {"login": email, "password": PASSWORD, "csrfmiddlewaretoken": found.group(1)}
        status, where, body = self.request(
            base + "/accounts/login/",
            urllib.parse.urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 200 and "/accounts/login/" not in where, (status, where, body[:500])

    def upload(self, base: str, dossier: Dossier, files: list[tuple[str, bytes]], **fields: str):
        boundary = uuid.uuid4().hex
        body = io.BytesIO()
        for key, value in {"category": "purchase_invoice", **fields}.items():
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, data in files:
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="uploads"; '
                f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            )
            body.write(data + b"\r\n")
        body.write(f"--{boundary}--\r\n".encode())
        status, _, answer = self.request(
            f"{base}/connect/dossiers/{dossier.public_id}/upload/",
            body.getvalue(),
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Accept": "application/json",
                "X-CSRFToken": self.csrf(),
            },
        )
        assert status == 200, (status, answer[:500])
        results = json.loads(answer)["results"]
        assert all(r["ok"] and r["sent"] and not r["duplicate"] for r in results), results
        return results


def smtp_connect(port: int) -> smtplib.SMTP | None:
    with contextlib.suppress(OSError):
        return smtplib.SMTP("127.0.0.1", port, timeout=10)
    return None


def invoice(number: str) -> list[str]:
    return [
        f"Facture n° {number}" if line.startswith("Facture n°") else line
        for line in samples.BELGIAN_INVOICE
    ]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_two_web_processes_and_two_workers_share_only_postgresql_redis_and_s3(
    hosts: dict[str, Host],
    s3: tuple[Any, str],
    dossier: Dossier,
    client_user: User,
    accountant: User,
    tmp_path: Path,
) -> None:
    s3_client, _ = s3
    web1, web2 = hosts["web1"].url, hosts["web2"].url
    Dossier.objects.filter(pk=dossier.pk).update(default_processing_mode="premium")
    Cartouche.objects.filter(firm=dossier.firm, mode="premium").update(credits=100)
    pdfs = [(f"facture-{n}.pdf", samples.invoice_pdf(invoice(f"F2026-1{n:02d}"))) for n in range(8)]
    singles = [
        *pdfs,
        ("base-example.xml", samples.ubl("base-example.xml")),
        ("IMG_0001.jpg", samples.invoice_photo(invoice("F2026-200"))),
    ]
    photos = [
        ("IMG_0002.jpg", samples.invoice_photo(invoice("F2026-300"))),
        ("IMG_0003.jpg", samples.invoice_photo(["Page 2", "Total TVAC 121,00 EUR"])),
    ]

    # The client logs in on web 1 and uploads there, as the desk's page does (one request with
    # several files, then photos combined into one PDF).
    browser = Browser()
    browser.login(web1, client_user.email)
    answers_ = browser.upload(web1, dossier, singles)
    (combined,) = browser.upload(web1, dossier, photos, combine="on")
    sent = {answer["id"]: sha(data) for answer, (_, data) in zip(answers_, singles, strict=True)}
    assert len(sent) == len(singles)
    # A supplier's mail arrives at the SMTP receiver, another process again.
    mailed = samples.invoice_pdf(invoice("F2026-400"))
    address = inbound_email_address(dossier)
    smtp = wait_until(lambda: smtp_connect(hosts["inbound"].port), 60, lambda: "no SMTP receiver")
    with smtp:
        smtp.sendmail(SUPPLIER, [address], message(address, ("mail.pdf", mailed, PDF)))
    ids = [*sent, combined["id"]]

    # The accountant's desktop tool sees them once they are processed and read, on either worker.
    _, token = api_token_create(actor=accountant, name="desktop")
    listing = f"/api/v1/dossiers/{dossier.public_id}/documents?status=new"

    def worker_logs() -> str:
        return "".join("".join(getattr(h.process, "log", [])[-20:]) for h in hosts.values())

    def all_new() -> list[dict[str, Any]] | None:
        # A file a worker cannot find fails its processing or reading: no need to wait longer.
        failed = Document.objects.filter(dossier=dossier).filter(
            Q(processing__in=(Processing.FAILED, Processing.QUARANTINED))
            | Q(recognition=Recognition.FAILED)
        )
        assert not failed.exists(), f"{list(failed.values('filename'))}\n{worker_logs()}"
        found = get_all(web2, token, listing)
        return found if len(found) == len(ids) + 1 else None

    new = wait_until(all_new, 240, lambda: "not all documents became new:\n" + worker_logs())
    listed = {d["id"]: d["sha256"] for d in new}
    (by_mail,) = [d["id"] for d in new if d["filename"] == "mail.pdf"]
    sent[by_mail] = sha(mailed)
    ids.append(by_mail)
    assert set(listed) == set(ids)
    assert {i: listed[i] for i in sent} == sent
    expected = {**sent, combined["id"]: listed[combined["id"]]}
    documents = list(Document.objects.filter(public_id__in=ids))
    assert all(d.processing == Processing.DONE for d in documents)
    assert all(d.recognition == Recognition.DONE for d in documents)
    logs = {n: "".join(getattr(hosts[n].process, "log", [])) for n in ("worker1", "worker2")}
    processed = {n: len(PROCESSED.findall(log)) for n, log in logs.items()}
    read = {n: len(READ.findall(log)) for n, log in logs.items()}
    print(f"processed {processed}, read {read}")  # noqa: T201
    assert sum(processed.values()) == len(ids), processed  # each once
    assert all(processed.values()), f"one worker did all the processing: {processed}"

    # Through web 2, with the session opened on web 1: every file as it was sent, its
    # thumbnail (made by a worker), page images (made by web 2, then served by web 1).
    for public_id, digest in expected.items():
        status, _, body = browser.request(f"{web2}/connect/documents/{public_id}/download/")
        assert status == 200 and sha(body) == digest, (public_id, status)
        status, _, body = browser.request(f"{web2}/connect/documents/{public_id}/")
        assert status == 200, (public_id, status)
    for document in documents:
        if not document.thumbnail_name:
            assert document.filename.endswith(".xml")  # an e-invoice has its HTML preview
            continue
        status, _, body = browser.request(
            f"{web2}/connect/documents/{document.public_id}/thumbnail.png"
        )
        assert status == 200 and body.startswith(b"\x89PNG"), (document.filename, status)
    pages = [(combined["id"], 1), (combined["id"], 2), (answers_[0]["id"], 1)]
    for public_id, number in pages:
        path = f"/connect/documents/{public_id}/pages/{number}.jpg"
        status, _, made = browser.request(web2 + path)
        assert status == 200, (path, status, made[:200])
        assert Image.open(io.BytesIO(made)).format == "JPEG"
        status, _, served = browser.request(web1 + path)
        assert status == 200 and served == made, path

    # connect-sync dies half-way through web 1, then completes through web 2; nothing is left
    # for a third run, through web 1.
    folder = tmp_path / "Connect"
    died = run_sync(web1, token, folder, CONNECT_SYNC_DIE_AFTER="5")
    assert died.returncode == 9, died.stderr
    done = run_sync(web2, token, folder)
    assert done.returncode == 0, done.stderr
    assert f"downloaded {len(ids) - 5}, already present 1, errors 0" in done.stderr, done.stderr
    again = run_sync(web1, token, folder)
    assert again.returncode == 0, again.stderr
    assert "downloaded 0, already present 0, errors 0" in again.stderr, again.stderr
    arrived = [p for p in files_in(folder) if p.suffix != ".json"]
    assert len(arrived) == len(ids), arrived
    for public_id, digest in expected.items():
        (path,) = [p for p in arrived if p.stem.endswith(f"_{public_id[:8]}")]
        assert sha(path.read_bytes()) == digest, path
        facts = json.loads(path.with_name(path.name + ".json").read_text("utf-8"))["recognized"]
        source = {".xml": "ubl", ".pdf": "text", ".jpg": "ocr"}[path.suffix]
        if public_id == combined["id"]:
            source = "ocr"
        assert facts["source"] == source, (path.name, facts)

    # What they made is in the bucket; nothing in any process's own directories.
    keys = {
        item["Key"]
        for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        for item in page.get("Contents", [])
    }
    for document in documents:
        assert document.storage_name in keys
        assert not document.thumbnail_name or document.thumbnail_name in keys
    assert sum(key.startswith("pages/") for key in keys) == len(pages)
    assert any(key.startswith("inbound/") for key in keys)  # the mail, source of its document
    for host in hosts.values():
        assert host.files_left() == [], host.name
