"""View tells the truth (issue 14, item 9): suppliers are told apart by their VAT number, else
by their normalised name; a till receipt's header is no supplier; "NULL" or "None" is never
printed, in the page or in a CSV; headline tiles sum up what is unpaid, what falls due this
week and the VAT of the period; a dossier with nothing in the period gets one empty state that
says what to do, and no CSV link."""

import csv
import io
import itertools
import json
import os
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from connect.models import Document
from dossiers.models import Dossier
from users.models import User
from view.period import Period
from view.queries.top_suppliers import top_suppliers
from view.suppliers import name_key, vat_key

BRUSSELS = ZoneInfo("Europe/Brussels")
TODAY = datetime(2026, 5, 13, 10, 0, tzinfo=BRUSSELS)  # a Wednesday; the week ends on 17 May
PERIOD = Period(date(2026, 1, 1), date(2026, 6, 30))
QUERY = {"from": "2026-01-01", "to": "2026-06-30"}
_numbers = itertools.count(1)


def read(name: str | None = None, vat: str | None = None, **facts: object) -> dict:
    """Facts as recognition stores them: every key present, JSON null when not read, and
    the confidence of each fact read."""
    confidences = {"supplier_name": f"{facts.pop('name_confidence', 0.7):.2f}"} if name else {}
    return {
        "supplier_name": name,
        "supplier_vat": vat,
        "invoice_number": None,
        "issue_date": facts.pop("issue_date", "2026-03-02"),
        "due_date": None,
        "total_excl_vat": None,
        "total_vat": None,
        "total_incl_vat": None,
        "payable_amount": None,
        "currency": None,
        "iban": None,
        "structured_reference": None,
        "confidence": "0.55",
        "confidences": confidences,
        "source": "ocr",
        "language": "fr",
        **facts,
    }


def make(dossier: Dossier, **fields: object) -> Document:
    number = next(_numbers)
    values: dict[str, object] = {
        "firm": dossier.firm,
        "dossier": dossier,
        "filename": f"truth-{number}.pdf",
        "storage_name": f"truth/{number}.pdf",
        "content_type": "application/pdf",
        "size": 1000 + number,
        "sha256": f"{number:064x}",
        "source": "web",
        "status": "sent",
        "sent_at": datetime(2026, 3, 3, 10, tzinfo=BRUSSELS),
        "paid": True,
    }
    values.update(fields)
    return Document.objects.create(**values)


def page_url(dossier: Dossier) -> str:
    return reverse("portal:view_dossier", args=[dossier.public_id])


def csv_url(dossier: Dossier, report: str) -> str:
    return reverse("portal:view_dossier_csv", args=[dossier.public_id, report])


def by_name(dossier: Dossier) -> dict[str, tuple[str, int, Decimal]]:
    with translation.override("en"):
        rows = top_suppliers(dossier, PERIOD)
    return {row["supplier"]: (row["vat"], row["invoices"], row["total"]) for row in rows}


# --- who the supplier is --------------------------------------------------------------------


def test_vat_numbers_are_compared_normalised() -> None:
    assert vat_key("BE0123456789") == vat_key("BE 0123.456.789") == "BE0123456789"
    assert vat_key("be0123-456-789") == vat_key("0123.456.789") == "BE0123456789"
    assert vat_key("FR 12 345678901") == "FR12345678901"
    for nothing in (None, "", "NULL", "null", "None", "n/a", "-", "  "):
        assert vat_key(nothing) == ""


def test_names_are_compared_without_case_accents_punctuation_or_legal_form() -> None:
    same = ["Meunerie Dupont SA", "MEUNERIE DUPONT", "Meunerie  Dupont, S.A.", "meunerie-dupont NV"]
    assert {name_key(name) for name in same} == {"meuneriedupont"}
    assert name_key("Boulangerie Émile SRL") == name_key("boulangerie emile BV")
    assert name_key("Garage Müller GmbH") == name_key("GARAGE MULLER")
    assert name_key("BVBA De Smet") == name_key("De Smet BVBA")
    assert name_key("Boucherie Martin") != name_key("Fromagerie du Pays")


def test_a_till_receipt_header_names_nobody() -> None:
    for header in (
        "TICKET",
        "TICKET DE CAISSE",
        "KASSABON",
        "REÇU",
        "TOTAL 23,40",
        "Kasticket nr 42",
    ):
        assert name_key(header) == "", header
    for nothing in ("NULL", "None", "12/03/2026", "23,40"):
        assert name_key(nothing) == "", nothing
    assert name_key("Total Belgium SA") == "totalbelgium"  # a company that starts with "Total"


def test_one_supplier_by_vat_number_whatever_its_spelling(dossier: Dossier) -> None:
    make(dossier, recognized=read("Meunerie Dupont SA", "BE0123456749", total_incl_vat="100.00"))
    make(dossier, recognized=read("MEUNERIE DUPONT", "BE 0123.456.749", total_incl_vat="50.00"))
    # Its name without a number joins the number the other invoices give it.
    make(dossier, recognized=read("Meunerie Dupont", None, total_incl_vat="25.00"))
    assert by_name(dossier) == {"Meunerie Dupont SA": ("BE0123456749", 3, Decimal("175.00"))}


def test_two_suppliers_without_vat_number_are_never_merged(dossier: Dossier) -> None:
    make(dossier, recognized=read("Boucherie Martin", None, total_incl_vat="84.70"))
    make(dossier, recognized=read("Fromagerie du Pays", None, total_incl_vat="156.20"))
    make(dossier, recognized=read("boucherie martin sprl", None, total_incl_vat="15.30"))
    assert by_name(dossier) == {
        "Fromagerie du Pays": ("", 1, Decimal("156.20")),
        "Boucherie Martin": ("", 2, Decimal("100.00")),
    }


def test_receipts_without_a_supplier_are_shown_as_such(dossier: Dossier) -> None:
    # The first words of a till receipt, guessed with little confidence, and a confident
    # "name" that is only a receipt's header: neither is a supplier.
    make(
        dossier,
        category="expense",
        recognized=read("TICKET DE CAISSE", None, total_incl_vat="23.40", name_confidence=0.3),
    )
    make(dossier, category="expense", recognized=read("KASSABON", None, total_incl_vat="11.90"))
    make(
        dossier,
        category="expense",
        recognized=read("Café du Coin", None, total_incl_vat="4.60", name_confidence=0.3),
    )
    make(dossier, amount=Decimal("10.00"))  # nothing read at all
    make(dossier, recognized=read("Electrabel NV", "BE0403170701", total_incl_vat="302.50"))
    rows = by_name(dossier)
    assert rows == {
        "Electrabel NV": ("BE0403170701", 1, Decimal("302.50")),
        "Without supplier": ("", 4, Decimal("49.90")),
    }
    with translation.override("en"):
        assert top_suppliers(dossier, PERIOD)[-1]["supplier"] == "Without supplier"


def test_a_reviewed_name_counts_whatever_the_machine_thought(dossier: Dossier) -> None:
    facts = read("Café du Coin", None, total_incl_vat="4.60", name_confidence=0.3)
    make(dossier, recognized={**facts, "reviewed": True})
    assert by_name(dossier) == {"Café du Coin": ("", 1, Decimal("4.60"))}


# --- never "NULL" ---------------------------------------------------------------------------


def test_neither_page_nor_csv_prints_null_or_none(
    dossier: Dossier, client_user: User, auth_client
) -> None:
    make(dossier, recognized=read("Boucherie Martin", None, total_incl_vat="84.70"))
    make(dossier, recognized=read("Fromagerie du Pays", "NULL", total_incl_vat="156.20"))
    make(dossier, recognized=read(None, "None", total_incl_vat="1.00", currency=None))
    client = auth_client(client_user)
    body = client.get(page_url(dossier), QUERY).content.decode()
    assert "NULL" not in body and "None" not in body and "null" not in body.replace("nullable", "")
    suppliers = body.split('id="report-top_suppliers"')[1].split("</article>")[0]
    assert '<td data-label="Numéro de TVA">—</td>' in suppliers
    for report in ("purchases_sales", "top_suppliers", "unpaid", "vat", "documents", "waiting"):
        response = client.get(csv_url(dossier, report), QUERY)
        assert response.status_code == HTTPStatus.OK
        text = response.content.decode()
        assert "NULL" not in text.upper().replace("NULLABLE", "") and "None" not in text, report
    rows = list(csv.reader(io.StringIO(client.get(csv_url(dossier, "top_suppliers"), QUERY).text)))
    assert {row[0]: row[1] for row in rows[1:]} == {
        "Fromagerie du Pays": "",
        "Boucherie Martin": "",
        "Sans fournisseur": "",
    }


SQLITE_SCRIPT = """
import json, os, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from datetime import date, datetime, timezone
from connect.models import Document
from dossiers.models import Dossier, Firm
from view.period import Period
from view.queries.purchases_sales import purchases_sales
from view.queries.top_suppliers import top_suppliers
firm = Firm.objects.create(name="Fiduciaire SQLite")
dossier = Dossier.objects.create(firm=firm, code="SQL1", name="SQLite SRL")
for n, (name, vat) in enumerate([("Boucherie Martin", None), ("Fromagerie du Pays", None)]):
    Document.objects.create(
        firm=firm, dossier=dossier, filename=f"{n}.pdf", storage_name=f"sqlite/{n}.pdf",
        content_type="application/pdf", size=10 + n, sha256=f"{n:064x}", source="web",
        status="sent", sent_at=datetime(2026, 3, 3, tzinfo=timezone.utc),
        recognized={"supplier_name": name, "supplier_vat": vat, "currency": None,
                    "issue_date": "2026-03-02", "total_incl_vat": "10.00"},
    )
period = Period(date(2026, 1, 1), date(2026, 6, 30))
print(json.dumps({
    "suppliers": [[r["supplier"], r["vat"], r["invoices"]] for r in top_suppliers(dossier, period)],
    "currencies": [r["currency"] for r in purchases_sales(dossier, period)],
}))
"""


def test_on_sqlite_a_json_null_is_no_value(tmp_path: Path) -> None:
    """`make run` uses SQLite, where a JSON null read as text is the word "null": a VAT number
    showed "NULL" and every supplier without one was merged under one name."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    done = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {
        "suppliers": [["Boucherie Martin", "", 1], ["Fromagerie du Pays", "", 1]],
        "currencies": ["EUR"],
    }


# --- headline tiles -------------------------------------------------------------------------


@pytest.fixture
def unpaid(dossier: Dossier) -> None:
    """Unpaid: one overdue (100), two due this week (605 + 45,50), one later (290,40); VAT on
    sales 420, deductible 105 + 50,40 + 210."""
    make(
        dossier,
        paid=False,
        due_date=date(2026, 5, 2),
        recognized=read("A SA", None, total_incl_vat="100.00"),
    )
    make(
        dossier,
        paid=False,
        due_date=date(2026, 5, 15),
        recognized=read(
            "B SA", None, total_incl_vat="605.00", total_excl_vat="500.00", total_vat="105.00"
        ),
    )
    make(
        dossier,
        paid=False,
        due_date=date(2026, 5, 17),
        recognized=read("C SA", None, total_incl_vat="45.50"),
    )
    make(
        dossier,
        paid=False,
        due_date=date(2026, 6, 20),
        recognized=read(
            "D SA", None, total_incl_vat="290.40", total_excl_vat="240.00", total_vat="50.40"
        ),
    )
    make(
        dossier,
        recognized=read(
            "E SA", None, total_incl_vat="1210.00", total_excl_vat="1000.00", total_vat="210.00"
        ),
    )
    make(
        dossier,
        category="sales_invoice",
        recognized=read(
            None, None, total_incl_vat="2420.00", total_excl_vat="2000.00", total_vat="420.00"
        ),
    )


def tile(body: str, key: str) -> str:
    return body.split(f'id="tile-{key}"')[1].split("</li>")[0]


def test_headline_tiles_sum_up_unpaid_due_this_week_and_vat(
    dossier: Dossier, client_user: User, auth_client, unpaid
) -> None:
    with time_machine.travel(TODAY, tick=False):
        body = auth_client(client_user).get(page_url(dossier), QUERY).content.decode()
    assert body.index('id="tile-unpaid"') < body.index('id="report-purchases_sales"')
    unpaid_tile = tile(body, "unpaid")
    assert "1\u202f040,90\xa0EUR" in unpaid_tile or "1\xa0040,90\xa0EUR" in unpaid_tile
    assert "4 factures" in unpaid_tile
    assert "dont 100,00\xa0EUR en retard" in unpaid_tile
    week = tile(body, "week")
    assert "650,50\xa0EUR" in week and "2 factures" in week
    vat_tile = tile(body, "vat")
    assert "54,60\xa0EUR" in vat_tile and "à payer" in vat_tile  # 420 - 365,40
    assert "420,00\xa0EUR" in vat_tile and "365,40\xa0EUR" in vat_tile
    assert 'href="#report-unpaid"' in unpaid_tile and 'href="#report-vat"' in vat_tile


def test_a_switched_off_report_takes_its_tiles_with_it(
    dossier: Dossier, client_user: User, auth_client, unpaid
) -> None:
    from view.models import ReportSwitch

    ReportSwitch.objects.create(firm=dossier.firm, dossier=dossier, report="unpaid")
    body = auth_client(client_user).get(page_url(dossier), QUERY).content.decode()
    assert 'id="tile-unpaid"' not in body and 'id="tile-week"' not in body
    assert 'id="tile-vat"' in body


def test_a_single_invoice_is_one_invoice(dossier: Dossier, client_user: User, auth_client) -> None:
    make(
        dossier,
        paid=False,
        due_date=date(2026, 5, 14),
        recognized=read("A SA", None, total_incl_vat="10.00"),
    )
    with time_machine.travel(TODAY, tick=False):
        body = auth_client(client_user).get(page_url(dossier), QUERY).content.decode()
    assert "1 facture<" in tile(body, "week")
    assert "toutes les factures" not in tile(body, "unpaid").lower()


# --- one helpful empty state ----------------------------------------------------------------


def test_an_empty_dossier_shows_one_empty_state_that_says_what_to_do(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    body = auth_client(client_user).get(page_url(dossier), QUERY).content.decode()
    assert body.count('class="view-empty"') == 1
    assert "Pas encore de documents pour cette période" in body
    assert reverse("connect:dossier", args=[dossier.public_id]) in body  # the client uploads
    assert ".csv" not in body and "Aucun chiffre pour cette période." not in body
    assert 'id="tile-' not in body and "<canvas" not in body
    body = auth_client(accountant).get(page_url(dossier), QUERY).content.decode()
    assert reverse("connect:request_create", args=[dossier.public_id]) in body  # he asks


def test_an_empty_report_has_no_csv_link(dossier: Dossier, client_user: User, auth_client) -> None:
    make(dossier, category="sales_invoice", amount=Decimal("100.00"))  # no VAT, nothing unpaid
    body = auth_client(client_user).get(page_url(dossier), QUERY).content.decode()
    assert 'class="view-empty"' not in body
    assert csv_url(dossier, "purchases_sales") in body
    vat_report = body.split('id="report-vat"')[1].split("</article>")[0]
    assert "Aucun chiffre pour cette période." in vat_report and ".csv" not in vat_report


# --- the firm dashboard follows the same rules ----------------------------------------------


def test_the_firm_dashboard_stacks_on_a_phone_and_writes_dates_locally(
    dossier: Dossier, accountant: User, auth_client
) -> None:
    document = make(dossier, sent_at=datetime(2026, 3, 3, 10, tzinfo=BRUSSELS))
    Document.objects.filter(pk=document.pk).update(
        uploaded_at=datetime(2026, 3, 3, 10, tzinfo=BRUSSELS)
    )
    with time_machine.travel(TODAY, tick=False):
        body = auth_client(accountant).get(reverse("portal:view_firm")).content.decode()
    assert 'id="tile-new"' in body
    assert '<table class="stack">' in body
    assert 'data-label="Nouveaux à récupérer"' in body
    assert ">03/03/2026</time>" in body  # the last upload, as French writes a day
    assert "NULL" not in body and "None" not in body
