"""The everyday work of issue 14 in a real browser, in French on a 390x844 phone and in Dutch on
a desktop: the client uploads three PDFs and a three-photo capture, one of them with its own
amount and due date, which the accountant sees flagged against the total read from the
invoice; everything reaches the accountant's queue without a second step; the
accountant works the queue with the keyboard (book and next, reject and next); the client sees
the rejection as a card with its reason and replaces the file."""

import re

import pytest

from connect.documents import services
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
        "upload": "Ajouter et envoyer",
        "facts": "Échéance, montant, remarque",
        "due": "Date d'échéance",
        "amount": "Montant",
        "summary": "4 envoyés au comptable",
        "booked": "Le document a été comptabilisé.",
        "rejected": "Le document a été renvoyé au client.",
        "replace": "Remplacer et envoyer",
        "replaced": "remplace",
        "mismatch": "écart : le client a saisi 99,50",
    },
    "nl": {
        "login": "Aanmelden",
        "upload": "Toevoegen en versturen",
        "facts": "Vervaldatum, bedrag, opmerking",
        "due": "Vervaldatum",
        "amount": "Bedrag",
        "summary": "4 naar de boekhouder verstuurd",
        "booked": "Het document werd geboekt.",
        "rejected": "Het document ging terug naar de klant.",
        "replace": "Vervangen en versturen",
        "replaced": "vervangt",
        "mismatch": "verschil: de klant typte 99,50",
    },
}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def log_in(page, email: str, words: dict[str, str]) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("WinBooksID")).fill(email)
    page.locator("#id_password").fill(DEFAULT_DEMO_PASSWORD)
    page.get_by_role("button", name=words["login"]).click()
    page.wait_for_load_state("load")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize(
    ("language", "viewport"), [("fr", PHONE), ("nl", DESKTOP)], ids=["fr-phone", "nl-desktop"]
)
def test_upload_sends_the_queue_is_worked_by_keyboard_and_a_rejection_is_replaced(
    page_factory, tmp_path, settings, language: str, viewport: dict
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    words = WORDS[language]
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    User.objects.filter(email__in=(CLIENT, ACCOUNTANT)).update(language=language)
    boulangerie = Dossier.objects.get(code="BOULANGERIE")
    profile = services.profile_for(boulangerie)
    profile.pre_validation = False
    profile.save()
    for index, name in enumerate(("meunerie.pdf", "electricite.pdf")):
        (tmp_path / name).write_bytes(samples.pdf(index + 1))
    # The invoice whose amount the client types differently from its total (121,00).
    (tmp_path / "emballages.pdf").write_bytes(samples.invoice_pdf(samples.BELGIAN_INVOICE))
    for index in range(3):
        (tmp_path / f"page{index}.jpg").write_bytes(samples.image("JPEG", (600 + index, 800)))
    (tmp_path / "meunerie-complete.pdf").write_bytes(samples.pdf(4))
    phone = viewport["width"] < 500

    # The client: three PDFs, one with its own amount and due date, and three photos taken one
    # after the other, which gather in the strip.
    client = page_factory(
        locale=f"{language}-BE", viewport=viewport, is_mobile=phone, has_touch=phone
    )
    log_in(client, CLIENT, words)
    client.goto(f"/connect/dossiers/{boulangerie.public_id}/invoices/")
    client.locator("input[name=uploads]").set_input_files(
        [str(tmp_path / n) for n in ("meunerie.pdf", "emballages.pdf", "electricite.pdf")]
    )
    emballages = client.locator(".upload-item", has_text="emballages.pdf")
    emballages.get_by_text(words["facts"]).click()
    emballages.get_by_label(re.compile("^" + words["due"])).fill("2027-01-31")
    emballages.get_by_label(re.compile("^" + words["amount"])).fill("99.50")
    for index in range(3):
        client.locator("input[name=photos]").set_input_files(str(tmp_path / f"page{index}.jpg"))
    assert client.locator(".strip-page").count() == 3
    assert fits(client)
    client.get_by_role("button", name=words["upload"]).click()
    client.wait_for_function("() => document.querySelectorAll('.upload-ok').length === 4")
    summary = client.locator("[data-upload-summary]")
    assert summary.inner_text() == words["summary"]
    documents = Document.objects.filter(dossier=boulangerie)
    assert sorted(documents.values_list("status", flat=True)) == ["sent"] * 4
    facts = {d.filename: (d.amount, d.due_date and d.due_date.isoformat()) for d in documents}
    assert facts == {
        "meunerie.pdf": (None, None),
        "emballages.pdf": (99.5, "2027-01-31"),
        "electricite.pdf": (None, None),
        "page0.pdf": (None, None),
    }
    assert documents.get(filename="page0.pdf").page_count == 3
    assert fits(client)

    # The accountant: the four are in the queue; the first is booked and the second rejected
    # with the keyboard only, each action opening the next document.
    accountant = page_factory(
        locale=f"{language}-BE", viewport=viewport, is_mobile=phone, has_touch=phone
    )
    log_in(accountant, ACCOUNTANT, words)
    accountant.goto("/connect/inbox/?sort=document")
    assert accountant.locator("table.queue tbody tr").count() == 4
    # The amount the client typed differs from the total read from the invoice: flagged there,
    # and only there.
    flagged = accountant.locator("table.queue tbody tr", has_text=words["mismatch"])
    assert flagged.count() == 1
    assert "emballages.pdf" in flagged.inner_text()
    link = accountant.locator("table.queue tbody tr").first.locator("a[href*='/documents/']")
    link.first.focus()
    accountant.keyboard.press("Enter")
    accountant.wait_for_url("**/documents/**")
    first_url = accountant.url
    accountant.keyboard.press("b")
    accountant.keyboard.type("ACH-2026-0101")
    accountant.keyboard.press("Enter")
    accountant.wait_for_url(lambda url: url != first_url and "/documents/" in url)
    assert words["booked"] in accountant.locator(".messages").inner_text()
    second_url = accountant.url
    accountant.keyboard.press("r")
    accountant.keyboard.type("La page 2 manque" if language == "fr" else "Pagina 2 ontbreekt")
    accountant.keyboard.press("Enter")
    accountant.wait_for_url(lambda url: url != second_url)
    assert words["rejected"] in accountant.locator(".messages").inner_text()
    statuses = sorted(Document.objects.values_list("status", flat=True))
    assert statuses == ["booked", "rejected", "sent", "sent"]
    rejected = Document.objects.get(status="rejected")
    assert fits(accountant)

    # The client: the rejection is a card with its reason; the file is replaced and sent.
    client.goto(f"/connect/dossiers/{boulangerie.public_id}/invoices/")
    card = client.locator(".card-rejected", has_text=rejected.filename)
    assert rejected.reject_reason in card.inner_text()
    card.locator("input[type=file]").set_input_files(str(tmp_path / "meunerie-complete.pdf"))
    card.get_by_role("button", name=words["replace"]).click()
    client.wait_for_load_state("load")
    assert words["replaced"] in client.locator(".messages").inner_text()
    assert client.locator(".card-rejected").count() == 0
    rejected.refresh_from_db()
    new = Document.objects.get(replaces=rejected)
    assert (rejected.status, new.status, new.filename) == (
        "withdrawn",
        "sent",
        "meunerie-complete.pdf",
    )
    assert fits(client)
