"""`make bench`: growth curves (issue 18, part 5). How the cost of a page grows with the data
behind it, one run, ratios printed beside the bars of issue 18.

- **Documents** (``POINTS``: 1,000, 10,000 and 100,000; 1,000, 5,000 and 20,000 with
  ``BENCH_QUICK``; ``BENCH_CURVE_POINTS=1000,10000`` to choose): one dossier of a firm of its
  own, grown from one point to the next, measured at each: the accountant's inbox, the
  client's desk (invoices), the dossier dashboard of View (as its client sees it) and the
  accountant's firm dashboard, in requests per second.
- **Dossiers** (10, then 200): the firm dashboard of an accountant whose dossiers each hold
  documents waiting in every group, some of them quiet.

Every document is made by ``seed_view_documents``, the one place where the bench writes View's
material with ``bulk_create`` (the dossier dashboard of ``bench/run.py`` is the last point of
the curve); whatever must follow a bulk write (derived tables) goes in ``documents_written``,
which it calls, as does every later bulk update of those documents.

``python -m bench.curves`` runs the curves alone in a fresh scratch database
(``BENCH_DATABASE``, as `make bench`).
"""

import os
import random
import time
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus
from typing import Any

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
#: Documents in the measured dossier at each point of the curve.
POINTS = [
    int(n)
    for n in os.environ.get(
        "BENCH_CURVE_POINTS", "1000,5000,20000" if QUICK else "1000,10000,100000"
    ).split(",")
]
#: A document sent longer ago than this has been retrieved by the firm (the history grows, the
#: backlog does not).
WAITING_DAYS = 14
#: Dossiers of the accountant at each point of the firm dashboard's curve.
DOSSIER_POINTS = (10, 200)
#: Documents in each of those dossiers, and how many of them still wait for the firm.
DOCUMENTS_PER_DOSSIER = 100
WAITING_PER_DOSSIER = 6
REQUESTS = int(os.environ.get("BENCH_CURVE_REQUESTS", "20" if QUICK else "40"))
WARM_UP = 3
#: Rounds of each measure, the best kept.
ROUNDS = 3
BATCH = 5000

#: The pages of the documents curve, in the order printed.
PAGES = ("inbox", "desk", "dossier dashboard", "firm dashboard")

#: Bars of issue 18 ("Done when").
DASHBOARD_MIN_RPS = 20.0
MAX_SLOWDOWN = 2.0


def _view_document(dossier: Any, i: int, rng: random.Random, now: Any) -> Any:
    """Document number ``i`` of the dossier: invoice facts (purchases, sales, credit notes, UBL
    VAT breakdowns), several channels and statuses, sent over the last 500 days; one in 100 is
    still a draft on the client's desk, and only those sent in the last ``WAITING_DAYS`` days
    may still wait for the firm."""
    from connect.models import Document

    sent = now - timedelta(hours=rng.randint(1, 24 * 500))
    total = Decimal(rng.randint(1000, 500000)) / 100
    vat = (total * Decimal("0.21") / Decimal("1.21")).quantize(Decimal("0.01"))
    facts: dict[str, Any] = {
        "supplier_name": f"Fournisseur {rng.randint(1, 300)}",
        "issue_date": sent.date().isoformat(),
        "total_incl_vat": str(total),
        "total_vat": str(vat),
        "total_excl_vat": str(total - vat),
        "payable_amount": str(total),
        "currency": "EUR",
    }
    source = rng.choice(("web", "email", "api", "peppol"))
    if source == "peppol":
        facts["source"] = "ubl"
        facts["vat_breakdown"] = [
            {
                "category": "S",
                "percent": "21",
                "taxable_amount": str(total - vat),
                "tax_amount": str(vat),
            }
        ]
    status = "draft" if rng.random() < 0.01 else rng.choice(_STATUSES)
    if status == "sent" and sent < now - timedelta(days=WAITING_DAYS):
        status = "retrieved"  # the firm keeps up: only recent documents still wait
    sent_at = None if status == "draft" else sent
    return Document(
        firm_id=dossier.firm_id,
        dossier=dossier,
        filename=f"view-{i}.pdf",
        storage_name=f"viewbench/{dossier.pk}/{i}.pdf",
        content_type="application/pdf",
        size=1000,
        sha256=f"{dossier.pk:016x}{i:048x}",
        source=source,
        status=status,
        category=rng.choice(_CATEGORIES),
        sent_at=sent_at,
        ready_at=sent_at,
        retrieved_at=sent + timedelta(hours=rng.randint(1, 200))
        if status in ("retrieved", "booked")
        else None,
        booked_at=sent + timedelta(days=rng.randint(1, 40)) if status == "booked" else None,
        due_date=(sent + timedelta(days=30)).date(),
        amount=total,
        paid=rng.random() < 0.6,
        recognized=facts,
    )


_CATEGORIES = ("purchase_invoice",) * 5 + ("sales_invoice",) * 3 + ("credit_note", "expense")
_STATUSES = ("sent", "retrieved", "booked", "booked", "booked")


def seed_view_documents(dossier: Any, count: int, *, start: int = 0, seed: int = 11) -> None:
    """Add ``count`` documents to ``dossier`` (numbered from ``start``, so that a dossier grows
    by calls), written with ``bulk_create`` in batches. The one function that seeds View's
    bench documents: what must follow a bulk insert goes at its end."""
    from django.utils import timezone

    from connect.models import Document

    rng = random.Random(seed * 1_000_003 + start)
    now = timezone.now()
    batch = []
    for i in range(start, start + count):
        batch.append(_view_document(dossier, i, rng, now))
        if len(batch) == BATCH:
            Document.objects.bulk_create(batch)
            _vacuum()
            batch = []
    if batch:
        Document.objects.bulk_create(batch)
    _vacuum()
    documents_written([dossier.pk])


def _vacuum() -> None:
    """Each batch rewrites its months' summaries: their dead rows go, as autovacuum's would."""
    from bench.run import vacuum

    vacuum("connect_monthsummary")


def documents_written(dossier_ids: list[int]) -> None:
    """What must follow a bulk insert or a bulk update of bench documents, which no service
    sees: called by ``seed_view_documents`` and after every later change the bench makes to
    its documents. View's monthly summaries need nothing here: ``bulk_create`` and
    ``update()`` keep them (``connect.models.figures``), as in production; the check says so
    for the dossiers written."""
    from view.summaries import differences

    if differences(dossier_ids):
        raise RuntimeError(f"View's summaries of {dossier_ids} differ from their documents")


# --- measuring ------------------------------------------------------------------------------


def throughput(
    client: Any, url: str, requests: int = REQUESTS, budget: float = 15.0, rounds: int = ROUNDS
) -> float:
    """Requests per second of ``url`` after a warm-up, each answered 200: the best of
    ``rounds`` rounds of ``requests / rounds`` requests (the machine may be shared: a round
    slowed by another process is not the page's cost), each round cut after ``budget /
    rounds`` seconds (a page of 2 s is measured in 15 s, not 80) but never under ``WARM_UP``
    requests."""
    for _ in range(WARM_UP):
        status = client.get(url).status_code
        if status != HTTPStatus.OK:
            raise RuntimeError(f"{url} answered {status}")
    best = 0.0
    for _ in range(rounds):
        done = 0
        start = time.perf_counter()
        while done < max(requests // rounds, 1) and (
            done < WARM_UP or time.perf_counter() - start < budget / rounds
        ):
            client.get(url)
            done += 1
        best = max(best, done / (time.perf_counter() - start))
    return best


def _analyze() -> None:
    from bench.run import analyze

    analyze()


def _logged_in(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _urls(dossier: Any) -> dict[str, str]:
    from django.urls import reverse

    return {
        "inbox": reverse("connect:inbox"),
        "desk": reverse("connect:section", args=[dossier.public_id, "invoices"]) + "?tab=desk",
        "dossier dashboard": reverse("portal:view_dossier", args=[dossier.public_id]),
        "firm dashboard": reverse("portal:view_firm"),
    }


def measure_documents(
    points: Iterable[int] = POINTS,
) -> tuple[dict[int, dict[str, float]], dict[str, Any]]:
    """The four pages at each point: ``{documents: {page: req/s}}``. The accountant (power user
    of a firm of its own) opens the inbox and the firm dashboard, the dossier's client (View
    user) the desk and the dossier dashboard. Second, the dossier dashboard at the last point
    as bench/dashboard.py measures it (its time, its queries, its slowest query)."""
    from django.test.utils import override_settings

    from bench import dashboard
    from dossiers.models import FirmLevel
    from tests.factories import DossierFactory, FirmFactory, MembershipFactory, UserFactory, grant

    firm: Any = FirmFactory(name="Curves")
    accountant: Any = MembershipFactory(firm=firm, level=FirmLevel.POWER_USER).user
    dossier: Any = DossierFactory(firm=firm, code="CURVE", accountant=accountant)
    grant(accountant, dossier, "connect.accountant")
    client_user: Any = UserFactory()
    grant(client_user, dossier, "connect.entrepreneur", "view.user")
    urls = _urls(dossier)
    who = {
        "inbox": accountant,
        "desk": client_user,
        "dossier dashboard": client_user,
        "firm dashboard": accountant,
    }
    results: dict[int, dict[str, float]] = {}
    seeded = 0
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        clients = {user.pk: _logged_in(user) for user in (accountant, client_user)}
        for point in sorted(points):
            seed_view_documents(dossier, point - seeded, start=seeded)
            seeded = point
            _analyze()
            results[point] = {page: throughput(clients[who[page].pk], urls[page]) for page in PAGES}
    return results, dashboard.measure(dossier, client_user, requests=5)


def _dossier_with_waiting(firm: Any, number: int) -> Any:
    """A dossier holding ``DOCUMENTS_PER_DOSSIER`` documents of which the newest
    ``WAITING_PER_DOSSIER`` that reached the firm still wait for it, in each group (new, to
    validate, to review; the older ones were retrieved); one in four dossiers is quiet (its
    last upload 90 days ago), one in two asks for validation before processing."""
    from django.db.models import F
    from django.utils import timezone

    from connect.models import ConnectProfile, Document
    from tests.factories import DossierFactory

    dossier: Any = DossierFactory(firm=firm, code=f"F{number:03d}")
    seed_view_documents(dossier, DOCUMENTS_PER_DOSSIER, seed=number)
    # The newest documents that reached the firm wait again; the others were retrieved.
    open_ = Document.objects.filter(dossier=dossier, status__in=("sent", "retrieved"))
    ids = list(open_.order_by("-sent_at", "-id").values_list("id", flat=True))
    waiting, done = ids[:WAITING_PER_DOSSIER], ids[WAITING_PER_DOSSIER:]
    Document.objects.filter(id__in=waiting).update(status="sent", retrieved_at=None)
    Document.objects.filter(id__in=done, status="sent").update(
        status="retrieved", retrieved_at=F("sent_at") + timedelta(days=1)
    )
    Document.objects.filter(id__in=waiting[::3]).update(ready_at=None, recognition="review")
    if number % 2:
        ConnectProfile.objects.update_or_create(dossier=dossier, defaults={"pre_validation": True})
        Document.objects.filter(id__in=waiting[1::3]).update(ready_at=None)
    if number % 4 == 0:
        Document.objects.filter(dossier=dossier).update(
            uploaded_at=timezone.now() - timedelta(days=90)
        )
    documents_written([dossier.pk])
    return dossier


def measure_dossiers(points: Iterable[int] = DOSSIER_POINTS) -> dict[int, float]:
    """The firm dashboard of an accountant of ``n`` dossiers of one firm, for each ``n``:
    ``{n: req/s}``. One accountant per point, each holding the accountant role on the first
    ``n`` dossiers of the same firm; the points measured in turn, the best round kept."""
    from django.test.utils import override_settings
    from django.urls import reverse

    from dossiers.models import FirmLevel
    from tests.factories import FirmFactory, MembershipFactory, grant

    points = sorted(points)
    firm: Any = FirmFactory(name="Curves dossiers")
    dossiers = [_dossier_with_waiting(firm, n) for n in range(points[-1])]
    accountants: dict[int, Any] = {}
    for point in points:
        accountants[point] = MembershipFactory(firm=firm, level=FirmLevel.POWER_USER).user
        for dossier in dossiers[:point]:
            grant(accountants[point], dossier, "connect.accountant")
    _analyze()
    url = reverse("portal:view_firm")
    results = dict.fromkeys(points, 0.0)
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        clients = {point: _logged_in(accountants[point]) for point in points}
        # The points in turn, several times (the best kept): a slow spell of a shared machine
        # falls on both.
        for _ in range(ROUNDS):
            for point in points:
                rate = throughput(clients[point], url, REQUESTS // ROUNDS, rounds=1)
                results[point] = max(results[point], rate)
    return results


# --- reporting ------------------------------------------------------------------------------


def report(documents: dict[int, dict[str, float]], dossiers: dict[int, float]) -> list[str]:
    """The curves as a table (req/s; each point's ratio to the first in brackets)."""
    points = sorted(documents)
    width = max(len(page) for page in PAGES)
    lines = ["growth curves, req/s (ratio to the first point):"]
    lines.append(f"  {'documents':<{width}}" + "".join(f"{p:>18,}" for p in points))
    for page in PAGES:
        first = documents[points[0]][page]
        cells = "".join(
            f"{documents[p][page]:>10.1f} ({documents[p][page] / first:4.2f})" for p in points
        )
        lines.append(f"  {page:<{width}}{cells}")
    few, many = sorted(dossiers)
    lines.append(
        f"  firm dashboard, {few} dossiers {dossiers[few]:.1f} req/s, {many} dossiers "
        f"{dossiers[many]:.1f} req/s (ratio {dossiers[many] / dossiers[few]:.2f})"
    )
    return lines


def summary_rows(
    documents: dict[int, dict[str, float]], dossiers: dict[int, float]
) -> list[tuple[str, str, str, bool]]:
    """The bars of issue 18 on the curves: (what, measured, target, met)."""
    points = sorted(documents)
    first, last = points[0], points[-1]
    board = {p: documents[p]["dossier dashboard"] for p in points}
    few, many = sorted(dossiers)
    return [
        (
            f"dossier dashboard, {last:,} documents",
            f"{board[last]:.1f} req/s",
            f">= {DASHBOARD_MIN_RPS:.0f} req/s",
            board[last] >= DASHBOARD_MIN_RPS,
        ),
        (
            f"dossier dashboard, {last:,} / {first:,} documents",
            f"{board[last] / board[first]:.2f}",
            f">= {1 / MAX_SLOWDOWN:.2f}",
            board[last] / board[first] >= 1 / MAX_SLOWDOWN,
        ),
        (
            f"firm dashboard, {many} / {few} dossiers",
            f"{dossiers[many] / dossiers[few]:.2f} ({dossiers[many]:.0f} / {dossiers[few]:.0f})",
            f">= {1 / MAX_SLOWDOWN:.2f}",
            dossiers[many] / dossiers[few] >= 1 / MAX_SLOWDOWN,
        ),
    ]


def measure() -> dict[str, Any]:
    """Both curves, their table and their rows for the summary of `make bench`."""
    started = time.perf_counter()
    documents, last = measure_documents()
    dossiers = measure_dossiers()
    lines = report(documents, dossiers)
    lines.append(
        f"  dossier dashboard at {max(documents):,} documents: {last['dashboard_ms']:.0f} ms a "
        f"page, {last['dashboard_queries']} queries, the slowest "
        f"{last['dashboard_slowest_query_ms']:.0f} ms"
    )
    lines.append(f"  (curves seeded and measured in {time.perf_counter() - started:.0f} s)")
    return {
        "documents": documents,
        "dossiers": dossiers,
        "lines": lines,
        "rows": summary_rows(documents, dossiers),
    }


def main() -> None:
    """The curves alone, in a fresh scratch database, as the application role (a Redis of
    their own for the cache, as `make bench`)."""
    from bench.private_redis import private_redis

    if os.environ.get("TEST_REDIS_URL"):
        _alone()
    else:
        with private_redis(fallback="redis://127.0.0.1:6379/12") as url:
            os.environ["TEST_REDIS_URL"] = url
            _alone()


def _alone() -> None:
    from bench import run

    run.setup_django()
    run.fresh_database()
    run.act_as_app_role()
    results = measure()
    print("\n".join(results["lines"]))
    for what, measured, target, met in results["rows"]:
        print(f"  {what}: {measured} (bar {target}): {'pass' if met else 'MISS'}")


if __name__ == "__main__":
    main()
