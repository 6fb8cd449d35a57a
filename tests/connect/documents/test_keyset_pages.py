"""Keyset pages in a shared database (issue 18): every keyset list, paged to its end in a
database that holds another firm's rows at the same positions, with ties on the sort key,
shows each of its rows once, in the order of one unpaged query; and on PostgreSQL a deep
page's position is a row comparison the index scan starts at, in an index that leads with the
tenant (docs/operations.md, "Keyset pages")."""

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connect.documents.queue import (
    SORT_KEYS,
    _ordered,
    queue_neighbours_for,
    queue_order,
    queue_rows_for,
)
from connect.documents.reads import ReadFilters, document_read_page, document_reads_for
from connect.documents.selectors import (
    InboxFilters,
    inbox_documents_for,
    inbox_for,
    supplier_memory_list_for,
)
from connect.models import Document, DocumentRead, SupplierMemory
from dossiers.models import Dossier, Firm
from tests.factories import DossierFactory, grant
from users.models import User
from users.services import api_token_create

#: Three documents share each sent_at (a batch sent together); the other firm's documents
#: are sent at the same instants.
TIE = 3
WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.get_fixed_timezone(60))


def documents(dossier: Dossier, count: int, **fields: Any) -> list[Document]:
    """``count`` open documents, three by three on one sent_at, their facts tied too (the
    work queue's other orders), some names equal but for their case."""
    rows = []
    for i in range(count):
        sent = WHEN - timedelta(minutes=i // TIE)
        values: dict[str, Any] = {
            "filename": ("Facture.pdf", "facture.pdf", f"scan-{i // 5}.pdf")[i % 3],
            "status": ("sent", "validated", "retrieved")[i % 3],
            "recognized": {
                "supplier_name": ("brico", None, "colruyt")[i % 3],
                "invoice_number": f"F{i % 2}",
                "issue_date": f"2026-01-0{1 + i % 2}",
                "total_incl_vat": ("10.00", "damaged", "10.00", "99.5")[i % 4],
                "confidence": ("0.5", "0.9")[i % 2],
            },
        } | fields
        rows.append(
            Document(
                firm=dossier.firm,
                dossier=dossier,
                storage_name=f"keyset/{uuid.uuid4().hex}.pdf",
                content_type="application/pdf",
                size=100,
                sha256=uuid.uuid4().hex * 2,
                source="web",
                sent_at=sent,
                ready_at=sent,
                **values,
            )
        )
    return Document.objects.bulk_create(rows)


@pytest.fixture
def shared(
    firm: Firm, other_firm: Firm, dossier: Dossier, accountant: User, other_dossier: Dossier
) -> list[Document]:
    """The accountant's documents in two dossiers of their firm, among another firm's
    documents sent at the same instants (created in between, so their ids interleave)."""
    second = DossierFactory(firm=firm, code="ALPHA2", accountant=accountant)
    grant(accountant, second, "connect.accountant")
    mine: list[Document] = []
    for _ in range(2):
        mine += documents(dossier, 8)
        documents(other_dossier, 9)
        mine += documents(second, 7)
    return mine


def test_the_inbox_selector_pages_through_ties_without_gaps_or_repeats(
    accountant: User, shared: list[Document]
) -> None:
    seen, cursor = [], ""
    while True:
        page = inbox_for(actor=accountant, filters=InboxFilters(), cursor=cursor, size=4)
        seen += [d.pk for d in page.documents]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    whole = inbox_documents_for(actor=accountant, filters=InboxFilters()).order_by(
        "-sent_at", "-id"
    )
    assert seen == [d.pk for d in whole]
    assert sorted(seen) == sorted(d.pk for d in shared)


ORDERS = [f"{sign}{key}" for key in SORT_KEYS for sign in ("", "-")]


@pytest.mark.parametrize("sort", ORDERS)
def test_every_order_of_the_work_queue_pages_and_steps_through_ties(
    sort: str, accountant: User, firm: Firm, shared: list[Document]
) -> None:
    """Pages, and "next" / "previous" from one document to the other, each in the order of
    one unpaged query; with the actor's firm given, as the pages give it."""
    order = queue_order(sort)
    whole = [
        d.pk for d in _ordered(inbox_documents_for(actor=accountant, filters=InboxFilters()), order)
    ]
    assert sorted(whole) == sorted(d.pk for d in shared)
    seen, cursor = [], ""
    while True:
        page = queue_rows_for(
            actor=accountant,
            filters=InboxFilters(),
            order=order,
            cursor=cursor,
            size=4,
            firm_ids=[firm.pk],
        )
        seen += [row.pk for row in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == whole

    def step(document: Document, way: str) -> Document | None:
        neighbours = queue_neighbours_for(
            actor=accountant,
            filters=InboxFilters(),
            order=order,
            document=document,
            firm_ids=[firm.pk],
        )
        return getattr(neighbours, way)

    by_pk = {d.pk: d for d in shared}
    walked, current = [], by_pk[whole[0]]
    while current is not None:
        walked.append(current.pk)
        current = step(current, "next")
    assert walked == whole
    assert step(by_pk[whole[3]], "previous").pk == whole[2]


def test_the_inbox_page_follows_its_next_links_through_ties_among_another_firms_rows(
    accountant: User,
    dossier: Dossier,
    other_dossier: Dossier,
    auth_client: Callable[[User], Client],
) -> None:
    """The page itself (50 rows, the user's firm from their memberships), to its end."""
    mine = documents(dossier, 70)
    documents(other_dossier, 70)
    mine += documents(dossier, 40)
    client = auth_client(accountant)
    url, seen, sql = reverse("connect:inbox"), [], []
    while url:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        sql += [q["sql"] for q in queries.captured_queries if "LIMIT 51" in q["sql"]]
        seen += re.findall(r'name="documents" value="([0-9a-f-]{36})"', html)
        found = re.search(r'<nav class="pagination"[^>]*><a href="([^"]+)"', html)
        url = reverse("connect:inbox") + found.group(1).replace("&amp;", "&") if found else ""
    expected = Document.objects.filter(pk__in=[d.pk for d in mine]).order_by("-sent_at", "-id")
    assert seen == [str(d.public_id) for d in expected]
    # Each page narrows to the user's firm, and the pages after the first start at a row.
    assert len(sql) == 3
    assert all(f'"connect_document"."firm_id" = {dossier.firm_id}' in q for q in sql)
    assert all('("connect_document"."sent_at", "connect_document"."id") < (' in q for q in sql[1:])


def test_the_reads_list_pages_through_ties_without_gaps_or_repeats(
    licence_admin: User, client_user: User, dossier: Dossier, other_dossier: Dossier
) -> None:
    read = documents(dossier, 4)
    foreign = documents(other_dossier, 4)
    # Three reads at each instant, in each firm.
    rows = [
        DocumentRead(
            document=document,
            dossier=document.dossier,
            document_public_id=document.public_id,
            filename=document.filename,
            actor=client_user,
            actor_email=client_user.email,
            how="download",
            at=WHEN + timedelta(seconds=i // TIE),
        )
        for i in range(30)
        for document in (read[i % 4], foreign[i % 4])
    ]
    DocumentRead.objects.bulk_create(rows)
    seen, cursor = [], ""
    while True:
        page = document_read_page(
            actor=licence_admin, dossier=dossier, filters=ReadFilters(), cursor=cursor, size=4
        )
        seen += [r.pk for r in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    whole = [r.pk for r in document_reads_for(actor=licence_admin, dossier=dossier)]
    assert seen == whole
    assert len(whole) == 30


def test_the_supplier_memory_pages_through_equal_names_without_gaps_or_repeats(
    licence_admin: User, firm: Firm, other_firm: Firm
) -> None:
    for i in range(14):
        for owner in (firm, other_firm):
            SupplierMemory.objects.create(
                firm=owner, key=f"name:supplier {i}", name=("Brico", "Colruyt")[i % 2]
            )
    seen, cursor = [], ""
    while True:
        page = supplier_memory_list_for(actor=licence_admin, cursor=cursor, size=4)
        seen += [m.pk for m in page.memories]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    whole = SupplierMemory.objects.filter(firm=firm).order_by("name", "id")
    assert seen == [m.pk for m in whole]


def test_the_api_lists_page_by_id_among_another_firms_rows(
    accountant: User, firm: Firm, dossier: Dossier, other_dossier: Dossier, monkeypatch
) -> None:
    """The documents of a dossier (``status=new``) and the dossiers, 4 by 4, to their end."""
    monkeypatch.setattr("connect.api.documents.PAGE_SIZE", 4)
    monkeypatch.setattr("connect.api.dossiers.PAGE_SIZE", 4)
    mine: list[Document] = []
    dossiers = [dossier]
    for _ in range(3):
        mine += documents(dossier, 5, status="sent")
        documents(other_dossier, 5, status="sent")
        DossierFactory(firm=other_dossier.firm)
        dossiers.append(DossierFactory(firm=firm, accountant=accountant))
        grant(accountant, dossiers[-1], "connect.accountant")
    _token, raw = api_token_create(actor=accountant, name="keyset")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def walk(url: str) -> list[str]:
        seen: list[str] = []
        while url:
            page = api.get(url.replace("http://testserver", "")).json()
            seen += [item["id"] for item in page["results"]]
            url = page["next"]
        return seen

    listed = walk(f"/api/v1/dossiers/{dossier.public_id}/documents?status=new")
    assert listed == [str(d.public_id) for d in sorted(mine, key=lambda d: d.pk)]
    assert walk("/api/v1/dossiers") == [str(d.public_id) for d in dossiers]


# --- the plans, on PostgreSQL ----------------------------------------------------------------


def _page_sql(run: Callable[[], Any], table: str) -> str:
    """The SQL of the page's query (the one with a LIMIT on ``table``)."""
    with CaptureQueriesContext(connection) as queries:
        run()
    return next(
        q["sql"]
        for q in queries.captured_queries
        if f'FROM "{table}"' in q["sql"] and "LIMIT" in q["sql"]
    )


def _plan(sql: str) -> str:
    """The plan of ``sql`` when scanning in order is all the planner may do (tiny tables
    would be read whole otherwise), inside the test's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_a_deep_inbox_page_starts_at_its_cursor_in_the_firms_index(
    accountant: User, firm: Firm, shared: list[Document]
) -> None:
    order = queue_order("-sent")
    first = queue_rows_for(
        actor=accountant, filters=InboxFilters(), order=order, size=10, firm_ids=[firm.pk]
    )
    assert first.next_cursor

    def deep() -> None:
        queue_rows_for(
            actor=accountant,
            filters=InboxFilters(),
            order=order,
            cursor=first.next_cursor or "",
            size=10,
            firm_ids=[firm.pk],
        )

    sql = _page_sql(deep, "connect_document")
    assert '("connect_document"."sent_at", "connect_document"."id") < (' in sql
    plan = _plan(sql)
    assert "Index Scan using document_inbox_firm on connect_document" in plan, plan
    assert re.search(r"Index Cond: \(\(firm_id = \d+\) AND .*\(ROW\(sent_at, id\) < ROW\(", plan), (
        plan
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_a_deep_page_of_one_dossier_starts_at_its_cursor_in_the_dossiers_index(
    accountant: User, firm: Firm, dossier: Dossier, shared: list[Document]
) -> None:
    order = queue_order("-sent")
    filters = InboxFilters(dossier=dossier)
    first = queue_rows_for(actor=accountant, filters=filters, order=order, size=4)
    sql = _page_sql(
        lambda: queue_rows_for(
            actor=accountant,
            filters=filters,
            order=order,
            cursor=first.next_cursor or "",
            size=4,
            firm_ids=[firm.pk],
        ),
        "connect_document",
    )
    plan = _plan(sql)
    assert "Index Scan using document_inbox_dossier on connect_document" in plan, plan
    assert re.search(
        r"Index Cond: \(\(dossier_id = \d+\) AND .*\(ROW\(sent_at, id\) < ROW\(", plan
    ), plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_a_deep_page_of_the_reads_and_of_the_api_starts_at_its_cursor(
    licence_admin: User,
    accountant: User,
    client_user: User,
    dossier: Dossier,
    shared: list[Document],
    monkeypatch,
) -> None:
    read = shared[:8]
    DocumentRead.objects.bulk_create(
        DocumentRead(
            document=d,
            dossier=d.dossier,
            document_public_id=d.public_id,
            filename=d.filename,
            actor=client_user,
            actor_email=client_user.email,
            how="download",
            at=WHEN,
        )
        for d in read
    )
    first = document_read_page(actor=licence_admin, dossier=dossier, filters=ReadFilters(), size=3)
    sql = _page_sql(
        lambda: document_read_page(
            actor=licence_admin,
            dossier=dossier,
            filters=ReadFilters(),
            cursor=first.next_cursor or "",
            size=3,
        ),
        "connect_documentread",
    )
    assert '("connect_documentread"."at", "connect_documentread"."id") < (' in sql
    plan = _plan(sql)
    assert "Index Scan using document_read_dossier on connect_documentread" in plan, plan
    assert re.search(r"Index Cond: \(\(dossier_id = \d+\) AND \(ROW\(at, id\) < ROW\(", plan), plan

    monkeypatch.setattr("connect.api.documents.PAGE_SIZE", 3)
    _token, raw = api_token_create(actor=accountant, name="plans")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    url = f"/api/v1/dossiers/{dossier.public_id}/documents?status=new"
    deep = api.get(url).json()["next"].replace("http://testserver", "")
    plan = _plan(_page_sql(lambda: api.get(deep), "connect_document"))
    assert "Index Scan using document_new_by_id on connect_document" in plan, plan
    assert re.search(r"Index Cond: \(\(dossier_id = \d+\) AND \(id > \d+\)\)", plan), plan
