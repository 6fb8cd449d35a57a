"""The document page around the processing modes: facts, the e-invoice preview and its
attachments, the Optimum review form and the per-document mode."""

import base64
from http import HTTPStatus

import pytest
from django.utils import translation

from connect.documents import services
from connect.models import Document, Recognition
from dossiers.models import Dossier
from tests.connect import samples
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def receive(dossier: Dossier, user: User, data: bytes, name: str, commit) -> Document:
    with commit(execute=True):
        document = services.document_receive(
            dossier=dossier, actor=user, filename=name, chunks=[data], source="web"
        ).document
    document.refresh_from_db()
    return document


def with_attachment(data: bytes, content: bytes, mime: str) -> bytes:
    reference = (
        b"<cac:AdditionalDocumentReference><cbc:ID>att-1</cbc:ID><cac:Attachment>"
        b'<cbc:EmbeddedDocumentBinaryObject mimeCode="'
        + mime.encode()
        + b'" filename="bon.pdf">'
        + base64.b64encode(content)
        + b"</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>"
    )
    marker = b"<cac:AccountingSupplierParty>"
    return data.replace(marker, reference + marker, 1)


def test_the_einvoice_page_shows_its_preview_failed_checks_and_attachments(
    dossier: Dossier, client_user: User, auth_client, django_capture_on_commit_callbacks
) -> None:
    attached = samples.pdf(text="bon de commande")
    data = with_attachment(samples.ubl(), attached, "application/pdf")
    document = receive(
        dossier, client_user, data, "einvoice.xml", django_capture_on_commit_callbacks
    )
    item = document.attachments.get()
    assert (item.filename, item.type_matches, item.size) == ("bon.pdf", True, len(attached))
    client = auth_client(client_user)
    page = client.get(f"/connect/documents/{document.public_id}/")
    html = page.content.decode()
    assert page.status_code == HTTPStatus.OK
    assert "Snippet1" in html and "1656.25" in html.replace(",", ".").replace("\u202f", "")
    assert 'class="error-summary"' in html  # the fixture's VAT number fails its check: shown
    download = client.get(f"/connect/documents/{document.public_id}/attachments/{item.public_id}/")
    assert b"".join(download.streaming_content) == attached
    assert download["Content-Disposition"].startswith("attachment")
    with translation.override("nl"):
        client_user.language = "nl"
        client_user.save()
        dutch = auth_client(client_user).get(f"/connect/documents/{document.public_id}/")
    assert "Factuur" in dutch.content.decode()


def test_an_attachment_that_is_not_what_it_declares_is_flagged(
    dossier: Dossier, client_user: User, django_capture_on_commit_callbacks
) -> None:
    data = with_attachment(samples.ubl(), samples.image("PNG"), "application/pdf")
    document = receive(dossier, client_user, data, "e.xml", django_capture_on_commit_callbacks)
    item = document.attachments.get()
    assert item.type_matches is False and item.content_type == "image/png"


def test_the_accountant_reviews_facts_and_changes_the_mode_from_the_page(
    dossier: Dossier,
    client_user: User,
    accountant: User,
    auth_client,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    settings.CONNECT_REVIEW_THRESHOLD = 0.99
    Dossier.objects.filter(pk=dossier.pk).update(default_processing_mode="optimum")
    dossier.refresh_from_db()
    document = receive(
        dossier,
        client_user,
        samples.invoice_pdf(samples.BELGIAN_INVOICE),
        "garage.pdf",
        django_capture_on_commit_callbacks,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.documents_send(actor=client_user, dossier=dossier, documents=[document])
    document.refresh_from_db()
    assert document.recognition == Recognition.REVIEW
    client = auth_client(accountant)
    queue = client.get("/connect/review/")
    assert b"garage.pdf" in queue.content
    page = client.get(f"/connect/documents/{document.public_id}/").content.decode()
    assert 'name="supplier_vat"' in page and 'value="BE0403170701"' in page
    assert auth_client(client_user).get("/connect/review/").content.count(b"garage.pdf") == 0
    facts = {key: value or "" for key, value in document.recognized.items() if key != "confidence"}
    bad = client.post(
        f"/connect/documents/{document.public_id}/actions/review/",
        facts | {"structured_reference": "+++010/8068/17180+++"},
        follow=True,
    )
    assert "communication structurée" in bad.content.decode().lower()  # the user's French
    document.refresh_from_db()
    assert document.recognition == Recognition.REVIEW
    client.post(
        f"/connect/documents/{document.public_id}/actions/review/",
        facts | {"invoice_number": "F2026-0042B", "total_incl_vat": "1.234,56"},
    )
    document.refresh_from_db()
    assert document.recognition == Recognition.DONE
    assert document.recognized["invoice_number"] == "F2026-0042B"
    assert document.recognized["total_incl_vat"] == "1234.56"  # typed as the reader writes it
    assert document.recognized_machine["invoice_number"] == "F2026-0042"
    # The mode of one document: a light choice list, refused when the licence lacks it.
    refused = client.post(
        f"/connect/documents/{document.public_id}/actions/mode/",
        {"processing_mode": "deluxe"},
        follow=True,
    )
    assert refused.status_code == HTTPStatus.OK
    document.refresh_from_db()
    assert document.processing_mode == "optimum"


def test_the_inbox_shows_what_the_processing_mode_still_owes(
    dossier: Dossier,
    client_user: User,
    accountant: User,
    auth_client,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    settings.CONNECT_REVIEW_THRESHOLD = 0.99
    Dossier.objects.filter(pk=dossier.pk).update(default_processing_mode="optimum")
    dossier.refresh_from_db()
    document = receive(
        dossier,
        client_user,
        samples.invoice_pdf(samples.BELGIAN_INVOICE),
        "garage.pdf",
        django_capture_on_commit_callbacks,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.documents_send(actor=client_user, dossier=dossier, documents=[document])
    page = auth_client(accountant).get("/connect/inbox/").content.decode()
    with translation.override("fr"):
        assert str(Recognition.REVIEW.label) in page


def test_what_the_reader_noticed_is_shown_in_the_readers_language(
    dossier: Dossier, client_user: User, auth_client, django_capture_on_commit_callbacks
) -> None:
    document = receive(
        dossier, client_user, samples.pdf(), "scan.pdf", django_capture_on_commit_callbacks
    )
    Document.objects.filter(pk=document.pk).update(
        recognized={
            "confidence": "0.00",
            "notes": [
                {"code": "blank", "message": "The page is blank: nothing to read.", "value": None},
                {"code": "not_eu_vat", "message": "x", "value": "GSTIN 29ABCDE1234F1Z5"},
                {"code": "unknown-code", "message": "<script>", "value": None},
            ],
        }
    )
    client_user.language = "fr"
    client_user.save(update_fields=["language"])
    html = auth_client(client_user).get(f"/connect/documents/{document.public_id}/").content
    text = html.decode()
    assert "Remarqué à la lecture" in text
    with translation.override("fr"):
        assert translation.gettext("The page is blank: nothing to read.") in text.replace(
            "&#x27;", "'"
        )
    assert "GSTIN 29ABCDE1234F1Z5" in text
    assert "<script>" not in text.split("Remarqué à la lecture")[1].split("</ul>")[0]


def test_the_einvoice_preview_is_kept_with_the_document_not_read_on_each_view(
    dossier: Dossier, client_user: User, auth_client, django_capture_on_commit_callbacks
) -> None:
    from django.core.files.storage import default_storage

    document = receive(
        dossier, client_user, samples.ubl(), "einvoice.xml", django_capture_on_commit_callbacks
    )
    assert document.einvoice_preview is not None  # kept when the e-invoice was read
    # A document read before previews were kept: its first view reads the file, once.
    Document.objects.filter(pk=document.pk).update(einvoice_preview=None)
    client = auth_client(client_user)
    url = f"/connect/documents/{document.public_id}/"
    first = client.get(url).content.decode()
    assert "Snippet1" in first and 'class="ubl-preview"' in first
    document.refresh_from_db()
    assert document.einvoice_preview is not None
    # The file is not opened again: without it, the page still shows the same facts.
    default_storage.delete(document.storage_name)
    second = client.get(url).content.decode()
    assert "Snippet1" in second and 'class="error-summary"' in second
    for text in (first, second):
        assert "1656.25" in text.replace(",", ".").replace("\u202f", "")
    with translation.override("nl"):
        client_user.language = "nl"
        client_user.save()
        dutch = auth_client(client_user).get(url).content.decode()
    assert "Factuur" in dutch
    # The failed check's message is written in the reader's language.
    french = [line for line in second.splitlines() if "<li>" in line and "TVA" in line]
    assert french and all(line not in dutch for line in french)


def test_the_einvoice_lines_show_quantities_prices_and_rates_in_the_readers_format(
    dossier: Dossier, client_user: User, auth_client, django_capture_on_commit_callbacks
) -> None:
    data = (
        samples.ubl()
        .replace(b">7</cbc:InvoicedQuantity>", b">1234.500000</cbc:InvoicedQuantity>")
        .replace(b">400</cbc:PriceAmount>", b">1250.5</cbc:PriceAmount>")
    )
    document = receive(
        dossier, client_user, data, "einvoice.xml", django_capture_on_commit_callbacks
    )
    html = auth_client(client_user).get(f"/connect/documents/{document.public_id}/").content
    text = html.decode().replace("&nbsp;", "\u00a0")
    assert "1\u00a0234,5 <abbr" in text and "1234.5" not in text  # not "1234.500000"
    assert "1\u00a0250,50\u00a0EUR" in text  # a unit price keeps two decimals, grouped
    assert "25\u00a0%" in text and "25.0" not in text  # "25.0" in the file is 25 %
