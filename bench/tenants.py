"""`make bench`: several firms of different sizes in one database, so that every keyset list
is measured among other tenants' rows (issue 18, part 2).

``populate(sizes)`` seeds one firm per size (``BENCH_FIRMS``, default 2×, 1× and 0.1× of
``BENCH_DOCUMENTS``: 200,000 / 100,000 / 10,000, or 40,000 / 20,000 / 2,000 with
``BENCH_QUICK``), each with its accountant (power user) on 20 dossiers. The firms' documents
are sent over the same span of time, interleaved, in batches of three sharing one ``sent_at``
(ties on the sort key), all open in the inbox and ready for the API (``status=new``); every
document of a firm's first dossier is read once (the reads list). The firm measured is the
middle one ("Bench", ``BENCH_DOCUMENTS``): with 100,000 documents its inbox has a page 2,000.

``measure(firm)`` serves, to that firm's accountant, the inbox's page 1, 200 and 2,000 (or the
last page when there are fewer), the work queue sorted by total at page 1 and at a deep page,
the reads list of a dossier and the API's ``status=new`` list, each first and deep: requests
per second, and the ratio of the deep page to the first.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

#: Documents per dossier of the firms' accountants.
DOSSIERS = 20
#: Documents sent together share their ``sent_at`` (a batch of one send).
TIE = 3
BATCH = 5000


@dataclass
class BenchFirm:
    firm: Any
    accountant: Any
    dossiers: list[Any]
    documents: int


def _firm(name: str, documents: int, rank: int, span: int, now: Any) -> BenchFirm:
    from connect.models import Document, DocumentRead
    from dossiers.models import FirmLevel
    from tests.factories import DossierFactory, FirmFactory, MembershipFactory, grant

    firm = FirmFactory(name=name)
    accountant = MembershipFactory(firm=firm, level=FirmLevel.POWER_USER).user
    dossiers = [DossierFactory(firm=firm, accountant=accountant) for _ in range(DOSSIERS)]
    for dossier in dossiers:
        grant(accountant, dossier, "connect.accountant")
    # Spread over the same ``span`` seconds as every other firm: their rows interleave in the
    # order of sent_at, as a shared database's do.
    step = span / max(documents // TIE, 1)
    batch: list[Document] = []
    reads: list[DocumentRead] = []
    for i in range(documents):
        dossier = dossiers[i % DOSSIERS]
        sent = now - timedelta(seconds=(i // TIE) * step + rank * 0.001)
        batch.append(
            Document(
                firm=firm,
                dossier=dossier,
                filename=f"facture-{i}.pdf",
                storage_name=f"bench/{firm.pk}/{i}.pdf",
                content_type="application/pdf",
                size=1000 + i,
                sha256=uuid.uuid4().hex * 2,
                source="web",
                status="sent",
                sent_at=sent,
                ready_at=sent,
                amount=i % 1000 + 1,
                recognized={"total_incl_vat": f"{(i * 7919) % 100_000 / 100:.2f}"},
            )
        )
        if len(batch) == BATCH:
            reads += _reads(Document.objects.bulk_create(batch), dossiers[0], accountant)
            batch = []
    if batch:
        reads += _reads(Document.objects.bulk_create(batch), dossiers[0], accountant)
    for start in range(0, len(reads), BATCH):
        DocumentRead.objects.bulk_create(reads[start : start + BATCH])
    return BenchFirm(firm=firm, accountant=accountant, dossiers=dossiers, documents=documents)


def _reads(documents: list[Any], dossier: Any, reader: Any) -> list[Any]:
    from connect.models import DocumentRead

    return [
        DocumentRead(
            document=d,
            dossier=dossier,
            document_public_id=d.public_id,
            filename=d.filename,
            actor=reader,
            actor_email=reader.email,
            how="download",
            at=d.sent_at + timedelta(hours=1),
        )
        for d in documents
        if d.dossier_id == dossier.pk
    ]


def populate(sizes: list[int]) -> list[BenchFirm]:
    """One firm per size; the middle one is named "Bench" (the firm the bench measures)."""
    now = timezone.now()
    span = max(sizes) // TIE + 1
    middle = len(sizes) // 2
    names = [
        ("Bench" if rank == middle else f"Bench neighbour {rank + 1}") for rank in range(len(sizes))
    ]
    return [
        _firm(name, size, rank, span, now)
        for rank, (name, size) in enumerate(zip(names, sizes, strict=True))
    ]


def _interleaved(client: Client, urls: list[str], requests: int, rounds: int = 5) -> list[float]:
    """Requests per second of each URL, measured in turns (``rounds`` of ``requests /
    rounds`` each), so that a busy machine slows the first page and the deep ones alike."""
    for url in urls:
        for _ in range(3):
            status = client.get(url).status_code
            if status != 200:
                raise RuntimeError(f"{url} answered {status}")
    spent = [0.0] * len(urls)
    each = max(requests // rounds, 1)
    for _ in range(rounds):
        for i, url in enumerate(urls):
            start = time.perf_counter()
            for _ in range(each):
                client.get(url)
            spent[i] += time.perf_counter() - start
    return [each * rounds / seconds for seconds in spent]


def _deep(rows: Any, page: int) -> tuple[Any, int]:
    """The last row of page ``page - 1`` (the cursor of page ``page``), or of the page before
    the last when the list is shorter; and the page it opens."""
    count = rows.count()
    page = min(page, (count - 1) // 50 + 1)
    return rows[50 * (page - 1) - 1], page


def _check(client: Client, url: str, expected: str) -> None:
    """The deep page shows the row expected first: a cursor that did not decode would serve
    page 1 and measure nothing."""
    body = client.get(url).content.decode()
    if expected not in body:
        raise RuntimeError(f"{url} does not show {expected}: the cursor was not followed")


def measure(bench: BenchFirm, requests: int, deep_pages: tuple[int, ...] = (200, 2000)) -> dict:
    """Requests per second of each list's first page and deep pages, for ``bench``'s
    accountant (web pages) and an API token of theirs."""
    from connect.documents.queue import _cursor_encode, queue_order
    from connect.models import Document, DocumentRead
    from core.pagination import id_cursor_encode, time_cursor_encode
    from users.services import api_token_create

    results: dict[str, Any] = {}
    documents = Document.objects.filter(firm=bench.firm)
    inbox = reverse("connect:inbox")
    by_total = queue_order("-total")
    dossier = bench.dossiers[0]
    reads_url = reverse("portal:dossier_reads", args=[dossier.public_id])
    api_url = reverse("api:dossier_documents", args=[dossier.public_id]) + "?status=new"
    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(bench.accountant)
        newest = documents.order_by("-sent_at", "-id")
        urls, pages = [inbox], []
        for wanted in deep_pages:
            row, page = _deep(newest, wanted)
            url = f"{inbox}?cursor={_cursor_encode(queue_order('-sent'), row.sent_at, row.pk)}"
            _check(client, url, newest[50 * (page - 1)].filename)
            urls.append(url)
            pages.append(page)
        first, *deep = _interleaved(client, urls, requests)
        results["inbox_first"] = first
        for wanted, page, rps in zip(deep_pages, pages, deep, strict=True):
            results[f"inbox_page_{wanted}"] = (page, rps)
        # The work queue by another column: the key is computed, not indexed (a sort of the
        # firm's open documents), but a deep page costs what the first does. Fewer requests:
        # each sorts the firm's open documents.
        keyed = documents.annotate(queue_key=_total_key()).order_by("-queue_key", "-id")
        row, page = _deep(keyed, deep_pages[0])
        cursor = _cursor_encode(by_total, row.queue_key, row.pk)
        url = f"{inbox}?sort=-total&cursor={cursor}"
        _check(client, url, keyed[50 * (page - 1)].filename)
        first, deep_rps = _interleaved(client, [f"{inbox}?sort=-total", url], requests // 10)
        results["total_first"], results["total_deep"] = first, (page, deep_rps)
        # The reads list of one dossier.
        reads = DocumentRead.objects.filter(dossier=dossier).order_by("-at", "-id")
        row, page = _deep(reads, 10**6)
        url = f"{reads_url}?cursor={time_cursor_encode(row.at, row.pk)}"
        _check(client, url, reads[50 * (page - 1)].filename)
        first, deep_rps = _interleaved(client, [reads_url, url], requests)
        results["reads_first"], results["reads_deep"] = first, (page, deep_rps)
        # The API's list of new documents of one dossier (the desktop tool's retrieval).
        _token, raw = api_token_create(actor=bench.accountant, name="bench tenants")
        api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        new = documents.filter(dossier=dossier).order_by("id")
        row, page = _deep(new, 10**6)
        url = f"{api_url}&cursor={id_cursor_encode(row.pk)}"
        _check(api, url, str(new[50 * (page - 1)].public_id))
        first, deep_rps = _interleaved(api, [api_url, url], requests)
        results["api_first"], results["api_deep"] = first, (page, deep_rps)
    return results


def _total_key() -> Any:
    from connect.documents.queue import SORT_KEYS

    return SORT_KEYS["total"][0]


def report(bench: BenchFirm, results: dict[str, Any]) -> list[tuple[str, float, float]]:
    """Lines of (what, requests per second, ratio to the list's first page), printed."""
    first = results["inbox_first"]
    lines = [("inbox page 1", first, 1.0)]
    for key, value in results.items():
        if key.startswith("inbox_page_"):
            page, rps = value
            lines.append((f"inbox page {page:,}", rps, rps / first))
    for name, label in (("total", "queue by total"), ("reads", "reads list"), ("api", "API new")):
        page, rps = results[f"{name}_deep"]
        lines.append((f"{label} page 1", results[f"{name}_first"], 1.0))
        lines.append((f"{label} page {page:,}", rps, rps / results[f"{name}_first"]))
    print(
        f"keyset lists of firm {bench.firm.name} ({bench.documents:,} documents) "
        "among other firms' rows:"
    )
    for what, rps, ratio in lines:
        print(f"  {what:<28}{rps:8.1f} req/s   ratio to page 1 {ratio:.2f}")
    return lines


def _explain(client: Client, url: str, table: str, actor: Any) -> list[str]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the page's query on ``table`` that has a LIMIT, run
    as the application role in ``actor``'s scope (row-level security as in the request)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core import db_scope

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    sql = next(
        q["sql"]
        for q in queries.captured_queries
        if f'FROM "{table}"' in q["sql"] and "LIMIT" in q["sql"]
    )
    with db_scope.scoped(db_scope.for_user(actor)), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return [row[0] for row in cursor.fetchall()]


def digest(plan: list[str]) -> list[str]:
    """The lines of a plan that tell where a page's rows come from: the top node and its
    buffers, each scan of the list's table, its index condition and the rows it threw away,
    a sort, the time."""
    kept = plan[:2]
    scans = ("on connect_document ", "on connect_documentread ")
    for i, line in enumerate(plan[2:], start=2):
        text = line.strip()
        if any(scan in line for scan in scans) and "Scan" in line:
            kept.append(line)
            nested = plan[i + 1 : i + 4]
            kept += [n for n in nested if n.strip().startswith(("Index Cond", "Rows Removed"))]
        elif text.startswith(("Sort Method", "Execution Time")):
            kept.append(line)
    return kept


def plans(bench: BenchFirm) -> dict[str, list[str]]:
    """The plans of the inbox's page 1, 200 and 2,000 (or the last), of a deep page of the
    work queue by total, of the reads list's last page and of the API's first and last."""
    from connect.documents.queue import _cursor_encode, queue_order
    from connect.models import Document, DocumentRead
    from core.pagination import id_cursor_encode, time_cursor_encode
    from users.services import api_token_create

    documents = Document.objects.filter(firm=bench.firm)
    dossier = bench.dossiers[0]
    inbox = reverse("connect:inbox")
    reads_url = reverse("portal:dossier_reads", args=[dossier.public_id])
    api_url = reverse("api:dossier_documents", args=[dossier.public_id]) + "?status=new"
    found: dict[str, list[str]] = {}
    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(bench.accountant)
        a = bench.accountant
        found["inbox page 1"] = _explain(client, inbox, "connect_document", a)
        for wanted in (200, 2000):
            row, page = _deep(documents.order_by("-sent_at", "-id"), wanted)
            cursor = _cursor_encode(queue_order("-sent"), row.sent_at, row.pk)
            found[f"inbox page {page}"] = _explain(
                client, f"{inbox}?cursor={cursor}", "connect_document", a
            )
        keyed = documents.annotate(queue_key=_total_key()).order_by("-queue_key", "-id")
        row, page = _deep(keyed, 200)
        cursor = _cursor_encode(queue_order("-total"), row.queue_key, row.pk)
        found[f"queue by total page {page}"] = _explain(
            client, f"{inbox}?sort=-total&cursor={cursor}", "connect_document", a
        )
        reads = DocumentRead.objects.filter(dossier=dossier).order_by("-at", "-id")
        row, page = _deep(reads, 10**6)
        found[f"reads page {page}"] = _explain(
            client,
            f"{reads_url}?cursor={time_cursor_encode(row.at, row.pk)}",
            "connect_documentread",
            a,
        )
        _token, raw = api_token_create(actor=a, name="bench plans")
        api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        new = documents.filter(dossier=dossier).order_by("id")
        found["API new page 1"] = _explain(api, api_url, "connect_document", a)
        row, page = _deep(new, 10**6)
        found[f"API new page {page}"] = _explain(
            api, f"{api_url}&cursor={id_cursor_encode(row.pk)}", "connect_document", a
        )
    return found


def main() -> None:
    """``python -m bench.tenants``: this part of `make bench` alone (seed, measure, report).
    ``BENCH_REUSE=1`` measures the database of a previous run again (after ``migrate``)."""
    import os

    from bench import run

    run.setup_django()
    reuse = os.environ.get("BENCH_REUSE") == "1"
    if reuse:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    else:
        run.fresh_database()
    run.act_as_app_role()
    if reuse:
        from connect.models import Document
        from dossiers.models import Firm

        firms = []
        for firm in Firm.objects.filter(name__startswith="Bench").order_by("id"):
            dossiers = list(firm.dossiers.order_by("id")[:DOSSIERS])
            accountant = dossiers[0].accesses.get(role="connect.accountant").user
            count = Document.objects.filter(firm=firm).count()
            firms.append(BenchFirm(firm, accountant, dossiers, count))
    else:
        started = time.perf_counter()
        firms = populate(run.firm_sizes())
        print(f"populated {run.firm_sizes()} in {time.perf_counter() - started:.1f} s")
    run.analyze()
    bench = firms[len(firms) // 2]
    shown = os.environ.get("BENCH_PLANS", "1")
    if shown != "0":
        for name, lines in plans(bench).items():
            print(f"--- {name}")
            print("\n".join(lines if shown == "full" else digest(lines)))
    if os.environ.get("BENCH_MEASURE", "1") == "1":
        report(bench, measure(bench, run.REQUESTS))


if __name__ == "__main__":
    main()
