"""The dossier dashboard of View: every figure checked against documents with known facts.

The rules the figures follow (view/queries/__init__.py says the same):

- only documents that left the client's desk count; drafts never do;
- the money reports (purchases and sales, top suppliers, unpaid, VAT) leave out documents the
  accountant rejected or shared, and duplicates of an earlier document;
- purchases = purchase invoices + expenses + credit notes, a credit note counting NEGATIVE
  (its UBL totals are positive: the amount is subtracted); sales = sales invoices;
- an invoice's amount is its recognised ``total_incl_vat`` (``payable_amount`` first for unpaid
  invoices), else the amount the client typed; its day is its ``issue_date``, else the day it
  was sent; its due date is the client's, else the invoice's;
- VAT: UBL invoices by the lines of their ``vat_breakdown``, other invoices by their
  recognised ``total_excl_vat``/``total_vat`` (no rate), per quarter of the invoice day;
- documents per category/channel and the waiting times use the day of sending.
"""

import csv
import io
import itertools
from datetime import date, datetime
from decimal import Decimal
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from connect.models import Document
from dossiers.models import Dossier, DossierAccess, Firm, FirmMembership
from tests.factories import DossierFactory, UserFactory, grant
from users.models import User
from view.models import ReportSwitch
from view.period import Period
from view.queries.document_flow import (
    SPANS,
    WAIT_EDGES,
    documents,
    percentile,
    wait_span,
    waiting,
)
from view.queries.purchases_sales import purchases_sales
from view.queries.top_suppliers import top_suppliers
from view.queries.unpaid import unpaid
from view.queries.vat import vat
from view.reports import REPORT_KEYS

BRUSSELS = ZoneInfo("Europe/Brussels")
TODAY = datetime(2026, 5, 13, 10, 0, tzinfo=BRUSSELS)  # a Wednesday
PERIOD = Period(date(2026, 1, 1), date(2026, 6, 30))
QUERY = {"from": "2026-01-01", "to": "2026-06-30"}
_numbers = itertools.count(1)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=BRUSSELS)


def make(dossier: Dossier, *, uploaded: str | None = None, **fields: object) -> Document:
    """A document with known facts (no file is needed for the figures)."""
    number = next(_numbers)
    values: dict[str, object] = {
        "firm": dossier.firm,
        "dossier": dossier,
        "filename": f"doc-{number}.pdf",
        "storage_name": f"dashboard/{number}.pdf",
        "content_type": "application/pdf",
        "size": 1000 + number,
        "sha256": f"{number:064x}",
        "source": "web",
        "status": "sent",
    }
    values.update(fields)
    document = Document.objects.create(**values)
    if uploaded:
        Document.objects.filter(pk=document.pk).update(uploaded_at=at(uploaded))
    return document


def ubl(**facts: object) -> dict:
    return {"source": "ubl", "currency": "EUR", **facts}


def line(percent: str, taxable: str, tax: str) -> dict:
    return {"category": "S", "percent": percent, "taxable_amount": taxable, "tax_amount": tax}


@pytest.fixture
def facts(dossier: Dossier, other_dossier: Dossier) -> dict[str, Document]:
    """Documents of ALPHA1 with known facts, plus noise that must never count."""
    meunerie = {"supplier_name": "Meunerie SA", "supplier_vat": "BE0123456749"}
    made = {
        "P1": make(
            dossier,
            source="peppol",
            is_ubl=True,
            status="booked",
            sent_at=at("2026-01-16"),
            retrieved_at=at("2026-01-16", 15),
            booked_at=at("2026-01-20", 9),
            recognized=ubl(
                **meunerie,
                issue_date="2026-01-15",
                due_date="2026-02-14",
                total_excl_vat="100.00",
                total_vat="21.00",
                total_incl_vat="121.00",
                payable_amount="121.00",
                vat_breakdown=[line("21.00", "100.00", "21.00")],
            ),
        ),
        "P2": make(
            dossier,
            status="retrieved",
            paid=True,
            sent_at=at("2026-01-21"),
            retrieved_at=at("2026-01-23"),
            recognized={
                **meunerie,
                "source": "text",
                "issue_date": "2026-01-20",
                "total_excl_vat": "200.00",
                "total_vat": "42.00",
                "total_incl_vat": "242.00",
            },
        ),
        "P3": make(
            dossier,
            category="expense",
            status="booked",
            amount=Decimal("50.00"),
            due_date=date(2026, 5, 15),
            sent_at=at("2026-02-10"),
            booked_at=at("2026-03-20"),
        ),
        "P4": make(
            dossier,
            category="credit_note",
            source="peppol",
            is_ubl=True,
            status="retrieved",
            sent_at=at("2026-02-04"),
            retrieved_at=at("2026-02-14"),
            recognized=ubl(
                **meunerie,
                issue_date="2026-02-03",
                total_excl_vat="10.00",
                total_vat="2.10",
                total_incl_vat="12.10",
                vat_breakdown=[line("21", "10.00", "2.10")],
            ),
        ),
        "P5": make(
            dossier,
            due_date=date(2026, 5, 28),
            sent_at=at("2026-03-06"),
            recognized={
                "supplier_name": "Acme Inc",
                "issue_date": "2026-03-05",
                "total_incl_vat": "500.00",
                "currency": "USD",
            },
        ),
        "P6": make(
            dossier,
            source="api",
            due_date=date(2026, 7, 1),  # the client's due date wins over the invoice's
            sent_at=at("2026-04-11"),
            recognized={
                "supplier_name": "Boulons SPRL",
                "supplier_vat": "BE0987654321",
                "issue_date": "2026-04-10",
                "due_date": "2026-05-01",
                "total_excl_vat": "826.45",
                "total_vat": "173.55",
                "total_incl_vat": "1000.00",
            },
        ),
        "P7": make(dossier, amount=Decimal("30.00"), sent_at=at("2026-04-02")),
        "P8": make(dossier, sent_at=at("2026-04-05")),  # no amount at all
        "S1": make(
            dossier,
            category="sales_invoice",
            source="peppol",
            is_ubl=True,
            sent_at=at("2026-03-11"),
            recognized=ubl(
                issue_date="2026-03-10",
                total_excl_vat="500.00",
                total_vat="60.00",
                total_incl_vat="560.00",
                vat_breakdown=[line("21.00", "200.00", "42.00"), line("6.00", "300.00", "18.00")],
            ),
        ),
        "S2": make(
            dossier, category="sales_invoice", amount=Decimal("100.00"), sent_at=at("2026-03-20")
        ),
        # Never in the money reports:
        "D1": make(
            dossier, status="draft", amount=Decimal("9999.00"), uploaded="2026-03-01"
        ),  # the client's desk
        "R1": make(dossier, status="rejected", amount=Decimal("7777.00"), sent_at=at("2026-03-15")),
        "SH1": make(
            dossier,
            category="other",
            source="shared",
            status="shared",
            amount=Decimal("6666.00"),
            uploaded="2026-04-20",
        ),
        "OUT": make(
            dossier,
            amount=Decimal("888.00"),
            sent_at=at("2026-01-02"),
            recognized={"issue_date": "2025-12-31", "total_incl_vat": "888.00"},
        ),
        "X": make(
            other_dossier,
            amount=Decimal("5555.00"),
            sent_at=at("2026-02-02"),
            recognized={"supplier_name": "Canary Supplier", "total_incl_vat": "5555.00"},
        ),
    }
    made["DUP"] = make(
        dossier,
        source="email",
        duplicate_of=made["P1"],
        sent_at=at("2026-01-17"),
        recognized={**made["P1"].recognized, "source": "text"},
    )
    return made


@pytest.fixture
def english(client_user: User) -> User:
    """Labels checked in English: the French catalogue may translate them later."""
    client_user.language = "en"
    client_user.save(update_fields=["language"])
    return client_user


def money(value: str) -> Decimal:
    return Decimal(value)


# --- each figure ----------------------------------------------------------------------------


def test_purchases_and_sales_per_month_and_currency(dossier: Dossier, facts) -> None:
    assert purchases_sales(dossier, PERIOD) == [
        row(date(2026, 1, 1), "EUR", "363.00", "0.00", 2, 0),  # P1 121 + P2 242
        row(date(2026, 2, 1), "EUR", "37.90", "0.00", 2, 0),  # P3 50 - credit note P4 12.10
        row(date(2026, 3, 1), "EUR", "0.00", "660.00", 2, 0),  # S1 560 + S2 100
        row(date(2026, 3, 1), "USD", "500.00", "0.00", 1, 0),  # P5
        row(date(2026, 4, 1), "EUR", "1030.00", "0.00", 3, 1),  # P6 1000 + P7 30 + P8 (none)
    ]


def row(month: date, currency: str, purchases: str, sales: str, n: int, none: int) -> dict:
    return {
        "month": month,
        "currency": currency,
        "purchases": money(purchases),
        "sales": money(sales),
        "invoices": n,
        "without_amount": none,
    }


def test_the_period_moves_what_counts(dossier: Dossier, facts) -> None:
    december = purchases_sales(dossier, Period(date(2025, 12, 1), date(2025, 12, 31)))
    assert [(r["month"], r["purchases"]) for r in december] == [
        (date(2025, 12, 1), money("888.00"))  # OUT: by its invoice date, not its sending
    ]
    april = purchases_sales(dossier, Period(date(2026, 4, 1), date(2026, 4, 30)))
    assert [r["month"] for r in april] == [date(2026, 4, 1)]


def test_top_suppliers_by_total(dossier: Dossier, facts) -> None:
    with translation.override("en"):
        found = top_suppliers(dossier, PERIOD)
    assert found == [
        {
            "supplier": "Boulons SPRL",
            "vat": "BE0987654321",
            "currency": "EUR",
            "invoices": 1,
            "total": money("1000.00"),
        },
        {
            "supplier": "Acme Inc",
            "vat": "",
            "currency": "USD",
            "invoices": 1,
            "total": money("500"),
        },
        {  # P1 121 + P2 242 - P4 12.10; its duplicate is not counted twice
            "supplier": "Meunerie SA",
            "vat": "BE0123456749",
            "currency": "EUR",
            "invoices": 3,
            "total": money("350.90"),
        },
        {  # P3 50 + P7 30 + P8 (no amount): no supplier was read, last whatever their total
            "supplier": "Without supplier",
            "vat": "",
            "currency": "EUR",
            "invoices": 3,
            "total": money("80.00"),
        },
    ]


def test_top_suppliers_keeps_ten(dossier: Dossier) -> None:
    for n in range(12):
        make(
            dossier,
            sent_at=at("2026-02-01"),
            recognized={"supplier_name": f"Fournisseur {n:02d}", "total_incl_vat": f"{n + 1}.00"},
        )
    names = [r["supplier"] for r in top_suppliers(dossier, PERIOD)]
    assert names == [f"Fournisseur {n:02d}" for n in range(11, 1, -1)]


def test_unpaid_invoices_by_due_date_relative_to_today(dossier: Dossier, facts) -> None:
    with time_machine.travel(TODAY, tick=False):
        rows = unpaid(dossier, PERIOD)
    assert rows == [
        {"bucket": "overdue", "currency": "EUR", "invoices": 1, "total": money("121.00")},  # P1
        {"bucket": "week", "currency": "EUR", "invoices": 1, "total": money("50.00")},  # P3
        {"bucket": "month", "currency": "USD", "invoices": 1, "total": money("500.00")},  # P5
        {"bucket": "later", "currency": "EUR", "invoices": 1, "total": money("1000.00")},  # P6
        {"bucket": "none", "currency": "EUR", "invoices": 2, "total": money("30.00")},  # P7 P8
    ]
    # A week later P3 (due Friday 15 May) is overdue too, and P5 (28 May) due this week.
    with time_machine.travel(datetime(2026, 5, 25, 9, 0, tzinfo=BRUSSELS), tick=False):
        later = {(r["bucket"], r["currency"]): r["invoices"] for r in unpaid(dossier, PERIOD)}
    assert later == {
        ("overdue", "EUR"): 2,
        ("week", "USD"): 1,
        ("later", "EUR"): 1,
        ("none", "EUR"): 2,
    }


def test_vat_per_quarter_from_ubl_breakdowns_and_recognised_totals(dossier: Dossier, facts) -> None:
    q1, q2 = date(2026, 1, 1), date(2026, 4, 1)
    assert vat(dossier, PERIOD) == [
        # P1 21 % on 100.00 minus the credit note P4 21 % on 10.00
        vat_row(q1, "purchases", Decimal("21"), "90.00", "18.90"),
        vat_row(q1, "purchases", None, "200.00", "42.00"),  # P2, read from its PDF
        vat_row(q1, "sales", Decimal("6"), "300.00", "18.00"),  # S1's two lines
        vat_row(q1, "sales", Decimal("21"), "200.00", "42.00"),
        vat_row(q2, "purchases", None, "826.45", "173.55"),  # P6
    ]


def vat_row(quarter: date, direction: str, rate: Decimal | None, taxable: str, tax: str) -> dict:
    return {
        "quarter": quarter,
        "currency": "EUR",
        "direction": direction,
        "rate": rate,
        "taxable": money(taxable),
        "vat": money(tax),
    }


def test_documents_per_month_category_and_channel(dossier: Dossier, facts) -> None:
    got = [
        (r["month"].month, r["category"], r["channel"], r["documents"])
        for r in documents(dossier, PERIOD)
    ]
    assert got == [
        (1, "purchase_invoice", "email", 1),  # DUP
        (1, "purchase_invoice", "peppol", 1),  # P1
        (1, "purchase_invoice", "web", 2),  # P2, OUT (sent in January)
        (2, "credit_note", "peppol", 1),  # P4
        (2, "expense", "web", 1),  # P3
        (3, "purchase_invoice", "web", 2),  # P5, R1 (rejected, but it was sent)
        (3, "sales_invoice", "peppol", 1),  # S1
        (3, "sales_invoice", "web", 1),  # S2
        (4, "other", "shared", 1),  # SH1, shared by the accountant
        (4, "purchase_invoice", "api", 1),  # P6
        (4, "purchase_invoice", "web", 2),  # P7, P8
    ]  # the draft D1 and the other dossier's X never


def test_waiting_times_between_sending_and_retrieval_and_booking(dossier: Dossier, facts) -> None:
    """Until retrieval: P1 5 hours, P2 2 days, P4 10 days, P3 38 days (booked without being
    retrieved); until booking: P1 3 days 23 hours, P3 38 days. Medians and 90th percentiles
    come from the histogram: interpolated within the span holding the rank."""
    hour = 3600
    assert waiting(dossier, PERIOD) == [
        {
            "step": "retrieval",
            "documents": 4,
            # rank 2 of 4: the second wait (48 h) is in the span 48-72 h, which it fills.
            "median": 72 * hour,
            # rank 3.6: the fourth wait (912 h) is in the span 720-1080 h, 0.6 of the way.
            "p90": 936 * hour,
            "waiting": 8,  # 12 sent in the period (not R1, SH1, D1), 4 taken
        },
        {
            "step": "booking",
            "documents": 2,
            "median": 96 * hour,  # rank 1: P1's 95 hours, in the span 72-96 h
            "p90": 1008 * hour,  # rank 1.8: P3's 912 hours, in the span 720-1080 h
            "waiting": 10,
        },
    ]


def test_waiting_percentiles_from_a_histogram() -> None:
    spans = [0] * SPANS
    assert percentile(spans, 0.5) is None
    spans[wait_span(30 * 60)] = 10  # ten waits of half an hour: the span 30 min - 1 h
    assert wait_span(30 * 60) == 2 and wait_span(-5) == 0 and wait_span(10**9) == SPANS - 1
    assert percentile(spans, 0.5) == 45 * 60  # halfway through the span
    assert percentile(spans, 0.9) == pytest.approx(57 * 60)
    spans[SPANS - 1] = 90  # ninety waits of more than 90 days: the open span's lower edge
    assert percentile(spans, 0.9) == WAIT_EDGES[-1]


# --- the page, the JSON and the CSV ----------------------------------------------------------


def page_url(dossier: Dossier) -> str:
    return reverse("portal:view_dossier", args=[dossier.public_id])


def data_url(dossier: Dossier, report: str, kind: str = "json") -> str:
    name = "portal:view_dossier_data" if kind == "json" else "portal:view_dossier_csv"
    return reverse(name, args=[dossier.public_id, report])


def test_the_page_shows_every_report_as_a_table_with_its_chart_and_csv_link(
    dossier: Dossier, client_user: User, auth_client, facts
) -> None:
    with time_machine.travel(TODAY, tick=False):
        response = auth_client(client_user).get(page_url(dossier), QUERY)
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    for key in REPORT_KEYS:
        assert f'id="report-{key}"' in body
        assert data_url(dossier, key, "csv") + "?from=2026-01-01&amp;to=2026-06-30" in body
    assert body.count('aria-hidden="true"></canvas>') == 7  # documents has two charts
    assert 'scope="row"' in body and '<div class="table-wrap">' in body
    assert "Meunerie SA" in body and "Boulons SPRL" in body
    assert "9999" not in body and "7777" not in body and "Canary" not in body
    assert 'value="2026-01-01"' in body and 'type="date"' in body
    assert '<label for="id_from">' in body
    assert "vendor/chart-4.6.1.umd.min.js" in body


def test_the_default_period_is_the_last_twelve_months(
    dossier: Dossier, client_user: User, auth_client
) -> None:
    with time_machine.travel(TODAY, tick=False):
        body = auth_client(client_user).get(page_url(dossier)).content.decode()
    assert 'value="2025-06-01"' in body and 'value="2026-05-31"' in body


def test_the_json_endpoint_gives_rows_and_chart_series(
    dossier: Dossier, client_user: User, english: User, auth_client, facts
) -> None:
    client = auth_client(client_user)
    payload = client.get(data_url(dossier, "purchases_sales"), QUERY).json()
    assert payload["period"] == QUERY
    assert payload["rows"][0] == {
        "month": "2026-01-01",
        "currency": "EUR",
        "purchases": "363.00",
        "sales": "0.00",
        "invoices": 2,
        "without_amount": 0,
    }
    (chart,) = payload["charts"]
    assert len(chart["labels"]) == 6  # January to June, empty months included
    series = {d["label"]: d["data"] for d in chart["datasets"]}
    assert series["Purchases (EUR)"] == [363.0, 37.9, 0.0, 1030.0, 0.0, 0.0]
    assert series["Sales (EUR)"] == [0.0, 0.0, 660.0, 0.0, 0.0, 0.0]
    assert series["Purchases (USD)"] == [0.0, 0.0, 500.0, 0.0, 0.0, 0.0]
    suppliers = client.get(data_url(dossier, "top_suppliers"), QUERY).json()["charts"][0]
    assert suppliers["horizontal"] is True
    assert suppliers["datasets"][0]["data"] == [1000.0, 500.0, 350.9, 80.0]
    docs = client.get(data_url(dossier, "documents"), QUERY).json()["charts"]
    assert [c["stacked"] for c in docs] == [True, True]
    vat_chart = client.get(data_url(dossier, "vat"), QUERY).json()["charts"][0]
    assert {d["label"]: d["data"] for d in vat_chart["datasets"]} == {
        "VAT on purchases (deductible) (EUR)": [60.9, 173.55],
        "VAT on sales (due) (EUR)": [60.0, 0.0],
    }


def test_the_csv_holds_the_numbers_of_the_table(
    dossier: Dossier, client_user: User, english: User, auth_client, facts
) -> None:
    response = auth_client(client_user).get(data_url(dossier, "vat", "csv"), QUERY)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="ALPHA1-vat-2026-01-01-2026-06-30.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Quarter", "Currency", "VAT", "Rate", "Taxable amount", "VAT amount"],
        ["2026-Q1", "EUR", "VAT on purchases (deductible)", "21 %", "90.00", "18.90"],
        ["2026-Q1", "EUR", "VAT on purchases (deductible)", "Not broken down", "200.00", "42.00"],
        ["2026-Q1", "EUR", "VAT on sales (due)", "6 %", "300.00", "18.00"],
        ["2026-Q1", "EUR", "VAT on sales (due)", "21 %", "200.00", "42.00"],
        ["2026-Q2", "EUR", "VAT on purchases (deductible)", "Not broken down", "826.45", "173.55"],
    ]


def test_a_formula_read_from_an_invoice_is_not_run_by_a_spreadsheet(
    dossier: Dossier, client_user: User, auth_client
) -> None:
    make(
        dossier,
        sent_at=at("2026-02-01"),
        recognized={"supplier_name": '=HYPERLINK("http://x")', "total_incl_vat": "1.00"},
    )
    response = auth_client(client_user).get(data_url(dossier, "top_suppliers", "csv"), QUERY)
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][0] == '\'=HYPERLINK("http://x")'


def test_a_name_read_from_an_invoice_is_shown_as_text_not_markup(
    dossier: Dossier, client_user: User, auth_client
) -> None:
    make(
        dossier,
        sent_at=at("2026-02-01"),
        recognized={"supplier_name": '<img src=x onerror="alert(1)">', "total_incl_vat": "1.00"},
    )
    body = auth_client(client_user).get(page_url(dossier), QUERY).content.decode()
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in body
    assert "<img src=x" not in body


def test_malformed_facts_read_as_unknown(dossier: Dossier, client_user: User, auth_client) -> None:
    make(
        dossier,
        amount=Decimal("12.00"),
        sent_at=at("2026-02-01"),
        recognized={"issue_date": "31/01/2026", "total_incl_vat": "12,50 €", "total_vat": "x"},
    )
    assert [(r["month"], r["purchases"]) for r in purchases_sales(dossier, PERIOD)] == [
        (date(2026, 2, 1), money("12.00"))  # the day it was sent, the amount typed
    ]
    response = auth_client(client_user).get(page_url(dossier), QUERY)
    assert response.status_code == HTTPStatus.OK


def test_the_page_works_in_french(dossier: Dossier, client_user: User, auth_client, facts) -> None:
    body = auth_client(client_user).get(page_url(dossier), QUERY).content.decode()
    assert '<html lang="fr">' in body
    assert "janvier 2026" in body  # months in the user's language
    assert "1 030,00" in body or "1\u00a0030,00" in body  # P6 + P7 in April


# --- switched-off reports -------------------------------------------------------------------


def test_switched_off_reports_vanish_from_page_json_and_csv(
    firm: Firm, dossier: Dossier, client_user: User, auth_client, facts
) -> None:
    neighbour = DossierFactory(firm=firm)
    grant(client_user, neighbour, "view.user")
    make(neighbour, amount=Decimal("10.00"), sent_at=at("2026-02-01"))  # not an empty dossier
    ReportSwitch.objects.create(firm=firm, dossier=dossier, report="vat")
    ReportSwitch.objects.create(firm=firm, dossier=None, report="waiting")  # the whole firm
    client = auth_client(client_user)
    body = client.get(page_url(dossier), QUERY).content.decode()
    assert 'id="report-vat"' not in body and 'id="section-vat"' not in body  # section gone
    assert 'id="report-waiting"' not in body
    assert 'id="report-documents"' in body and 'id="report-unpaid"' in body
    for report in ("vat", "waiting"):
        assert client.get(data_url(dossier, report), QUERY).status_code == HTTPStatus.NOT_FOUND
        response = client.get(data_url(dossier, report, "csv"), QUERY)
        assert response.status_code == HTTPStatus.NOT_FOUND
    # The firm's switch holds for its other dossiers; the dossier's only for that one.
    assert client.get(data_url(neighbour, "waiting")).status_code == HTTPStatus.NOT_FOUND
    assert client.get(data_url(neighbour, "vat")).status_code == HTTPStatus.OK
    neighbour_body = client.get(page_url(neighbour), QUERY).content.decode()
    assert 'id="report-vat"' in neighbour_body and 'id="report-waiting"' not in neighbour_body


def test_when_every_report_is_off_the_page_says_so(
    firm: Firm, dossier: Dossier, client_user: User, english: User, auth_client
) -> None:
    ReportSwitch.objects.bulk_create(
        ReportSwitch(firm=firm, dossier=None, report=key) for key in REPORT_KEYS
    )
    response = auth_client(client_user).get(page_url(dossier))
    assert response.status_code == HTTPStatus.OK
    assert b"No report is shown for this dossier." in response.content
    assert b"<canvas" not in response.content


def test_an_unknown_report_is_a_404(dossier: Dossier, client_user: User, auth_client) -> None:
    client = auth_client(client_user)
    for url in (data_url(dossier, "salaries"), data_url(dossier, "salaries", "csv")):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    body = client.get(data_url(dossier, "salaries")).json()
    assert body["error"]["code"] == "not_found"


# --- bad periods ----------------------------------------------------------------------------

BAD_PERIODS = [
    ({"from": "2026-13-01"}, "Enter a valid date."),
    ({"from": "13/01/2026"}, "Enter a valid date."),
    ({"to": "yesterday"}, "Enter a valid date."),
    ({"from": "0999-01-01"}, "Enter a valid date."),
    ({"to": "9999-12-31"}, "Enter a valid date."),
    ({"from": "2026-06-01", "to": "2026-05-31"}, "must not be before its start"),
    ({"from": "2020-01-01", "to": "2025-01-02"}, "longer than five years"),
]


@pytest.mark.parametrize(("query", "message"), BAD_PERIODS)
def test_a_bad_period_is_refused_with_a_message(
    dossier: Dossier, client_user: User, english: User, auth_client, query: dict, message: str
) -> None:
    client = auth_client(client_user)
    page = client.get(page_url(dossier), query)
    assert page.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert message in page.content.decode()
    assert b"error-summary" in page.content and b"<canvas" not in page.content
    for kind in ("json", "csv"):
        response = client.get(data_url(dossier, "purchases_sales", kind), query)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        error = response.json()["error"]
        assert error["code"] == "period_invalid"
        assert message in error["message"]


def test_five_years_exactly_is_accepted(dossier: Dossier, client_user: User, auth_client) -> None:
    response = auth_client(client_user).get(
        page_url(dossier), {"from": "2020-01-01", "to": "2025-01-01"}
    )
    assert response.status_code == HTTPStatus.OK


def test_the_period_message_is_translated(dossier: Dossier, client_user: User, auth_client) -> None:
    body = auth_client(client_user).get(page_url(dossier), {"from": "2026-13-01"}).content
    assert b"Saisissez une date valide." in body  # Django's own French catalogue


# --- speed ----------------------------------------------------------------------------------


def bulk(dossier: Dossier, count: int) -> None:
    start = next(_numbers)
    Document.objects.bulk_create(
        Document(
            firm=dossier.firm,
            dossier=dossier,
            filename=f"bulk-{n}.pdf",
            storage_name=f"bulk/{start}-{n}.pdf",
            content_type="application/pdf",
            size=100 + n,
            sha256=f"b{start:031x}{n:032x}",
            source=("web", "email", "api", "peppol")[n % 4],
            category=("purchase_invoice", "sales_invoice", "expense", "credit_note")[n % 4],
            status=("sent", "retrieved", "booked")[n % 3],
            amount=Decimal(n % 97 + 1),
            due_date=date(2026, 1 + n % 6, 1 + n % 28),
            sent_at=at(f"2026-0{1 + n % 6}-{1 + n % 28:02d}"),
            retrieved_at=at(f"2026-0{1 + n % 6}-{1 + n % 28:02d}", 18) if n % 3 else None,
            is_ubl=n % 4 == 3,
            recognized={
                "supplier_name": f"Supplier {n % 13}",
                "total_incl_vat": f"{n % 50 + 1}.00",
                "total_vat": "1.00",
                "issue_date": f"2026-0{1 + n % 6}-01",
                "vat_breakdown": [line("21.00", "10.00", "2.10")],
            },
        )
        for n in range(count)
    )


def page_queries(client: Client, dossier: Dossier) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page_url(dossier), QUERY)
    assert response.status_code == HTTPStatus.OK
    return len(queries)


def test_the_query_count_does_not_grow_with_the_documents(
    dossier: Dossier, client_user: User, auth_client
) -> None:
    client = auth_client(client_user)
    client.get(page_url(dossier), QUERY)  # the header's unread count is cached from here on
    bulk(dossier, 5)
    few = page_queries(client, dossier)
    bulk(dossier, 295)
    many = page_queries(client, dossier)
    assert few == many
    assert many <= 13  # session, user, scope, dossier, 2 switches, 5 reports, header, admin link
    with CaptureQueriesContext(connection) as queries:
        client.get(data_url(dossier, "vat"), QUERY)
    assert len(queries) <= 8  # session, user, scope, dossier, two switch reads, two VAT


# --- access ---------------------------------------------------------------------------------


def routes(dossier: Dossier) -> list[str]:
    return [
        page_url(dossier),
        data_url(dossier, "top_suppliers"),
        data_url(dossier, "top_suppliers", "csv"),
    ]


ACTORS = [
    "anonymous",
    "neighbour",
    "entrepreneur_only",
    "licence_admin",
    "other_staff",
    "deactivated",
    "role_removed",
]


@pytest.mark.parametrize("actor_name", ACTORS)
def test_who_holds_no_view_role_on_the_dossier_gets_404(
    request: pytest.FixtureRequest,
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    actor_name: str,
) -> None:
    make(
        dossier,
        sent_at=at("2026-02-01"),
        recognized={"supplier_name": "Canary Meunerie", "total_incl_vat": "1.00"},
    )
    client = Client()
    if actor_name == "neighbour":  # View and Connect on another dossier of the same firm
        neighbour = UserFactory()
        grant(neighbour, DossierFactory(firm=firm), "connect.entrepreneur", "view.user")
        client.force_login(neighbour)
    elif actor_name == "entrepreneur_only":  # Connect on this dossier, but no View role
        entrepreneur = UserFactory()
        grant(entrepreneur, dossier, "connect.entrepreneur")
        client.force_login(entrepreneur)
    elif actor_name == "deactivated":
        FirmMembership.objects.filter(user=client_user).update(is_active=False)
        client.force_login(client_user)
    elif actor_name == "role_removed":
        DossierAccess.objects.filter(user=client_user, role="view.user").delete()
        client.force_login(client_user)
    elif actor_name != "anonymous":
        client.force_login(request.getfixturevalue(actor_name))
    before = (
        list(Document.objects.values_list("id", "status", "paid")),
        ReportSwitch.objects.count(),
    )
    for url in routes(dossier):
        for method in ("get", "post"):
            response = getattr(client, method)(url, {**QUERY, "report": "vat", "paid": "on"})
            if actor_name == "anonymous":
                assert response.status_code == HTTPStatus.FOUND, (url, method)
                assert response["Location"].startswith(reverse("account_login"))
            else:
                assert response.status_code in (
                    HTTPStatus.NOT_FOUND,
                    HTTPStatus.METHOD_NOT_ALLOWED,
                ), (url, method, response.status_code)
                if method == "get":
                    assert response.status_code == HTTPStatus.NOT_FOUND
            assert b"Canary" not in response.content
            assert dossier.name.encode() not in response.content
    after = (
        list(Document.objects.values_list("id", "status", "paid")),
        ReportSwitch.objects.count(),
    )
    assert after == before


@pytest.mark.parametrize("actor_name", ["client_user", "accountant"])
def test_view_users_and_admins_reach_the_dashboard(
    request: pytest.FixtureRequest, dossier: Dossier, actor_name: str, facts
) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(actor_name))
    for url in routes(dossier):
        response = client.get(url, QUERY)
        assert response.status_code == HTTPStatus.OK, url
        assert b"Meunerie SA" in response.content
        assert b"Canary" not in response.content  # another firm's supplier
        refused = client.post(url, QUERY)
        assert refused.status_code == HTTPStatus.METHOD_NOT_ALLOWED  # these pages only read
        assert refused["Allow"] == "GET, HEAD"


def test_another_dossiers_report_is_not_reached_through_a_valid_one(
    dossier: Dossier, other_dossier: Dossier, client_user: User, auth_client, facts
) -> None:
    client = auth_client(client_user)
    for url in routes(other_dossier):
        response = client.get(url, QUERY)
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert b"Canary" not in response.content


def test_vat_of_a_hybrid_pdf_counts_by_its_breakdown_and_an_empty_breakdown_by_totals(
    dossier: Dossier,
) -> None:
    quarter = date(2026, 1, 1)
    make(
        dossier,
        embedded_invoice="factur-x.xml",
        sent_at=at("2026-01-10"),
        recognized={
            **ubl(source="embedded_cii", issue_date="2026-01-09"),
            "total_excl_vat": "300.00",
            "total_vat": "30.00",
            "vat_breakdown": [line("6", "100.00", "6.00"), line("12", "200.00", "24.00")],
        },
    )
    make(  # a MINIMUM Factur-X: no breakdown, its totals count
        dossier,
        embedded_invoice="factur-x.xml",
        sent_at=at("2026-01-12"),
        recognized={
            **ubl(source="embedded_cii", issue_date="2026-01-11"),
            "total_excl_vat": "50.00",
            "total_vat": "10.50",
            "vat_breakdown": [],
        },
    )
    assert vat(dossier, PERIOD) == [
        vat_row(quarter, "purchases", Decimal("6"), "100.00", "6.00"),
        vat_row(quarter, "purchases", Decimal("12"), "200.00", "24.00"),
        vat_row(quarter, "purchases", None, "50.00", "10.50"),
    ]
