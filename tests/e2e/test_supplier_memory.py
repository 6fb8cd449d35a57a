"""The supplier memory in a real browser: the accountant corrects the invoice number of a
printer's invoice in the review queue; the printer's next invoice arrives with its number
read right, and the supplier memory page shows where it was read. In French on a phone and
in Dutch on a desktop."""

import re

import pytest

from connect.documents import services
from connect.models import Document, Recognition
from dossiers.models import Dossier
from dossiers.services_demo import DEFAULT_DEMO_PASSWORD, demo_data_load
from tests.connect import samples
from users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLIENT = "client@boulangerie-demo.be"
ACCOUNTANT = "comptable@fiduciaire-demo.be"

WORDS = {
    "fr": {
        "login": "Se connecter",
        "number": "Numéro de facture",
        "save": "Enregistrer les données",
        "memory": "Mémoire des fournisseurs",
        "forget": "Oublier ce fournisseur",
    },
    "nl": {
        "login": "Aanmelden",
        "number": "Factuurnummer",
        "save": "De gegevens opslaan",
        "memory": "Leveranciersgeheugen",
        "forget": "Deze leverancier vergeten",
    },
}


def arrive(dossier: Dossier, client: User, data: bytes, name: str) -> Document:
    """The client sends an invoice; it is read at once (tasks run inline)."""
    document = services.document_receive(
        dossier=dossier, actor=client, filename=name, chunks=[data], source="web"
    ).document
    services.documents_send(actor=client, dossier=dossier, documents=[document])
    document.refresh_from_db()
    return document


@pytest.mark.parametrize(
    ("language", "viewport"),
    [("fr", {"width": 390, "height": 844}), ("nl", {"width": 1280, "height": 900})],
    ids=["fr-phone", "nl-desktop"],
)
def test_a_corrected_fact_is_read_right_on_the_suppliers_next_invoice(
    page_factory, tmp_path, settings, language: str, viewport: dict
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    words = WORDS[language]
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    User.objects.filter(email=ACCOUNTANT).update(language=language)
    Dossier.objects.filter(code="BOULANGERIE").update(default_processing_mode="optimum")
    boulangerie = Dossier.objects.get(code="BOULANGERIE")
    client = User.objects.get(email=CLIENT)
    first = arrive(boulangerie, client, samples.printer_invoice("DP-117"), "peeters-117.pdf")
    assert first.recognition == Recognition.REVIEW
    assert first.recognized["invoice_number"] is None

    page = page_factory(
        locale=f"{language}-BE",
        viewport=viewport,
        is_mobile=viewport["width"] < 500,
        has_touch=viewport["width"] < 500,
    )
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("WinBooksID")).fill(ACCOUNTANT)
    page.locator("#id_password").fill(DEFAULT_DEMO_PASSWORD)
    page.get_by_role("button", name=words["login"]).click()
    page.wait_for_url("**/hub/")

    # The review queue: the printer's invoice, its number missing; the accountant types it.
    page.goto("/connect/review/")
    page.get_by_role("link", name="peeters-117.pdf").click()
    number = page.get_by_label(re.compile("^" + words["number"]))
    assert number.input_value() == ""
    number.fill("DP-117")
    page.get_by_role("button", name=words["save"]).click()
    page.wait_for_load_state("load")
    first.refresh_from_db()
    assert first.recognition == Recognition.DONE

    # The printer's next invoice: its number is read where the accountant showed it.
    second = arrive(
        boulangerie, client, samples.printer_invoice("DP-305", "02/04/2026"), "peeters-305.pdf"
    )
    assert second.recognized["invoice_number"] == "DP-305"
    page.goto("/connect/review/")
    page.get_by_role("link", name="peeters-305.pdf").click()
    assert page.get_by_label(re.compile("^" + words["number"])).input_value() == "DP-305"
    page.get_by_role("button", name=words["save"]).click()  # confirmed as it is
    page.wait_for_load_state("load")

    # The supplier memory: the label it was read after, used once and confirmed once.
    page.goto("/connect/review/")
    page.get_by_role("link", name=words["memory"]).click()
    panel = page.locator("section.memory")
    assert panel.count() == 1
    assert "Drukkerij Peeters BV" in panel.inner_text()
    assert "Stuk" in panel.inner_text() and "75 %" in panel.inner_text()
    page.screenshot(path=str(tmp_path / f"supplier-memory-{language}.png"), full_page=True)
    panel.get_by_role("button", name=words["forget"]).click()
    page.wait_for_load_state("load")
    assert page.locator("section.memory").count() == 0
    third = arrive(boulangerie, client, samples.printer_invoice("DP-306"), "peeters-306.pdf")
    assert third.recognized["invoice_number"] is None  # forgotten: read as new
