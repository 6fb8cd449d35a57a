"""The document exchange in a real browser: the demo client uploads (which sends), the accountant
rejects, validates, books and shares, the client sees each outcome. In French on a phone and
in Dutch on a desktop."""

import re

import pytest

from connect.documents.services import profile_for
from connect.models import Document
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
        "send": "Envoyer au comptable",
        "upload": "Ajouter et envoyer",
        "facts": "Échéance, montant, remarque",
        "summary": "3 envoyés au comptable",
        "due": "Date d'échéance",
        "amount": "Montant",
        "reject": "Refuser",
        "validate": "Valider",
        "book": "Comptabiliser",
        "reason": "Motif pour le client",
        "number": "Numéro de comptabilisation",
        "archive": "Archive",
        "shared": "Partagés par mon comptable",
        "share": "Partager avec le client",
        "bank": "Extraits de compte",
        "documents": "Documents",
        "file": "Fichier",
        "binder": "Classeur",
    },
    "nl": {
        "login": "Aanmelden",
        "send": "Naar de boekhouder sturen",
        "upload": "Toevoegen en versturen",
        "facts": "Vervaldatum, bedrag, opmerking",
        "summary": "3 naar de boekhouder verstuurd",
        "due": "Vervaldatum",
        "amount": "Bedrag",
        "reject": "Weigeren",
        "validate": "Valideren",
        "book": "Boeken",
        "reason": "Reden voor de klant",
        "number": "Boekingsnummer",
        "archive": "Archief",
        "shared": "Gedeeld door mijn boekhouder",
        "share": "Delen met de klant",
        "bank": "Rekeninguittreksels",
        "documents": "Documenten",
        "file": "Bestand",
        "binder": "Klasseur",
    },
}


def log_in(page, email: str, words: dict) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("WinBooksID")).fill(email)
    page.locator("#id_password").fill(DEFAULT_DEMO_PASSWORD)
    page.get_by_role("button", name=words["login"]).click()
    page.wait_for_url(re.compile(r"/(hub|connect/dossiers/.+)/$"))  # a client lands in Connect


@pytest.mark.parametrize(
    ("language", "viewport"),
    [("fr", {"width": 390, "height": 844}), ("nl", {"width": 1280, "height": 900})],
    ids=["fr-phone", "nl-desktop"],
)
def test_documents_go_to_the_accountant_and_come_back(
    page_factory, tmp_path, settings, language: str, viewport: dict
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    words = WORDS[language]
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    User.objects.filter(email__in=[CLIENT, ACCOUNTANT]).update(language=language)
    boulangerie = Dossier.objects.get(code="BOULANGERIE")
    profile = profile_for(boulangerie)
    profile.pre_validation = True
    profile.save()
    for name, data in (
        ("farine.pdf", samples.pdf(1)),
        ("levure.pdf", samples.pdf(2)),
        ("ticket.jpg", samples.image("JPEG")),
        ("extrait.pdf", samples.pdf(3)),
    ):
        (tmp_path / name).write_bytes(data)

    # The client uploads two PDFs and a photo; one PDF gets its own due date and amount.
    # Uploading sends: there is no second step.
    client = page_factory(
        locale=f"{language}-BE",
        viewport=viewport,
        is_mobile=viewport["width"] < 500,
        has_touch=viewport["width"] < 500,
    )
    log_in(client, CLIENT, words)
    client.goto(f"/connect/dossiers/{boulangerie.public_id}/invoices/")
    client.locator("input[name=uploads]").set_input_files(
        [str(tmp_path / "farine.pdf"), str(tmp_path / "levure.pdf")]
    )
    client.locator("input[name=photos]").set_input_files([str(tmp_path / "ticket.jpg")])
    farine = client.locator(".upload-item", has_text="farine.pdf")
    farine.get_by_text(words["facts"]).click()
    farine.get_by_label(re.compile("^" + words["due"])).fill("2026-12-31")
    farine.get_by_label(re.compile("^" + words["amount"])).fill("242.00")
    client.get_by_role("button", name=words["upload"]).click()
    client.wait_for_function("() => document.querySelectorAll('.upload-ok').length === 3")
    summary = client.locator("[data-upload-summary]")
    summary.wait_for()
    assert summary.inner_text() == words["summary"]
    assert Document.objects.filter(dossier=boulangerie, status="sent").count() == 3
    amounts = dict(Document.objects.values_list("filename", "amount"))
    assert amounts == {"farine.pdf": 242, "levure.pdf": None, "ticket.jpg": None}
    fits = client.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert fits

    # The accountant sees them in the inbox, rejects one, validates and books another.
    accountant = page_factory(locale=f"{language}-BE", viewport=viewport)
    log_in(accountant, ACCOUNTANT, words)
    accountant.goto("/connect/inbox/")
    for name in ("farine.pdf", "levure.pdf", "ticket.jpg"):
        assert accountant.get_by_role("link", name=name).is_visible()
    accountant.get_by_role("link", name="farine.pdf").click()
    accountant.get_by_label(re.compile("^" + words["reason"])).fill("Illisible")
    accountant.get_by_role("button", name=words["reject"], exact=True).click()
    accountant.wait_for_load_state("load")
    accountant.goto("/connect/inbox/")
    accountant.get_by_role("link", name="levure.pdf").click()
    accountant.get_by_role("button", name=words["validate"]).click()
    accountant.wait_for_load_state("load")
    accountant.get_by_label(re.compile("^" + words["number"])).fill("ACH-2026-0042")
    accountant.get_by_role("button", name=words["book"], exact=True).click()
    accountant.wait_for_load_state("load")
    statuses = dict(Document.objects.values_list("filename", "status"))
    assert statuses == {"farine.pdf": "rejected", "levure.pdf": "booked", "ticket.jpg": "sent"}

    # The client sees the rejection as a card at the top of the desk, with its reason, and
    # the booked invoice in the archive.
    client.goto(f"/connect/dossiers/{boulangerie.public_id}/invoices/?tab=desk")
    card = client.locator(".card-rejected", has_text="farine.pdf")
    assert "Illisible" in card.inner_text()
    client.get_by_role("link", name=words["archive"]).click()
    archive = client.locator("table.documents").inner_text()
    assert "levure.pdf" in archive and "ACH-2026-0042" in archive

    # The accountant shares a PDF into Bank statements; the client finds it there.
    accountant.goto(f"/connect/dossiers/{boulangerie.public_id}/share/")
    accountant.get_by_label(re.compile("^" + words["file"])).set_input_files(
        str(tmp_path / "extrait.pdf")
    )
    accountant.get_by_label(re.compile("^" + words["binder"])).select_option(label=words["bank"])
    accountant.get_by_role("button", name=words["share"]).click()
    accountant.wait_for_load_state("load")
    client.goto(f"/connect/dossiers/{boulangerie.public_id}/documents/")
    client.get_by_role("link", name=words["shared"]).click()
    client.get_by_role("link", name=re.compile(words["bank"])).click()
    assert "extrait.pdf" in client.locator("table.documents").inner_text()
