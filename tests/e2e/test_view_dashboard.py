"""The dossier dashboard in a real browser: the demo client of BOULANGERIE, in French, opens
View, sees the charts drawn and the tables, narrows the period (a row outside it disappears
from the tables and the charts follow), and downloads a report's figures as CSV. Without
JavaScript the same page shows the tables."""

import csv
import io
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import formats, timezone, translation

from connect.models import Document
from dossiers.models import Dossier
from dossiers.services_demo import DEFAULT_DEMO_PASSWORD, demo_data_load
from tests.factories import DossierFactory, grant
from view.firm_dashboard import ROWS_SHOWN

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLIENT = "client@boulangerie-demo.be"


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("WinBooksID")).fill(email)
    page.locator("#id_password").fill(DEFAULT_DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/(hub|connect/dossiers/.+)/$"))  # a client lands in Connect


def month_start(today: date, back: int) -> date:
    index = today.year * 12 + today.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def sent_invoice(dossier: Dossier, number: int, issued: date, **fields: object) -> Document:
    moment = datetime.combine(
        issued + timedelta(days=1), time(10), tzinfo=timezone.get_current_timezone()
    )
    return Document.objects.create(
        firm=dossier.firm,
        dossier=dossier,
        filename=f"facture-{number}.pdf",
        storage_name=f"e2e-dashboard/{number}.pdf",
        content_type="application/pdf",
        size=1000 + number,
        sha256=f"{number:064x}",
        source="web",
        status="sent",
        sent_at=moment,
        **fields,
    )


@pytest.fixture
def boulangerie() -> dict:
    """BOULANGERIE with three sent invoices: two recent ones and one eight months ago."""
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    dossier = Dossier.objects.get(code="BOULANGERIE")
    today = timezone.localdate()
    recent, old = (
        month_start(today, 2) + timedelta(days=9),
        month_start(today, 8) + timedelta(days=9),
    )
    sent_invoice(
        dossier,
        1,
        recent,
        recognized={
            "supplier_name": "Meunerie Dupont",
            "issue_date": recent.isoformat(),
            "total_excl_vat": "100.00",
            "total_vat": "21.00",
            "total_incl_vat": "121.00",
            "currency": "EUR",
        },
    )
    sent_invoice(
        dossier,
        2,
        old,
        recognized={
            "supplier_name": "Boulons Martin",
            "issue_date": old.isoformat(),
            "total_incl_vat": "300.00",
            "currency": "EUR",
        },
    )
    sent_invoice(dossier, 3, recent, category="sales_invoice", amount=Decimal("500.00"))
    with translation.override("fr"):
        labels = {
            "recent": formats.date_format(month_start(today, 2), "YEAR_MONTH_FORMAT"),
            "old": formats.date_format(month_start(today, 8), "YEAR_MONTH_FORMAT"),
        }
    return {"dossier": dossier, "today": today, "labels": labels}


def chart_drawn(report: str) -> str:
    return (
        "() => { const canvas = document.querySelector('#report-" + report + " canvas');"
        " return !!(canvas && window.Chart && window.Chart.getChart(canvas)); }"
    )


def chart_labels(page, report: str) -> int:
    return page.evaluate(
        "(report) => window.Chart.getChart("
        "document.querySelector('#report-' + report + ' canvas')).data.labels.length",
        report,
    )


def test_the_client_narrows_the_period_and_downloads_a_csv(page_factory, boulangerie) -> None:
    today, labels = boulangerie["today"], boulangerie["labels"]
    page = page_factory(locale="fr-BE", viewport={"width": 1280, "height": 900})
    log_in(page, CLIENT)
    page.goto("/view/")  # one dossier with View: straight to its dashboard
    page.wait_for_url(f"**/view/dossiers/{boulangerie['dossier'].public_id}/")
    assert page.locator("html").get_attribute("lang") == "fr"

    # The last 12 months: every invoice, the charts drawn by Chart.js, the tables beside them.
    for report in ("purchases_sales", "top_suppliers", "unpaid", "documents", "waiting", "vat"):
        page.wait_for_function(chart_drawn(report))
    assert chart_labels(page, "purchases_sales") == 12
    suppliers = page.locator("#report-top_suppliers table tbody")
    assert suppliers.locator("tr").count() == 2
    assert "Boulons Martin" in suppliers.inner_text()
    purchases = page.locator("#report-purchases_sales table tbody")
    assert labels["old"] in purchases.inner_text()
    assert labels["recent"] in purchases.inner_text()
    assert page.locator("#report-purchases_sales canvas").get_attribute("aria-hidden") == "true"

    # Three months only: the invoice of eight months ago leaves the tables and the charts.
    start = month_start(today, 3)
    page.locator("#id_from").fill(start.isoformat())
    page.locator("form[data-period-form] button[type=submit]").click()
    page.wait_for_url(re.compile(r"from=" + start.isoformat()))
    page.wait_for_function(chart_drawn("purchases_sales"))
    page.wait_for_function(chart_drawn("top_suppliers"))
    assert chart_labels(page, "purchases_sales") == 4
    assert chart_labels(page, "top_suppliers") == 1
    assert suppliers.locator("tr").count() == 1
    assert "Boulons Martin" not in suppliers.inner_text()
    assert "Meunerie Dupont" in suppliers.inner_text()
    assert labels["old"] not in purchases.inner_text()
    assert page.locator("#id_from").input_value() == start.isoformat()

    # The CSV of the top suppliers holds what the table shows.
    with page.expect_download() as download_info:
        page.locator("#report-top_suppliers a[download]").click()
    download = download_info.value
    assert download.suggested_filename.startswith("BOULANGERIE-top_suppliers-")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert len(rows[0]) == 5  # supplier, VAT number, currency, invoices, total
    assert rows[1:] == [["Meunerie Dupont", "", "EUR", "1", "121.00"]]

    # A bad period is refused with a message, in French.
    page.locator("#id_from").fill(today.isoformat())
    page.locator("#id_to").fill(start.isoformat())
    page.locator("form[data-period-form] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()
    assert page.locator("canvas").count() == 0


def test_without_javascript_the_tables_are_there(page_factory, boulangerie) -> None:
    page = page_factory(
        locale="fr-BE", java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    log_in(page, CLIENT)
    page.goto(f"/view/dossiers/{boulangerie['dossier'].public_id}/")
    suppliers = page.locator("#report-top_suppliers table")
    assert suppliers.is_visible()
    assert "Meunerie Dupont" in suppliers.inner_text()
    assert not page.locator("#report-top_suppliers [data-charts]").is_visible()
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert fits


ACCOUNTANT = "comptable@fiduciaire-demo.be"


def log_in_as(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("WinBooksID")).fill(email)
    page.locator("#id_password").fill(DEFAULT_DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/hub/")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_on_a_phone_view_tells_the_truth_and_fits_the_screen(page_factory, boulangerie) -> None:
    """French, 390 px: headline tiles first, a till receipt under "Sans fournisseur", never
    "NULL", the tables as cards, nothing to scroll sideways; an empty period says what to do,
    once."""
    dossier, today = boulangerie["dossier"], boulangerie["today"]
    sent_invoice(
        dossier,
        4,
        today - timedelta(days=3),
        category="expense",
        recognized={
            "supplier_name": "TICKET DE CAISSE",
            "supplier_vat": None,
            "issue_date": (today - timedelta(days=3)).isoformat(),
            "total_incl_vat": "23.40",
            "currency": None,
            "confidences": {"supplier_name": "0.30"},
        },
    )
    long_name = "Établissements " + "Meunier-Dupont-et-Fils" * 9  # 213 characters
    sent_invoice(
        dossier,
        5,
        today - timedelta(days=4),
        recognized={
            "supplier_name": long_name,
            "supplier_vat": "BE 0123.456.749",
            "issue_date": (today - timedelta(days=4)).isoformat(),
            "total_incl_vat": "12.00",
        },
    )
    Dossier.objects.filter(pk=dossier.pk).update(name="Boulangerie " + "Pâtisserie-" * 15)
    page = page_factory(locale="fr-BE", viewport={"width": 390, "height": 844})
    log_in(page, CLIENT)
    page.goto(f"/view/dossiers/{dossier.public_id}/")
    page.wait_for_function(chart_drawn("top_suppliers"))
    assert long_name in page.locator("#report-top_suppliers table").inner_text()
    assert page.locator("#tile-unpaid").is_visible() and page.locator("#tile-vat").is_visible()
    body = page.locator("main").inner_text()
    assert "NULL" not in body and "None" not in body and "TICKET" not in body
    suppliers = page.locator("#report-top_suppliers table tbody")
    assert "Sans fournisseur" in suppliers.inner_text()
    # A row is a card: the cells stack, each with its label.
    cell = page.locator("#report-top_suppliers tbody tr").first.locator("td").first
    assert cell.evaluate("td => getComputedStyle(td).display") == "flex"
    assert fits(page)

    page.goto(f"/view/dossiers/{dossier.public_id}/?from=2000-01-01&to=2000-12-31")
    assert page.locator(".view-empty").count() == 1
    assert page.locator("a[download]").count() == 0
    assert page.get_by_role("link", name="Ajouter des documents dans Connect").is_visible()
    assert fits(page)


def test_the_accountant_reads_view_in_dutch_on_a_desktop(page_factory, boulangerie) -> None:
    from users.models import User

    User.objects.filter(email=ACCOUNTANT).update(language="nl")
    page = page_factory(locale="nl-BE", viewport={"width": 1280, "height": 900})
    log_in_as(page, ACCOUNTANT)
    page.goto(f"/view/dossiers/{boulangerie['dossier'].public_id}/")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert "Btw van de periode" in page.locator("#tile-vat").inner_text()
    assert page.locator("#report-top_suppliers thead").is_visible()  # a table on a desktop
    assert fits(page)
    page.goto("/view/firm/")
    assert page.locator("#tile-new").is_visible()
    assert fits(page)


def test_the_firm_dashboard_of_many_dossiers_shows_the_longest_waits_then_all(
    page_factory, boulangerie
) -> None:
    """An accountant of more than 25 dossiers, on a phone in French: the 25 longest waits, a
    link to the whole list, which shows every dossier; nothing to scroll sideways."""
    from users.models import User

    accountant = User.objects.get(email=ACCOUNTANT)
    firm = boulangerie["dossier"].firm
    for number in range(ROWS_SHOWN + 2):
        extra = DossierFactory(firm=firm, code=f"MANY{number:02d}", accountant=accountant)
        grant(accountant, extra, "connect.accountant")
        issued = timezone.localdate() - timedelta(days=number + 1)
        sent_invoice(extra, 900 + number, issued, ready_at=timezone.now())
    total = Dossier.objects.filter(
        accesses__user=accountant, accesses__role="connect.accountant", connect_enabled=True
    ).count()
    page = page_factory(locale="fr-BE", viewport={"width": 390, "height": 844})
    log_in_as(page, ACCOUNTANT)
    page.goto("/view/firm/")
    waiting = page.locator("section[aria-labelledby=waiting-title] tbody tr")
    assert waiting.count() == ROWS_SHOWN
    assert "MANY26" in waiting.first.inner_text()  # the longest wait first
    assert fits(page)
    page.get_by_role("link", name=f"Afficher les {total} dossiers").click()
    page.wait_for_url("**/view/firm/?all=1")
    assert waiting.count() == total
    assert page.get_by_role("link", name=re.compile("Afficher les")).count() == 0
    assert fits(page)
