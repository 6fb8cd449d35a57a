"""What a newcomer sees after `make run` (issue 15, item 5): the demo data with its year of
activity, loaded by the command itself; the demo client of BOULANGERIE opens View and every
report shows figures, drawn as charts; the accountant's inbox lists documents to work on."""

import re

import pytest
from django.core.management import call_command

from dossiers.models import Dossier
from dossiers.services_demo import DEFAULT_DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLIENT = "client@boulangerie-demo.be"
ACCOUNTANT = "comptable@fiduciaire-demo.be"
REPORTS = ("purchases_sales", "top_suppliers", "unpaid", "documents", "waiting", "vat")


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("WinBooksID")).fill(email)
    page.locator("#id_password").fill(DEFAULT_DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/(hub|connect/dossiers/.+)/$"))


def chart_points(page, report: str) -> float:
    """The sum of the values a report's first chart draws (0 when it draws nothing)."""
    return page.evaluate(
        """(report) => {
            const canvas = document.querySelector('#report-' + report + ' canvas');
            const chart = canvas && window.Chart && window.Chart.getChart(canvas);
            if (!chart) return 0;
            return chart.data.datasets.flatMap(d => d.data).reduce((a, b) => a + Math.abs(b), 0);
        }""",
        report,
    )


def test_the_newcomer_sees_a_living_firm(page_factory, tmp_path, settings) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("demo_data", verbosity=0)
    boulangerie = Dossier.objects.get(code="BOULANGERIE")

    # The client: View's six reports, each with rows and a chart that draws figures.
    page = page_factory(locale="fr-BE", viewport={"width": 1280, "height": 900})
    log_in(page, CLIENT)
    page.goto("/view/")
    page.wait_for_url(f"**/view/dossiers/{boulangerie.public_id}/")
    assert page.get_by_text("Aucun chiffre pour cette période.").count() == 0
    for report in REPORTS:
        page.wait_for_function(
            "(r) => { const c = document.querySelector('#report-' + r + ' canvas');"
            " return !!(c && window.Chart && window.Chart.getChart(c)); }",
            arg=report,
        )
        assert chart_points(page, report) > 0, report
        assert page.locator(f"#report-{report} table tbody tr").count() > 0, report
    suppliers = page.locator("#report-top_suppliers table tbody").inner_text()
    assert "Meunerie Dupont SA" in suppliers
    # The client's desk holds what is not sent yet, and the document sent back with its reason.
    page.goto(f"/connect/dossiers/{boulangerie.public_id}/")
    desk = page.locator("main").inner_text()
    assert "D2026" in desk or "Farine D" in desk
    assert "deuxième page" in desk

    # The accountant: the inbox lists the documents that wait, the Peppol invoice among them.
    accountant = page_factory(locale="fr-BE", viewport={"width": 1280, "height": 900})
    log_in(accountant, ACCOUNTANT)
    accountant.goto("/connect/inbox/")
    rows = accountant.locator("table.queue tbody tr")
    assert rows.count() >= 5
    listed = accountant.locator("table.queue tbody").inner_text()
    assert "Torréfaction Liégeoise SRL" in listed
    assert "Meunerie Dupont SA" in listed
