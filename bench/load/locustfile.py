"""The load scenario of `make load` (started by bench/load/run.py; see docs/load.md).

Three kinds of user on a seeded portal, each through the routes a real one uses:

- ``AccountantUser`` logs in through the login form, then browses the inbox (first page and
  the following ones by its "Next" link), the firm dashboard, a dossier's dashboard, the hub;
- ``ClientUser`` logs in, opens the desk, uploads a generated 1–20 MB PDF through the web
  upload (CSRF token, JSON answer) and sends it to the accountant. Each upload is appended to
  ``LOAD_UPLOADS`` (JSON lines: id, name, size, sha256, sent) for the driver to verify;
- ``DesktopUser`` polls ``/api/v1/dossiers/<id>/documents?status=new`` with a Bearer token,
  downloads each new document (its bytes checked against the listed sha256) and acknowledges
  it as retrieved.

``LOAD_SEED`` names the JSON file the driver wrote (password, logins, dossiers, tokens);
``LOAD_ACCOUNTANTS``, ``LOAD_CLIENTS`` and ``LOAD_DESKTOPS`` how many of each run. When locust
quits, the final statistics (per request kind, per group of kinds and in total: count,
failures, requests/s, p50/p95/p99), the errors and the answers 429 per kind are written to
``LOAD_REPORT`` (JSON).
"""

import hashlib
import html
import io
import itertools
import json
import os
import random
import re
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from locust import HttpUser, between, constant_pacing, events, task
from locust.stats import StatsEntry

SEED: dict[str, Any] = json.loads(Path(os.environ["LOAD_SEED"]).read_text())
UPLOADS = Path(os.environ["LOAD_UPLOADS"])
REPORT = Path(os.environ["LOAD_REPORT"])
#: Sizes of the uploaded PDFs, in MB (QUALITY.md: clients upload 1–20 MB files).
SIZES_MB = (1, 2, 3, 5, 8, 13, 20)
#: Documents downloaded per poll: a desktop tool works through the list a few at a time.
PER_POLL = 5
#: Uploads are reported in three size classes.
BUCKETS = {1: "1-3", 2: "1-3", 3: "1-3", 5: "5-8", 8: "5-8", 13: "13-20", 20: "13-20"}

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NEXT_LINK = re.compile(r'<a href="(\?[^"]*cursor=[^"]+)"')
MARK = b"LOAD-FILL"
#: Answers 429 (Too Many Requests) per request kind. No user of the scenario goes near a limit
#: (the right password every time, one login each, an API token far below its rate), so each
#: one is a false refusal.
REFUSED: Counter[str] = Counter()
_bases: dict[int, tuple[bytes, int]] = {}
_bases_lock = threading.Lock()
_uploads_lock = threading.Lock()


def _base_pdf(size_mb: int) -> tuple[bytes, int]:
    """A valid one-page PDF of ``size_mb`` MB (the bulk an unreferenced stream) and the offset
    of 32 bytes inside that stream which each upload replaces to make its bytes unique."""
    with _bases_lock:
        if size_mb not in _bases:
            from pypdf import PdfWriter
            from pypdf.generic import DecodedStreamObject

            writer = PdfWriter()
            writer.add_blank_page(width=595, height=842)
            filler = DecodedStreamObject()
            filler.set_data(MARK + b"0123456789abcdef" * ((size_mb * 2**20 - 1200) // 16))
            writer._add_object(filler)
            out = io.BytesIO()
            writer.write(out)
            data = out.getvalue()
            _bases[size_mb] = (data, data.index(MARK))
        return _bases[size_mb]


def unique_pdf(size_mb: int) -> bytes:
    data, offset = _base_pdf(size_mb)
    return data[:offset] + uuid.uuid4().hex.encode() + data[offset + 32 :]


def record_upload(entry: dict[str, Any]) -> None:
    with _uploads_lock, UPLOADS.open("a") as handle:
        handle.write(json.dumps(entry) + "\n")


class WebUser(HttpUser):
    abstract = True
    email = ""

    def login(self) -> None:
        """Through the login form, as a browser does; tried again (up to 3 times) after a
        refusal, each refusal counted as an error."""
        for attempt in range(3):
            if attempt:
                time.sleep(2)
            page = self.client.get("/accounts/login/", name="login form")
            found = CSRF_FIELD.search(page.text)
            with self.client.post(
                "/accounts/login/",
                data={
                    "login": self.email,
                    "password": SEED["password"],
                    "csrfmiddlewaretoken": found.group(1) if found else "",
                },
                allow_redirects=False,
                name="login",
                catch_response=True,
            ) as response:
                if response.status_code == 302:
                    return
                response.failure(f"login answered {response.status_code}")

    def page(self, url: str, name: str) -> str:
        """GET a page; a redirect to the login form is a failure (the session was lost)."""
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code == 200 and "/accounts/login/" in response.url:
                response.failure("redirected to the login form")
            return str(response.text)

    def csrf(self) -> str:
        return str(self.client.cookies.get("csrftoken", ""))


_accountants = itertools.count()
_clients = itertools.count()
_desktops = itertools.count()


class AccountantUser(WebUser):
    fixed_count = int(os.environ.get("LOAD_ACCOUNTANTS", "4"))
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        seat = SEED["accountants"][next(_accountants) % len(SEED["accountants"])]
        self.email, self.dossiers = seat["email"], seat["dossiers"]
        self.next_page = ""
        self.login()

    @task(4)
    def inbox(self) -> None:
        found = NEXT_LINK.search(self.page("/connect/inbox/", "accountant: inbox"))
        self.next_page = html.unescape(found.group(1)) if found else ""

    @task(2)
    def inbox_next(self) -> None:
        if not self.next_page:
            return self.inbox()
        page = self.page(f"/connect/inbox/{self.next_page}", "accountant: inbox next")
        found = NEXT_LINK.search(page)
        self.next_page = html.unescape(found.group(1)) if found else ""
        return None

    @task(2)
    def firm_dashboard(self) -> None:
        self.page("/view/firm/", "accountant: firm dashboard")

    @task(1)
    def dossier_dashboard(self) -> None:
        dossier = random.choice(self.dossiers)
        self.page(f"/view/dossiers/{dossier}/", "accountant: dossier dashboard")

    @task(1)
    def hub(self) -> None:
        self.page("/hub/", "accountant: hub")


class ClientUser(WebUser):
    fixed_count = int(os.environ.get("LOAD_CLIENTS", "4"))
    wait_time = between(1, 4)

    def on_start(self) -> None:
        seat = SEED["clients"][next(_clients) % len(SEED["clients"])]
        self.email, self.dossier = seat["email"], seat["dossier"]
        self.login()
        self.desk()

    def desk(self) -> None:
        self.page(f"/connect/dossiers/{self.dossier}/invoices/?tab=desk", "client: desk")

    @task(1)
    def look_at_desk(self) -> None:
        self.desk()

    @task(3)
    def upload_and_send(self) -> None:
        size_mb = random.choice(SIZES_MB)
        data = unique_pdf(size_mb)
        name = f"facture-{uuid.uuid4().hex[:8]}.pdf"
        entry: dict[str, Any] = {
            "name": name,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "dossier": self.dossier,
            "sent": False,
        }
        with self.client.post(
            f"/connect/dossiers/{self.dossier}/upload/",
            data={"category": "purchase_invoice", "section": "invoices"},
            files={"uploads": (name, data, "application/pdf")},
            headers={"X-CSRFToken": self.csrf(), "Accept": "application/json"},
            name=f"client: upload {BUCKETS[size_mb]} MB",
            catch_response=True,
        ) as response:
            try:
                result = response.json()["results"][0]
            except (ValueError, KeyError, IndexError):
                response.failure(f"upload answered {response.status_code}")
                return
            if not result.get("ok") or result.get("duplicate"):
                response.failure(f"upload refused: {result.get('message')}")
                return
        entry["id"] = result["url"].rstrip("/").rsplit("/", 1)[-1]
        with self.client.post(
            f"/connect/dossiers/{self.dossier}/send/",
            data={
                "documents": entry["id"],
                "section": "invoices",
                "csrfmiddlewaretoken": self.csrf(),
            },
            allow_redirects=False,
            name="client: send",
            catch_response=True,
        ) as response:
            entry["sent"] = response.status_code == 302
            if not entry["sent"]:
                response.failure(f"send answered {response.status_code}")
        record_upload(entry)


class DesktopUser(HttpUser):
    fixed_count = int(os.environ.get("LOAD_DESKTOPS", "2"))
    wait_time = constant_pacing(3)

    def on_start(self) -> None:
        seat = SEED["tokens"][next(_desktops) % len(SEED["tokens"])]
        self.client.headers["Authorization"] = f"Bearer {seat['token']}"
        self.dossiers = itertools.cycle(seat["dossiers"])

    @task
    def poll(self) -> None:
        dossier = next(self.dossiers)
        listing = self.client.get(
            f"/api/v1/dossiers/{dossier}/documents?status=new", name="desktop: list new"
        )
        if listing.status_code != 200:
            return
        for document in listing.json()["results"][:PER_POLL]:
            with self.client.get(
                document["content_url"], name="desktop: download", catch_response=True
            ) as response:
                if response.status_code != 200:
                    response.failure(f"download answered {response.status_code}")
                    continue
                if hashlib.sha256(response.content).hexdigest() != document["sha256"]:
                    response.failure(f"{document['id']}: the bytes differ from their sha256")
                    continue
            self.client.post(
                f"/api/v1/documents/{document['id']}/retrieved", name="desktop: acknowledge"
            )


def group(kind: str) -> str:
    """The group a request kind is reported in: the login (its password hash is slow on
    purpose), the uploads (megabytes on the wire), the desktop tools' API, and the pages a
    person waits for (the rest: HTML pages, the login form, sending a document); the report
    adds the pages requested after the last login answered."""
    if kind == "login":
        return "login"
    if kind.startswith("client: upload"):
        return "uploads"
    if kind.startswith("desktop:"):
        return "desktop API"
    return "pages"


#: Each page request's start and time (ms), and when the last login answered: the pages after
#: it show the steady state, without the logins' hashing in the way.
PAGE_TIMES: list[tuple[float, float]] = []
LOGINS_ANSWERED = [0.0]


@events.request.add_listener
def _observe(
    name: str, response_time: float, response: Any = None, start_time: float = 0, **kwargs: Any
) -> None:
    if getattr(response, "status_code", None) == 429:
        REFUSED[name] += 1
    if name == "login":
        LOGINS_ANSWERED[0] = max(LOGINS_ANSWERED[0], start_time + response_time / 1000)
    elif group(name) == "pages":
        PAGE_TIMES.append((start_time, response_time))


@events.quitting.add_listener
def _report(environment: Any, **kwargs: Any) -> None:
    """The final statistics, complete (locust's CSV files are written every few seconds)."""
    stats = environment.stats
    seconds = max((stats.total.last_request_timestamp or 0) - stats.total.start_time, 1e-9)

    def entry(item: Any, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "count": item.num_requests,
            "failures": item.num_failures,
            "rps": item.num_requests / seconds,
            **{
                f"p{round(share * 100)}": item.get_response_time_percentile(share)
                for share in (0.5, 0.95, 0.99)
            },
        }

    groups: dict[str, StatsEntry] = {}
    for item in stats.entries.values():
        name = group(item.name)
        groups.setdefault(name, StatsEntry(stats, name, "")).extend(item)
    after_logins = StatsEntry(stats, "pages after the last login", "")
    for start, response_time in PAGE_TIMES:
        if start >= LOGINS_ANSWERED[0]:
            after_logins.log(response_time, 0)

    REPORT.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "kinds": [entry(item, item.name) for item in stats.entries.values()],
                "groups": [
                    *(entry(item, name) for name, item in sorted(groups.items())),
                    entry(after_logins, after_logins.name),
                ],
                "total": entry(stats.total, "all requests"),
                "refused": dict(REFUSED),
                "errors": [
                    {"name": e.name, "error": str(e.error), "count": e.occurrences}
                    for e in stats.errors.values()
                ],
            }
        )
    )
