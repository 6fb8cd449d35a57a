"""The accountant's work queue in a real browser, in Dutch on a desktop: two invoices in the
inbox sorted by supplier; the accountant opens the first and works both with the keyboard
only: j and k to look, b to book (the number, then Enter books and opens the next one), r to
reject (the reason, then Enter rejects and, the queue done, goes back to the inbox)."""

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


def arrive(dossier: Dossier, client: User, name: str, supplier: str) -> Document:
    document = services.document_receive(
        dossier=dossier,
        actor=client,
        filename=name,
        chunks=[samples.invoice_pdf([supplier, "Factuur 1", "Totaal 121,00 EUR"])],
        source="web",
    ).document
    services.documents_send(actor=client, dossier=dossier, documents=[document])
    Document.objects.filter(pk=document.pk).update(
        recognized={"supplier_name": supplier, "total_incl_vat": "121.00", "confidence": "0.90"}
    )
    return document


def test_the_accountant_books_and_rejects_two_documents_with_the_keyboard(
    page_factory, tmp_path, settings
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    User.objects.filter(email=ACCOUNTANT).update(language="nl")
    boulangerie = Dossier.objects.get(code="BOULANGERIE")
    profile = services.profile_for(boulangerie)
    profile.pre_validation = False
    profile.save()
    client = User.objects.get(email=CLIENT)
    second = arrive(boulangerie, client, "zeta.pdf", "Zeta Drukkerij")
    first = arrive(boulangerie, client, "alfa.pdf", "Alfa Bakkerijgroothandel")

    page = page_factory(locale="nl-BE", viewport={"width": 1280, "height": 900})
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("WinBooksID")).fill(ACCOUNTANT)
    page.locator("#id_password").fill(DEFAULT_DEMO_PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url("**/hub/")

    page.goto("/connect/inbox/?sort=supplier")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2
    assert "Alfa Bakkerijgroothandel" in rows.nth(0).inner_text()
    link = page.get_by_role("link", name="Alfa Bakkerijgroothandel")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/documents/{first.public_id}/?sort=supplier")
    assert page.get_by_role("heading", name="Sneltoetsen").is_visible()
    assert page.locator("img.page-image").first.evaluate("i => i.complete && i.naturalWidth > 0")

    # j and k: the next document of the queue and back.
    page.keyboard.press("j")
    page.wait_for_url(f"**/documents/{second.public_id}/?sort=supplier")
    page.keyboard.press("k")
    page.wait_for_url(f"**/documents/{first.public_id}/?sort=supplier")

    # b: the booking number; Enter books and opens the next one.
    page.keyboard.press("b")
    assert page.evaluate("document.activeElement.name") == "booking_number"
    page.keyboard.type("AANK-2026-0042")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/documents/{second.public_id}/?sort=supplier")
    assert "Het document werd geboekt." in page.locator(".messages").inner_text()
    page.screenshot(path=str(tmp_path / "work-queue-nl.png"), full_page=True)

    # Shortcuts wait while a field is being typed in: "j" in the reason is a letter.
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.name") == "reason"
    page.keyboard.type("Onleesbaar: stuur een scherpere foto, jullie kopie is wazig")
    page.keyboard.press("Enter")
    page.wait_for_url("**/connect/inbox/?sort=supplier")
    assert "Het document ging terug naar de klant." in page.locator(".messages").inner_text()
    assert page.locator("table.queue").count() == 0  # nothing left to work

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.booking_number) == ("booked", "AANK-2026-0042")
    assert second.status == "rejected"
    assert second.reject_reason == "Onleesbaar: stuur een scherpere foto, jullie kopie is wazig"


def test_a_page_that_fails_says_so_and_comes_back_on_try_again(
    page_factory, tmp_path, settings
) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = str(tmp_path / "media")
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    User.objects.filter(email=ACCOUNTANT).update(language="nl")
    boulangerie = Dossier.objects.get(code="BOULANGERIE")
    client = User.objects.get(email=CLIENT)
    document = arrive(boulangerie, client, "twee.pdf", "Twee Pagina's BV")
    document.refresh_from_db()
    assert document.thumbnail_name  # processed inline: the preview is ready
    with default_storage.open(document.storage_name, "rb") as handle:
        data = handle.read()
    default_storage.delete(document.storage_name)  # the storage hiccups

    page = page_factory(locale="nl-BE", viewport={"width": 1280, "height": 900})
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("WinBooksID")).fill(ACCOUNTANT)
    page.locator("#id_password").fill(DEFAULT_DEMO_PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url("**/hub/")
    page.goto(f"/connect/documents/{document.public_id}/")
    error = page.get_by_text("Deze pagina kon niet getoond worden.")
    error.wait_for()
    default_storage.save(document.storage_name, ContentFile(data))  # back
    page.get_by_role("button", name="Opnieuw proberen").click()
    image = page.locator("img.page-image").first
    page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=image.element_handle())
    assert not error.is_visible()
    # The zoom: + makes the page wider than its column, 0 fits it again.
    width = image.evaluate("i => i.getBoundingClientRect().width")
    page.keyboard.press("+")
    assert image.evaluate("i => i.getBoundingClientRect().width") > width * 1.4
    page.keyboard.press("0")
    assert image.evaluate("i => i.getBoundingClientRect().width") == width


@pytest.mark.parametrize("language", ["nl", "de", "fr"])
def test_every_column_of_the_inbox_fits_a_1280_px_screen(
    page_factory, tmp_path, settings, language
) -> None:
    """The status column was hidden behind a sideways scroll of the table at 1280 px, squeezed
    to three lines, and a dossier code was cut inside its word ("BOULAN-GERIE")."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    User.objects.filter(email=ACCOUNTANT).update(language=language)
    boulangerie = Dossier.objects.get(code="BOULANGERIE")
    client = User.objects.get(email=CLIENT)
    arrive(
        boulangerie, client, "facture-" + "tres-longue-" * 8 + ".pdf", "Transports Maes et Fils SRL"
    )
    arrive(boulangerie, client, "alfa.pdf", "Alfa Bakkerijgroothandel")

    page = page_factory(viewport={"width": 1280, "height": 900})
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(ACCOUNTANT)
    page.locator("#id_password").fill(DEFAULT_DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/hub/")
    page.goto("/connect/inbox/")
    fit = page.evaluate(
        """() => {
          const t = document.querySelector('table.queue');
          const code = [...t.querySelectorAll('tbody td a')]
            .find(a => a.textContent.trim() === 'BOULANGERIE');
          const line = parseFloat(getComputedStyle(code).lineHeight) || 20;
          return {table: t.scrollWidth, room: t.parentElement.clientWidth,
                  codeLines: Math.round(code.getBoundingClientRect().height / line)};
        }"""
    )
    assert fit["table"] <= fit["room"], fit
    assert fit["codeLines"] <= 1, fit
