"""`make bench`: the query count of every list page, with 2 rows and with 200 (QUALITY.md:
"query count of every list page is the same with 2 rows and with 200"; issue 18: at most 8).

Each page gets a firm of its own in the bench database, filled with ``rows`` rows of what the
page lists; it is asked twice (the session and the header's caches warm), then once more while
its queries are counted. ``measure()`` returns one entry per page:
``{"page": ..., "few": n, "many": n}``, or ``{"page": ..., "error": ...}``.
"""

import tempfile
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from connect.models import (
    Category,
    Document,
    DocumentRequest,
    Message,
    Recognition,
    Task,
    TaskStatus,
    Thread,
    ThreadRead,
)
from dossiers.models import FirmLevel
from tests.factories import DossierFactory, FirmFactory, MembershipFactory, UserFactory, grant

FEW, MANY = 2, 200
#: Issue 18: no list page asks more queries than this.
MOST = 8
IBAN = "BE71096123456769"


class Setup:
    """A firm with one dossier, its accountant (power user), licence admin and client."""

    def __init__(self) -> None:
        self.firm = FirmFactory(name=f"Queries {uuid.uuid4().hex[:6]}")
        self.admin = MembershipFactory(firm=self.firm, level=FirmLevel.LICENCE_ADMIN).user
        self.accountant = MembershipFactory(firm=self.firm, level=FirmLevel.POWER_USER).user
        self.dossier = DossierFactory(firm=self.firm, accountant=self.accountant)
        grant(self.accountant, self.dossier, "connect.accountant", "view.admin")
        self.client_user = UserFactory()
        grant(self.client_user, self.dossier, "connect.entrepreneur", "view.user")

    def documents(self, rows: int, dossier: Any = None, **fields: Any) -> list[Document]:
        dossier = dossier or self.dossier
        now = timezone.now()
        values = {
            "content_type": "application/pdf",
            "size": 1000,
            "source": "web",
            "uploaded_by": self.client_user,
            "category": Category.PURCHASE_INVOICE,
        } | fields
        return Document.objects.bulk_create(
            Document(
                firm=dossier.firm,
                dossier=dossier,
                filename=f"document-{i}.pdf",
                storage_name=f"queries/{uuid.uuid4().hex}.pdf",
                sha256=uuid.uuid4().hex * 2,
                **({"sent_at": now - timedelta(minutes=i)} if "status" in fields else {}),
                **values,
            )
            for i in range(rows)
        )


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def inbox(rows: int) -> tuple[Client, str]:
    s = Setup()
    s.documents(rows, status="sent")
    return _login(s.accountant), reverse("connect:inbox")


def desk(rows: int) -> tuple[Client, str]:
    s = Setup()
    s.documents(rows)
    url = reverse("connect:section", args=[s.dossier.public_id, "invoices"]) + "?tab=desk"
    return _login(s.client_user), url


def sent_tab(rows: int) -> tuple[Client, str]:
    s = Setup()
    s.documents(rows, status="sent")
    url = reverse("connect:section", args=[s.dossier.public_id, "invoices"]) + "?tab=sent"
    return _login(s.client_user), url


def review(rows: int) -> tuple[Client, str]:
    s = Setup()
    s.documents(rows, status="sent", recognition=Recognition.REVIEW, recognized={"confidence": 0.5})
    return _login(s.accountant), reverse("connect:review_queue")


def hub(rows: int) -> tuple[Client, str]:
    s = Setup()
    for dossier in DossierFactory.create_batch(rows, firm=s.firm, accountant=s.accountant):
        grant(s.accountant, dossier, "connect.accountant", "view.user")
    return _login(s.accountant), reverse("portal:hub")


def users(rows: int) -> tuple[Client, str]:
    s = Setup()
    for _ in range(rows):
        grant(MembershipFactory(firm=s.firm).user, s.dossier, "view.user")
    return _login(s.admin), reverse("portal:users", args=[s.firm.public_id])


def dossiers(rows: int) -> tuple[Client, str]:
    s = Setup()
    DossierFactory.create_batch(rows, firm=s.firm, accountant=s.admin)
    return _login(s.admin), reverse("portal:firm", args=[s.firm.public_id])


def tasks(rows: int, name: str = "connect:tasks") -> tuple[Client, str]:
    s = Setup()
    month = timezone.localdate().replace(day=1)
    Task.objects.bulk_create(
        Task(
            dossier=s.dossier,
            title=f"Task {i}",
            due_date=month + timedelta(days=i % 28),
            assignee=s.accountant if i % 2 else None,
            status=TaskStatus.DONE if i % 3 else TaskStatus.OPEN,
        )
        for i in range(rows)
    )
    url = reverse(name, args=[s.dossier.public_id]) + f"?month={month:%Y-%m}&status=all"
    return _login(s.client_user), url


def calendar(rows: int) -> tuple[Client, str]:
    return tasks(rows, "connect:task_calendar")


def requests(rows: int) -> tuple[Client, str]:
    s = Setup()
    DocumentRequest.objects.bulk_create(
        DocumentRequest(
            dossier=s.dossier,
            description=f"request {i}",
            due_date=timezone.localdate() + timedelta(i),
        )
        for i in range(rows)
    )
    return _login(s.client_user), reverse("connect:request_list", args=[s.dossier.public_id])


def _threads(s: Setup, rows: int) -> None:
    now = timezone.now()
    threads = Thread.objects.bulk_create(
        Thread(
            dossier=s.dossier,
            subject=f"Subject {i}",
            created_by=s.accountant,
            last_message_at=now - timedelta(minutes=i),
        )
        for i in range(rows)
    )
    Message.objects.bulk_create(
        Message(thread=thread, author=s.accountant, body="Bonjour") for thread in threads
    )
    ThreadRead.objects.bulk_create(
        ThreadRead(thread=thread, user=s.client_user, read_at=now - timedelta(days=1))
        for thread in threads[::2]
    )


def threads(rows: int) -> tuple[Client, str]:
    s = Setup()
    _threads(s, rows)
    return _login(s.client_user), reverse("connect:threads", args=[s.dossier.public_id])


def messages_inbox(rows: int) -> tuple[Client, str]:
    s = Setup()
    _threads(s, rows)
    return _login(s.client_user), reverse("connect:inbox_messages")


def payments(rows: int) -> tuple[Client, str]:
    from connect.payments.accounts import paying_account_add

    s = Setup()
    paying_account_add(actor=s.client_user, dossier=s.dossier, name="Client", iban=IBAN)
    s.documents(
        rows,
        status="sent",
        amount=Decimal("121.00"),
        recognized={"supplier_name": "Fournisseur", "iban": IBAN},
    )
    return _login(s.client_user), reverse("connect:payments", args=[s.dossier.public_id])


def firm_dashboard(rows: int) -> tuple[Client, str]:
    s = Setup()
    for dossier in DossierFactory.create_batch(rows, firm=s.firm, accountant=s.accountant):
        grant(s.accountant, dossier, "connect.accountant")
        s.documents(3, dossier=dossier, status="sent", ready_at=timezone.now())
    return _login(s.accountant), reverse("portal:view_firm")


def reads(rows: int) -> tuple[Client, str]:
    """The audit list of reads: ``rows`` documents, each downloaded once by the accountant
    through the web download, which records the read."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    s = Setup()
    client = _login(s.accountant)
    for document in s.documents(rows, status="sent"):
        default_storage.save(document.storage_name, ContentFile(b"%PDF-1.4 bench"))
        response = client.get(reverse("connect:download", args=[document.public_id]))
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
    if s.dossier.documents.filter(reads__isnull=False).count() < rows:
        raise RuntimeError("downloads were not recorded as reads")
    return client, reverse("portal:dossier_reads", args=[s.dossier.public_id])


def api_new(rows: int) -> tuple[Client, str]:
    from users.services import api_token_create

    s = Setup()
    s.documents(rows, status="sent", ready_at=timezone.now())
    _token, raw = api_token_create(actor=s.accountant, name="queries")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client, reverse("api:dossier_documents", args=[s.dossier.public_id]) + "?status=new"


#: The hub lists tools, not the dossiers behind them: its length does not grow with them.
SHOWS_NO_ROWS = {hub}

PAGES: list[tuple[str, Callable[[int], tuple[Client, str]]]] = [
    ("inbox (accountant)", inbox),
    ("desk (client, invoices)", desk),
    ("sent tab (client)", sent_tab),
    ("review queue", review),
    ("hub", hub),
    ("users (portal)", users),
    ("dossiers (portal firm)", dossiers),
    ("tasks", tasks),
    ("task calendar", calendar),
    ("document requests", requests),
    ("message threads", threads),
    ("messages inbox", messages_inbox),
    ("payments", payments),
    ("firm dashboard", firm_dashboard),
    ("reads audit list", reads),
    ("API new documents", api_new),
]


def _count(build: Callable[[int], tuple[Client, str]], rows: int) -> tuple[int, int]:
    """Queries of the third request, and the length of its body."""
    client, url = build(rows)
    for _ in range(2):
        status = client.get(url).status_code
        if status != HTTPStatus.OK:
            raise RuntimeError(f"{url} answered {status}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return len(queries), len(response.content)


def measure() -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-queries-") as media,
        override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"], MEDIA_ROOT=media),
    ):
        for name, build in PAGES:
            try:
                (few, few_bytes), (many, many_bytes) = _count(build, FEW), _count(build, MANY)
                if build not in SHOWS_NO_ROWS and many_bytes < few_bytes + 1000:
                    # The page did not list the rows made for it: the count would prove nothing.
                    raise RuntimeError(f"the {MANY} rows are not on the page")
                results.append({"page": name, "few": few, "many": many})
            except Exception as error:  # one broken page does not stop the bench
                results.append({"page": name, "error": f"{type(error).__name__}: {error}"})
    return results
