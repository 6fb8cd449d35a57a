"""`make bench`: measured ratios from one run (QUALITY.md, Performance), ending with one table
that sets every "Performance" line against its target (pass or MISS).

- inbox throughput (a firm of 100,000 documents, 50 rows, full middleware and auth) against a
  bare 50-row page served by the same process;
- in a database of three firms (200,000, 100,000 and 10,000 documents, interleaved in time:
  `bench/tenants.py`), the keyset lists of the middle firm deep against first: the inbox's
  page 200 and 2,000, the work queue by total, the reads list and the API's new documents;
- the query count of every list page with 2 and with 200 rows (`bench/queries.py`);
- peak memory growth while receiving a 50 MB PDF (measured in a child process);
- a streamed zip of 1,000 documents and a single 50 MB download against `cat`;
- from upload to "ready for retrieval" (Transport) with a warm worker (`bench/ready.py`);
- growth curves (`bench/curves.py`): the inbox, the desk, the dossier dashboard and the firm
  dashboard at 1,000, 10,000 and 100,000 documents, the firm dashboard at 10 and 200 dossiers,
  with the bars of issue 18 in the closing table;
- the recognition bench on the generated invoices and on the real-world
  set of `bench/realworld` (reported, no bar in QUALITY.md; the real-world targets of issue 13
  are printed beside it), and the supplier memory's gain on a supplier's second invoice
  (`bench/memory.py`, reported).

``BENCH_QUICK=1`` runs smaller sizes (firms of 40,000, 20,000 and 2,000 documents: the inbox's
last page, 400, instead of 2,000; curves at 1,000, 5,000 and 20,000 documents; a zip
of 200 files; 30 invoices for recognition; the real-world set as text PDFs only, no scans; 12
pairs for the supplier memory).
``BENCH_STRICT=1`` exits non-zero on a MISS. The bench acts as the application role (row-level
security on) and its worker consumes a private redis-server (``TEST_REDIS_URL`` to use another).
See docs/load.md, docs/recognition-bench.md and docs/recognition-memory.md.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def _size(name: str, full: int, quick: int) -> int:
    return int(os.environ.get(name, quick if QUICK else full))


DOCUMENTS = _size("BENCH_DOCUMENTS", 100_000, 20_000)
REQUESTS = _size("BENCH_REQUESTS", 200, 100)
#: Uploads timed from request to "ready for retrieval".
READY_UPLOADS = _size("BENCH_READY_UPLOADS", 120, 100)
#: 0: each upload waits for the previous one (an idle, warm worker); > 0: an arrival rate.
READY_INTERVAL = float(os.environ.get("BENCH_READY_INTERVAL", "0"))
#: The scratch database, dropped and created again by each run.
DATABASE = os.environ.get("BENCH_DATABASE", "portal_bench")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    os.environ["TEST_DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("API_RATE", "1000000/min")  # the API's rate limit is not measured
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # no line per request on the console
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def fresh_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{DATABASE}"')
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def analyze() -> None:
    """Planner statistics, gathered as the tables' owner (the application role may not)."""
    import psycopg

    with psycopg.connect(
        DATABASE_URL.replace("postgres://", "postgresql://"), autocommit=True
    ) as db:
        db.execute("ANALYZE")


def vacuum(table: str) -> None:
    """What autovacuum does in production for ``table``, now (as the owner). This machine's
    PostgreSQL runs with autovacuum off (a test setting), so the dead rows a bulk seeding
    leaves behind would stay: seeding 100,000 documents in batches rewrites each month's
    summary rows at every batch (111,000 dead rows, 27 MB, for 6,500 live ones), which a
    dashboard then reads past. Called after each batch, as autovacuum would keep up."""
    import psycopg

    with psycopg.connect(
        DATABASE_URL.replace("postgres://", "postgresql://"), autocommit=True
    ) as db:
        db.execute(f'VACUUM "{table}"')


def act_as_app_role() -> str:
    """From here on, this process, its child and the worker act as the application role, so
    that row-level security costs what it costs in production (``BENCH_APP_ROLE``, default
    portal_app; "" to stay the owner). Returns the role."""
    import io

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    role = os.environ.get("BENCH_APP_ROLE", "portal_app")
    if not role:
        return ""
    call_command("db_app_role", role, "--create", stdout=io.StringIO())
    connections.close_all()
    settings.DATABASE_APP_ROLE = role
    os.environ["DATABASE_APP_ROLE"] = role
    return role


def firm_sizes() -> list[int]:
    """The firms seeded (``BENCH_FIRMS``, documents per firm, comma-separated): by default a
    larger neighbour, the firm measured (``BENCH_DOCUMENTS``) and a smaller one."""
    given = os.environ.get("BENCH_FIRMS", "")
    if given:
        return [int(size) for size in given.split(",")]
    return [2 * DOCUMENTS, DOCUMENTS, DOCUMENTS // 10]


def populate() -> Any:
    """Several firms in one database (bench/tenants.py); the middle one, "Bench", is measured."""
    from bench import tenants

    firms = tenants.populate(firm_sizes())
    analyze()
    return firms[len(firms) // 2]


def throughput(client, url: str, requests: int) -> float:
    for _ in range(10):
        status = client.get(url).status_code
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
    start = time.perf_counter()
    for _ in range(requests):
        client.get(url)
    return requests / (time.perf_counter() - start)


def measure_pages(bench_firm) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from bench import tenants

    results = {}
    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(bench_firm.accountant)
        results["reference_rps"] = throughput(client, "/bench/reference/", REQUESTS)
        results["inbox_rps"] = throughput(client, "/connect/inbox/", REQUESTS)
        with CaptureQueriesContext(connection) as queries:
            client.get("/connect/inbox/")
        results["inbox_queries"] = len(queries)
    for name, plan in tenants.plans(bench_firm).items():
        print(f"plan of {name} (EXPLAIN ANALYZE, BUFFERS; key lines):")
        print("\n".join(tenants.digest(plan)))
    keyset = tenants.measure(bench_firm, REQUESTS)
    results["keyset"] = keyset
    results["keyset_lines"] = tenants.report(bench_firm, keyset)
    # Each deep page against the same run's page 1 (bench/tenants.py).
    deep = [value for key, value in keyset.items() if key.startswith("inbox_page_")]
    results["deep_pages"] = [(page, rps / keyset["inbox_first"]) for page, rps in deep]
    return results


CHILD = r"""
import os, sys, threading, time, tracemalloc
sys.path.insert(0, {root!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
os.environ["TEST_DATABASE_URL"] = {database_url!r}
os.environ["MEDIA_ROOT"] = {media!r}
# Only the receive step is measured: processing is left queued (on the bench's Redis db, which
# no worker consumes yet and which is emptied before the bench's own worker starts).
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
os.environ["TEST_REDIS_URL"] = {redis_url!r}
import django
django.setup()
from connect.documents.services import document_receive
from dossiers.models import Dossier
from users.models import User
dossier = Dossier.objects.filter(firm__name="Bench").first()
actor = User.objects.filter(dossier_accesses__dossier=dossier).first()

def rss():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
peak = [0]
done = threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.005)
def chunks(path):
    with open(path, "rb") as handle:
        while block := handle.read(1024 * 1024):
            yield block
# Warm up with a small file: the first upload of a process imports modules lazily.
import io
from pypdf import PdfWriter
warm = PdfWriter(); warm.add_blank_page(width=100, height=100); out = io.BytesIO(); warm.write(out)
document_receive(dossier=dossier, actor=actor, filename="warm.pdf", chunks=[out.getvalue()],
                 source="web")
import gc; gc.collect()
before = rss()
sampler = threading.Thread(target=sample, daemon=True); sampler.start()
tracemalloc.start()
try:
    result = document_receive(dossier=dossier, actor=actor, filename="big.pdf",
                              chunks=chunks({path!r}), source="web")
    traced = tracemalloc.get_traced_memory()[1]
finally:
    done.set(); sampler.join()
print(result.document.size, before, peak[0], traced)
"""


def big_pdf(path: Path, size: int) -> None:
    """A valid one-page PDF of ``size`` bytes: the bulk is an unreferenced stream object."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    filler = DecodedStreamObject()
    filler.set_data(b"0123456789abcdef" * ((size - 1200) // 16))
    writer._add_object(filler)
    with path.open("wb") as handle:
        writer.write(handle)


def measure_upload_memory() -> dict:
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "big.pdf"
        big_pdf(path, 50 * 1024 * 1024)
        code = CHILD.format(
            root=str(ROOT),
            media=str(Path(workdir) / "media"),
            path=str(path),
            database_url=DATABASE_URL,
            redis_url=os.environ["TEST_REDIS_URL"],
        )
        output = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.split()
        size, before, peak, traced = (int(v) for v in output[-4:])
    return {
        "upload_size_mb": round(size / 1024 / 1024, 1),
        "upload_peak_growth_mb": round((peak - before) / 1024, 1),
        "upload_python_peak_mb": round(traced / 1024 / 1024, 1),
    }


def _cat_rate(paths: list[str], total: int) -> float:
    """Bytes per second of `cat` over the files, read through a pipe as a client reads a
    download (the files are in the page cache: the second of two runs is measured)."""
    rate = 0.0
    for _ in range(2):
        start = time.perf_counter()
        with subprocess.Popen(["cat", *paths], stdout=subprocess.PIPE) as cat:
            assert cat.stdout is not None  # noqa: S101
            read = 0
            while chunk := cat.stdout.read(256 * 1024):
                read += len(chunk)
        rate = total / (time.perf_counter() - start)
    return rate


def _rss_kb() -> int:
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


ZIP_DOCUMENTS = _size("BENCH_ZIP_DOCUMENTS", 1000, 200)


def measure_downloads(accountant) -> dict:
    """1,000 stored files (100–400 KB each) downloaded through the API as one zip, then one by
    one, against a raw `cat` of the same files; the RSS growth while the zip streams."""
    import random
    import threading

    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone

    from connect.models import Document
    from tests.factories import DossierFactory, grant
    from users.services import api_token_create

    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as media:
        dossier = DossierFactory(firm=accountant.memberships.first().firm, code="ZIPBENCH")
        grant(accountant, dossier, "connect.accountant")
        paths, rows, now = [], [], timezone.now()
        for i in range(ZIP_DOCUMENTS):
            name = f"zipbench/{i}.pdf"
            path = Path(media) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            data = rng.randbytes(rng.randint(100_000, 400_000))
            path.write_bytes(data)
            paths.append(str(path))
            rows.append(
                Document(
                    firm=dossier.firm,
                    dossier=dossier,
                    filename=f"facture-{i}.pdf",
                    storage_name=name,
                    content_type="application/pdf",
                    size=len(data),
                    sha256=f"{i + 10**9:064x}",
                    source="api",
                    status="sent",
                    sent_at=now,
                    ready_at=now,
                )
            )
        Document.objects.bulk_create(rows)
        total = sum(Path(p).stat().st_size for p in paths)
        cat_rate = _cat_rate(paths, total)
        _token, raw = api_token_create(actor=accountant, name="bench")
        with override_settings(MEDIA_ROOT=media, ALLOWED_HOSTS=["testserver"]):
            client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
            url = f"/api/v1/dossiers/{dossier.public_id}/documents.zip"
            client.get(f"/api/v1/documents/{rows[0].public_id}/content")  # warm up
            before = _rss_kb()
            peak = [before]
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], _rss_kb())
                    time.sleep(0.002)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            start = time.perf_counter()
            response = client.get(url)
            streamed = sum(len(chunk) for chunk in response.streaming_content)
            zip_seconds = time.perf_counter() - start
            done.set()
            sampler.join()
            zip_peak = (peak[0] - before) * 1024
            if streamed != int(response["Content-Length"]):
                raise RuntimeError("the zip's size differs from its Content-Length")
            ids = [str(d) for d in dossier.documents.values_list("public_id", flat=True)]
            start = time.perf_counter()
            single = 0
            for document_id in ids:
                answer = client.get(f"/api/v1/documents/{document_id}/content")
                single += sum(len(chunk) for chunk in answer.streaming_content)
            single_seconds = time.perf_counter() - start
            # One large file (50 MB) against `cat` of that file.
            big = Path(media) / "zipbench/big.pdf"
            big.write_bytes(rng.randbytes(50 * 1024 * 1024))
            large = Document.objects.create(
                firm=dossier.firm,
                dossier=dossier,
                filename="big.pdf",
                storage_name="zipbench/big.pdf",
                content_type="application/pdf",
                size=big.stat().st_size,
                sha256="f" * 64,
                source="api",
                status="sent",
                sent_at=now,
                ready_at=now,
            )
            large_cat = _cat_rate([str(big)], large.size)
            large_rate = 0.0
            for _ in range(2):
                start = time.perf_counter()
                answer = client.get(f"/api/v1/documents/{large.public_id}/content")
                if answer.status_code != 200:
                    raise RuntimeError(f"download answered {answer.status_code}")
                got = sum(len(chunk) for chunk in answer.streaming_content)
                large_rate = got / (time.perf_counter() - start)
        return {
            "large_mb_s": round(large_rate / 1024 / 1024, 1),
            "large_cat_mb_s": round(large_cat / 1024 / 1024, 1),
            "large_ratio": round(large_rate / large_cat, 2),
            "files_per_s": round(len(ids) / single_seconds, 1),
            "files": ZIP_DOCUMENTS,
            "total_mb": round(total / 1024 / 1024, 1),
            "cat_mb_s": round(cat_rate / 1024 / 1024, 1),
            "zip_mb_s": round(streamed / zip_seconds / 1024 / 1024, 1),
            "zip_ratio": round(streamed / zip_seconds / cat_rate, 2),
            "zip_rss_growth_mb": round(zip_peak / 1024 / 1024, 1),
            "single_mb_s": round(single / single_seconds / 1024 / 1024, 1),
            "single_ratio": round(single / single_seconds / cat_rate, 2),
        }


def measure_dashboards(accountant) -> dict:
    """View and the pages around it as data grows (bench/curves.py): the inbox, the desk, the
    dossier dashboard and the firm dashboard at 1,000, 10,000 and 100,000 documents in one
    dossier, the firm dashboard at 10 and 200 dossiers; and the firm dashboard of the "Bench"
    firm's accountant (20 dossiers sharing the firm's documents)."""
    from bench import curves, firm_dashboard

    return {"curves": curves.measure()} | firm_dashboard.measure(accountant)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.private_redis import private_redis

    if os.environ.get("TEST_REDIS_URL"):
        bench()
    else:
        # The bench's worker consumes a Redis of its own (test runs empty theirs).
        with private_redis(fallback="redis://127.0.0.1:6379/12") as url:
            os.environ["TEST_REDIS_URL"] = url
            bench()


def bench() -> None:
    setup_django()
    fresh_database()
    role = act_as_app_role()
    print(f"acting as {role} (row-level security)" if role else "acting as the tables' owner")
    started = time.perf_counter()
    bench_firm = populate()
    accountant = bench_firm.accountant
    print(
        f"populated {sum(firm_sizes()):,} documents in {len(firm_sizes())} firms "
        f"({', '.join(format(n, ',') for n in firm_sizes())}) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    pages = measure_pages(bench_firm)
    memory = measure_upload_memory()
    downloads = measure_downloads(accountant)
    ratio = pages["inbox_rps"] / pages["reference_rps"]
    print(f"reference 50-row page      {pages['reference_rps']:8.1f} req/s")
    print(
        f"inbox page 1 (50 rows)     {pages['inbox_rps']:8.1f} req/s   "
        f"ratio {ratio:.2f} (bar: >= 0.60)"
    )
    print(f"inbox queries per request  {pages['inbox_queries']}")
    print(
        f"50 MB upload: RSS growth {memory['upload_peak_growth_mb']} MB, Python heap peak "
        f"{memory['upload_python_peak_mb']} MB, for {memory['upload_size_mb']} MB "
        "(bar: < 10 MB)"
    )

    print(
        f"zip of {downloads['files']} files ({downloads['total_mb']} MB): "
        f"{downloads['zip_mb_s']} MB/s vs cat {downloads['cat_mb_s']} MB/s, ratio "
        f"{downloads['zip_ratio']} (bar: >= 0.15); RSS growth "
        f"{downloads['zip_rss_growth_mb']} MB (bar: < 20 MB)"
    )
    print(
        f"single download of 50 MB: {downloads['large_mb_s']} MB/s vs cat "
        f"{downloads['large_cat_mb_s']} MB/s, ratio {downloads['large_ratio']} (bar: >= 0.50)"
    )
    print(
        f"{downloads['files']} downloads one by one: {downloads['files_per_s']} files/s, "
        f"{downloads['single_mb_s']} MB/s (ratio to cat {downloads['single_ratio']}: per-request "
        "cost, not bandwidth)"
    )
    views = measure_dashboards(accountant)
    print("\n".join(views["curves"]["lines"]))
    print(
        "View, firm dashboard of the Bench firm's accountant: "
        f"{views['firm_dashboard_rps']:.1f} req/s, "
        f"{views['firm_dashboard_queries']} queries per page"
    )
    from bench import queries, ready

    counts = queries.measure()
    latency = ready.measure(READY_UPLOADS, READY_INTERVAL)
    pacing = f"one every {READY_INTERVAL} s" if READY_INTERVAL else "each after the previous one"
    print(
        f"upload -> ready, {latency['ready_count']} uploads, {pacing}: request p50 "
        f"{latency['ready_request_p50']:.3f} s, ready_at p95 {latency['ready_at_p95']:.3f} s, "
        f"processed p50 {latency['ready_processed_p50']:.3f} s / p95 "
        f"{latency['ready_processed_p95']:.3f} s (the worker's task: p50 "
        f"{latency['ready_task_p50']:.3f} s), max {latency['ready_max']:.3f} s"
    )
    if os.environ.get("BENCH_RECOGNITION", "1") != "0":
        if QUICK:
            os.environ.setdefault("BENCH_INVOICES", "30")
        from bench import recognition

        recognition.main()
        realworld()
        if QUICK:
            os.environ.setdefault("BENCH_MEMORY_PAIRS", "12")
        from bench import memory as supplier_memory

        supplier_memory.main()
    rows = summary(pages, counts, memory, downloads, latency)
    rows += [
        (what, measured, target, _verdict(met))
        for what, measured, target, met in views["curves"]["rows"]
    ]
    print_summary(rows)
    if os.environ.get("BENCH_STRICT") == "1" and any(row[3] == "MISS" for row in rows):
        sys.exit(1)


def realworld() -> None:
    """The recognition bench on the real-world set (bench/realworld), text PDFs and scans;
    text PDFs only with BENCH_QUICK. Its targets (issue 13) are printed, not enforced."""
    from bench.realworld import SetError, hybrid
    from bench.realworld.evaluate import main as evaluate

    try:
        metrics = evaluate(["--text-only"] if QUICK else [])
        hybrid.main()
    except SetError as error:
        print(f"real-world recognition set not available: {error}")
        return
    for kind, target in (("text", 0.95), ("scan", 0.85)):
        right = sum(int(row["correct"]) for key, row in metrics[kind].items() if key[0] != "_")
        labelled = sum(int(row["labelled"]) for key, row in metrics[kind].items() if key[0] != "_")
        if labelled:
            share = right / labelled
            print(
                f"real-world facts right, {kind}: {share:.1%} (target >= {target:.0%}): "
                f"{_verdict(share >= target)}"
            )
    confident = metrics["confidence"]["confident"]
    print(
        f"real-world confident facts right: {confident['precision']:.1%} (target >= 97%): "
        f"{_verdict(confident['precision'] >= 0.97)}"
    )


def _verdict(ok: bool) -> str:
    return "pass" if ok else "MISS"


def summary(
    pages: dict, counts: list[dict[str, Any]], memory: dict, downloads: dict, latency: dict
) -> list[tuple[str, str, str, str]]:
    """One row per QUALITY.md "Performance" line: (what, measured, target, pass/MISS)."""
    from bench.queries import MOST

    ratio = pages["inbox_rps"] / pages["reference_rps"]
    rows = [
        (
            "inbox (50 rows) / bare 50-row page",
            f"{ratio:.2f} ({pages['inbox_rps']:.0f} / {pages['reference_rps']:.0f} req/s)",
            ">= 0.60",
            _verdict(ratio >= 0.60),
        ),
    ]
    rows += [
        (
            f"inbox page {page:,} / page 1, {len(firm_sizes())} firms",
            f"{deep:.2f}",
            ">= 0.80",
            _verdict(deep >= 0.80),
        )
        for page, deep in pages["deep_pages"]
    ]
    for count in counts:
        what = f"queries: {count['page']}"
        if "error" in count:
            rows.append((what, count["error"][:60], f"same, <= {MOST}", "MISS"))
        else:
            rows.append(
                (
                    what,
                    f"{count['few']} with 2 rows, {count['many']} with 200",
                    f"same, <= {MOST}",
                    _verdict(count["few"] == count["many"] <= MOST),
                )
            )
    growth = memory["upload_peak_growth_mb"]
    rows += [
        (
            f"{memory['upload_size_mb']:.0f} MB upload: worker RSS growth",
            f"{growth} MB",
            "< 10 MB",
            _verdict(growth < 10),
        ),
        (
            f"zip of {downloads['files']} documents / cat",
            f"{downloads['zip_ratio']:.2f}",
            ">= 0.15",
            _verdict(downloads["zip_ratio"] >= 0.15),
        ),
        (
            "zip: RSS growth",
            f"{downloads['zip_rss_growth_mb']} MB",
            "< 20 MB",
            _verdict(downloads["zip_rss_growth_mb"] < 20),
        ),
        (
            "single download (50 MB) / cat",
            f"{downloads['large_ratio']:.2f}",
            ">= 0.50",
            _verdict(downloads["large_ratio"] >= 0.50),
        ),
        (
            f"upload -> ready and processed, p95 (n={latency['ready_count']})",
            f"{latency['ready_p95']:.2f} s"
            + (f", {latency['ready_not_done']} not done" if latency["ready_not_done"] else ""),
            "< 2 s",
            _verdict(latency["ready_p95"] < 2 and not latency["ready_not_done"]),
        ),
    ]
    return rows


def print_summary(rows: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    print()
    print(f"QUALITY.md, Performance{' (BENCH_QUICK sizes)' if QUICK else ''}:")
    header = ("measure", "measured", "target", "")
    for row in (header, *rows):
        print(f"  {row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")
    missed = sum(row[3] == "MISS" for row in rows)
    print(f"  {len(rows) - missed} of {len(rows)} met" + (f", {missed} MISS" if missed else ""))


if __name__ == "__main__":
    main()
