"""Working together in a real browser: the accountant asks for the October bank statements,
the client finds the request on the desk and uploads into it, the accountant accepts; the
client opens a conversation on an invoice, the accountant answers, and both see their unread
counts change."""

import re

import pytest

from connect.documents import services
from connect.models import DocumentRequest, Message, RequestStatus
from dossiers.models import Dossier
from dossiers.services_demo import DEFAULT_DEMO_PASSWORD, demo_data_load
from tests.connect import samples
from users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLIENT = "client@boulangerie-demo.be"
ACCOUNTANT = "comptable@fiduciaire-demo.be"


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("WinBooksID")).fill(email)
    page.locator("#id_password").fill(DEFAULT_DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/(hub|connect/dossiers/.+)/$"))  # a client lands in Connect


def unread(page) -> str:
    """The header's Messages link as a screen reader announces it (read on the hub: opening
    the thread itself would mark it read)."""
    page.goto("/hub/")
    link = page.locator("header a[href='/connect/messages/']")
    return link.get_attribute("aria-label") or link.inner_text()


def test_a_request_is_answered_and_a_conversation_moves_the_unread_counts(
    page_factory, tmp_path, settings
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    User.objects.filter(email__in=[CLIENT, ACCOUNTANT]).update(language="en")
    boulangerie = Dossier.objects.get(code="BOULANGERIE")
    Dossier.objects.filter(pk=boulangerie.pk).update(default_processing_mode="transport")
    client_user = User.objects.get(email=CLIENT)
    invoice = services.document_receive(
        dossier=boulangerie,
        actor=client_user,
        filename="facture-meunerie.pdf",
        chunks=[samples.pdf(text="Meunerie")],
        source="web",
    ).document
    services.documents_send(actor=client_user, dossier=boulangerie, documents=[invoice])
    statement = tmp_path / "extrait-octobre.pdf"
    statement.write_bytes(samples.pdf(2, text="Octobre"))

    # The accountant asks for the bank statements of October, with a due date.
    accountant = page_factory(locale="en-BE", viewport={"width": 1280, "height": 900})
    log_in(accountant, ACCOUNTANT)
    accountant.goto(f"/connect/dossiers/{boulangerie.public_id}/requests/new/")
    accountant.get_by_label(re.compile("^Documents needed")).fill("Bank statements for October")
    accountant.get_by_label(re.compile("^Period")).fill("October 2026")
    accountant.get_by_label(re.compile("^Due date")).fill("2026-12-15")
    accountant.get_by_role("button", name="Send the request").click()
    accountant.wait_for_load_state("load")
    request = DocumentRequest.objects.get(dossier=boulangerie)
    assert request.status == RequestStatus.REQUESTED

    # The client sees it on the desk (on a phone), opens it and uploads into it.
    client = page_factory(
        locale="en-BE", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    log_in(client, CLIENT)
    client.goto(f"/connect/dossiers/{boulangerie.public_id}/documents/")
    client.get_by_role("link", name=re.compile("Bank statements for October")).click()
    client.get_by_label(re.compile("^Files")).set_input_files(str(statement))
    client.get_by_role("button", name="Send the documents").click()
    client.wait_for_load_state("load")
    request.refresh_from_db()
    assert request.status == RequestStatus.PROVIDED
    assert request.documents.get().filename == "extrait-octobre.pdf"
    fits = client.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert fits

    # The accountant accepts it.
    accountant.goto(f"/connect/requests/{request.public_id}/")
    assert "extrait-octobre.pdf" in accountant.content()
    accountant.get_by_role("button", name="Accept").click()
    accountant.wait_for_load_state("load")
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED

    # The client writes about an invoice; the accountant's unread count goes up.
    assert "1 unread" not in unread(accountant)
    client.goto(f"/connect/documents/{invoice.public_id}/messages/")
    client.get_by_role("textbox", name=re.compile("^Message")).fill("The right flour invoice?")
    client.get_by_role("button", name="Send the message").click()
    client.wait_for_load_state("load")
    assert Message.objects.count() == 1
    assert "1 unread" in unread(accountant)
    assert "unread" not in unread(client)

    # The accountant opens the thread from the header and answers.
    accountant.locator("header a[href='/connect/messages/']").click()
    accountant.get_by_role("link", name=re.compile("facture-meunerie.pdf|flour")).first.click()
    accountant.get_by_role("textbox", name=re.compile("^Message")).fill("Yes, booked in November.")
    accountant.get_by_role("button", name="Send the message").click()
    accountant.wait_for_load_state("load")
    assert "unread" not in unread(accountant)
    assert "1 unread" in unread(client)
    client.goto(f"/connect/documents/{invoice.public_id}/messages/")
    assert "Yes, booked in November." in client.content()
    assert "unread" not in unread(client)
