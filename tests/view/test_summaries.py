"""View's monthly summaries (issue 18, part 1): after any sequence of sends, corrections,
bookings, rejections, payments, duplicates and deletions, written through the services and the
ORM as the portal writes them, the summaries equal a read of the documents (``differences``),
and every report read from them equals the report read from the documents, for whole months
and for a period that cuts months. A write rolled back leaves them as they were; the check
command finds a tampered month and the rebuild repairs it."""

import itertools
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connect.documents.services.accountant import document_book, document_reject
from connect.documents.services.review import document_correct_facts, document_retrieved
from connect.models import Document, MonthSummary
from core.errors import ServiceError
from dossiers.models import Dossier
from tests.factories import DossierFactory, FirmFactory, UserFactory, grant
from view.dossier_dashboard import READS, dashboard_for
from view.period import Period
from view.queries.document_flow import documents, waiting
from view.queries.purchases_sales import purchases_sales
from view.queries.top_suppliers import top_suppliers
from view.queries.unpaid import unpaid
from view.queries.vat import vat
from view.reports import REPORTS
from view.summaries import differences, groups_for, rebuild

BRUSSELS = ZoneInfo("Europe/Brussels")
YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))
CUT = Period(date(2026, 2, 10), date(2026, 11, 20))  # cuts February and November
_numbers = itertools.count(1)

FULL_SCAN = {
    "purchases_sales": purchases_sales,
    "top_suppliers": top_suppliers,
    "unpaid": unpaid,
    "vat": vat,
    "documents": documents,
    "waiting": waiting,
}


def from_summaries(dossier: Dossier, period: Period) -> dict[str, list]:
    families = {READS[key][0] for key in FULL_SCAN}
    groups = groups_for(dossier.pk, period, families)
    return {key: READS[key][1](groups, period) for key in FULL_SCAN}


def from_documents(dossier: Dossier, period: Period) -> dict[str, list]:
    return {key: read(dossier, period) for key, read in FULL_SCAN.items()}


def facts(issue: date | None, total: Decimal, currency: str, supplier: int, ubl: bool) -> dict:
    vat_amount = (total * Decimal("0.21") / Decimal("1.21")).quantize(Decimal("0.01"))
    found = {
        "supplier_name": f"Fournisseur {supplier}" if supplier else None,
        "supplier_vat": "BE0123456749" if supplier == 1 else None,
        "issue_date": issue.isoformat() if issue else None,
        "total_incl_vat": str(total),
        "total_vat": str(vat_amount),
        "total_excl_vat": str(total - vat_amount),
        "payable_amount": str(total),
        "currency": currency,
        "due_date": (issue + timedelta(days=30)).isoformat() if issue else None,
        "confidences": {"supplier_name": "0.80"},
    }
    if ubl:
        found["vat_breakdown"] = [
            {
                "category": "S",
                "percent": "21.00" if supplier % 2 else "21",
                "taxable_amount": str(total - vat_amount),
                "tax_amount": str(vat_amount),
            }
        ]
    return found


days = st.dates(min_value=date(2025, 12, 20), max_value=date(2027, 1, 10))
adds = st.tuples(
    st.just("add"),
    st.sampled_from(["purchase_invoice", "sales_invoice", "credit_note", "expense", "other"]),
    st.sampled_from(["web", "email", "peppol", "shared"]),
    st.sampled_from(["draft", "sent", "sent", "retrieved", "booked"]),
    days,  # sent
    st.one_of(st.none(), days),  # invoice date
    st.decimals(min_value=Decimal("-50"), max_value=Decimal("5000"), places=2),
    st.sampled_from(["EUR", "EUR", "USD"]),
    st.integers(min_value=0, max_value=3),  # supplier
    st.booleans(),  # UBL breakdown
    st.integers(min_value=0, max_value=24 * 60),  # hours until taken
)
changes = st.tuples(
    st.sampled_from(
        ["send", "correct", "book", "reject", "retrieve", "pay", "duplicate", "delete", "move"]
    ),
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=0, max_value=30),
    days,
    st.decimals(min_value=Decimal("1"), max_value=Decimal("900"), places=2),
)


@pytest.fixture
def cast(db):
    firm = FirmFactory()
    dossier = DossierFactory(firm=firm)
    accountant = UserFactory()
    grant(accountant, dossier, "connect.accountant")
    return dossier, accountant


def moment(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BRUSSELS)


def add(dossier: Dossier, step: tuple) -> None:
    _, category, source, status, sent, issue, total, currency, supplier, ubl, hours = step
    number = next(_numbers)
    sent_at = None if status == "draft" else moment(sent)
    taken = sent_at + timedelta(hours=hours) if sent_at and status != "sent" else None
    Document.objects.create(
        firm=dossier.firm,
        dossier=dossier,
        filename=f"sum-{number}.pdf",
        storage_name=f"summaries/{number}.pdf",
        content_type="application/pdf",
        size=1000 + number,
        sha256=f"{number:064x}",
        source=source,
        status=status,
        category=category,
        sent_at=sent_at,
        ready_at=sent_at,
        retrieved_at=taken,
        booked_at=taken + timedelta(hours=hours) if taken and status == "booked" else None,
        is_ubl=ubl,
        amount=total,
        paid=False,
        recognized=facts(issue, total, currency, supplier, ubl),
    )


def change(dossier: Dossier, accountant, step: tuple) -> None:
    kind, first, second, day, total = step
    ids = list(Document.objects.filter(dossier=dossier).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return
    document = Document.objects.get(pk=ids[first % len(ids)])
    other = ids[second % len(ids)]
    try:
        if kind == "send" and document.status == "draft":
            Document.objects.filter(pk=document.pk).update(status="sent", sent_at=moment(day))
        elif kind == "correct":
            document_correct_facts(
                actor=accountant,
                document=document,
                facts={"issue_date": day.isoformat(), "total_incl_vat": str(total)},
            )
        elif kind == "book":
            document_book(actor=accountant, document=document, booking_number=f"B{first}")
        elif kind == "reject":
            document_reject(actor=accountant, document=document, reason="Illisible")
        elif kind == "retrieve":
            document_retrieved(actor=accountant, document=document)
        elif kind == "pay":
            Document.objects.filter(pk=document.pk).update(paid=True)
        elif kind == "duplicate" and other != document.pk:
            Document.objects.filter(pk=document.pk).update(duplicate_of=other)
        elif kind == "delete":
            document.delete()
        elif kind == "move":
            document.due_date = day
            document.currency = "USD"
            document.save()
    except ServiceError:
        pass  # a state the service refuses: nothing written


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.one_of(adds, adds, changes), min_size=1, max_size=18))
def test_summaries_equal_a_read_of_the_documents_after_any_changes(cast, steps) -> None:
    dossier, accountant = cast
    with transaction.atomic():
        for step in steps:
            if step[0] == "add":
                add(dossier, step)
            else:
                change(dossier, accountant, step)
        assert differences([dossier.pk]) == []
        for period in (YEAR, CUT):
            assert from_summaries(dossier, period) == from_documents(dossier, period)
        transaction.set_rollback(True)  # the next example starts from an empty dossier


def some(dossier: Dossier, count: int, month: int = 3) -> None:
    for index in range(count):
        add(
            dossier,
            (
                "add",
                "purchase_invoice",
                "web",
                "booked",
                date(2026, month, 1 + index % 28),
                date(2026, month, 1 + index % 28),
                Decimal("121.00"),
                "EUR",
                index % 3,
                bool(index % 2),
                5,
            ),
        )


def stored(dossier: Dossier) -> list[str]:
    rows = MonthSummary.objects.filter(dossier=dossier).values_list("month", "report", "row")
    return sorted(
        json.dumps([str(month), report, row], sort_keys=True) for month, report, row in rows
    )


def test_a_write_rolled_back_leaves_the_summaries_as_they_were(cast) -> None:
    dossier, _accountant = cast
    some(dossier, 2)
    before = stored(dossier)
    assert before
    with pytest.raises(RuntimeError), transaction.atomic():
        some(dossier, 3, month=5)
        Document.objects.filter(dossier=dossier).update(paid=True)
        raise RuntimeError
    after = stored(dossier)
    assert after == before


def test_a_write_that_moves_no_figure_does_not_touch_the_summaries(cast) -> None:
    dossier, _accountant = cast
    some(dossier, 1)
    document = Document.objects.get(dossier=dossier)
    with CaptureQueriesContext(connection) as queries:
        Document.objects.filter(pk=document.pk).update(page_count=2)
        document.thumbnail_name = "thumb.png"
        document.save(update_fields=["thumbnail_name"])
    assert len(queries) == 2
    assert not any("monthsummary" in query["sql"] for query in queries.captured_queries)


def test_the_dashboard_reads_its_summaries_in_one_query_whatever_the_documents(cast) -> None:
    dossier, _accountant = cast
    viewer = UserFactory()
    grant(viewer, dossier, "view.user")
    counts = []
    for more in (2, 40):
        some(dossier, more)
        with CaptureQueriesContext(connection) as queries:
            reports = dashboard_for(actor=viewer, dossier=dossier, period=YEAR)
        assert [data.key for data in reports] == [report.key for report in REPORTS]
        counts.append(len(queries))
        assert not any("connect_document" in q["sql"] for q in queries.captured_queries)
    assert counts[0] == counts[1] == 4  # two for the switches, two for the summaries


def test_the_check_finds_a_tampered_month_and_the_rebuild_repairs_it(cast) -> None:
    dossier, _accountant = cast
    some(dossier, 4)
    call_command("summaries_check", stdout=StringIO())
    row = MonthSummary.objects.filter(dossier=dossier, report="purchases_sales").first()
    row.row = {**row.row, "purchases": "1.00"}
    row.save()
    MonthSummary.objects.filter(dossier=dossier, report="flow").delete()
    out = StringIO()
    with pytest.raises(CommandError, match="2 summaries differ"):
        call_command("summaries_check", "--dossier", dossier.code, stdout=out)
    assert f"{dossier.code} 2026-03 purchases_sales" in out.getvalue()
    assert f"{dossier.code} 2026-03 flow" in out.getvalue()
    call_command("summaries_rebuild", "--dossier", dossier.code, stdout=StringIO())
    assert differences([dossier.pk]) == []
    with pytest.raises(CommandError, match="Unknown dossier: NOPE"):
        call_command("summaries_rebuild", "--dossier", "NOPE", stdout=StringIO())


def test_a_bulk_load_around_the_orm_is_repaired_by_the_rebuild(cast) -> None:
    dossier, _accountant = cast
    some(dossier, 3)
    MonthSummary.objects.filter(dossier=dossier).delete()  # as after a raw restore
    assert differences([dossier.pk])
    assert rebuild([dossier.pk]) == 1  # one month holds the three invoices
    assert differences([dossier.pk]) == []


def test_deleting_an_original_counts_its_duplicate_again(cast) -> None:
    """The database clears ``duplicate_of`` of a deleted document's duplicates behind the
    ORM's back: their months are recomputed too."""
    dossier, _accountant = cast
    some(dossier, 1)
    add(
        dossier,
        (
            *("add", "purchase_invoice", "email", "sent", date(2026, 6, 2), date(2026, 6, 2)),
            *(Decimal("80.00"), "EUR", 2, False, 0),
        ),
    )
    original, duplicate = Document.objects.filter(dossier=dossier).order_by("pk")
    Document.objects.filter(pk=duplicate.pk).update(duplicate_of=original)
    assert differences([dossier.pk]) == []
    for remove in (original.delete, Document.objects.filter(pk=duplicate.pk).delete):
        remove()
        assert differences([dossier.pk]) == []
        assert from_summaries(dossier, YEAR) == from_documents(dossier, YEAR)
