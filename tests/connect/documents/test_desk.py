"""The client's desk: what needs their action, replacing and deleting a document."""

from http import HTTPStatus
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from connect.documents import services
from connect.models import Document, DocumentEvent, DocumentRead
from dossiers.models import Dossier
from tests.connect import samples
from tests.factories import UserFactory, grant
from users.models import User


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def receive(dossier: Dossier, client: User, name: str, pages: int = 1) -> Document:
    return services.document_receive(
        dossier=dossier, actor=client, filename=name, chunks=[samples.pdf(pages)], source="web"
    ).document


def rejected(dossier: Dossier, client: User, accountant: User, name: str) -> Document:
    document = receive(dossier, client, name)
    services.documents_send(actor=client, dossier=dossier, documents=[document])
    document.refresh_from_db()
    return services.document_reject(actor=accountant, document=document, reason="Page 2 manque")


def stored_files() -> list[str]:
    from django.conf import settings

    return sorted(str(p) for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def desk(client, dossier: Dossier) -> str:
    url = reverse("connect:section", args=[dossier.public_id, "invoices"])
    return client.get(url).content.decode()


def test_a_rejection_is_a_card_at_the_top_of_the_desk_with_its_reason(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    document = rejected(dossier, client_user, accountant, "telenet-novembre.pdf")
    page = desk(auth_client(client_user), dossier)
    cards = page[page.index('class="action-required"') : page.index('class="upload"')]
    assert "Un document demande votre action" in cards
    assert "telenet-novembre.pdf" in cards and "Page 2 manque" in cards
    assert reverse("connect:document_replace", args=[document.public_id]) in cards
    assert reverse("connect:document_delete", args=[document.public_id]) in cards


def test_replacing_a_rejected_document_sends_the_new_file_and_keeps_the_history(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    old = rejected(dossier, client_user, accountant, "telenet.pdf")
    client = auth_client(client_user)
    response = client.post(
        reverse("connect:document_replace", args=[old.public_id]),
        {"file": SimpleUploadedFile("telenet-complet.pdf", samples.pdf(2))},
    )
    assert response.status_code == HTTPStatus.FOUND
    old.refresh_from_db()
    new = Document.objects.get(replaces=old)
    assert (old.status, new.status, new.filename) == ("withdrawn", "sent", "telenet-complet.pdf")
    assert new.page_count == 2
    kinds = list(DocumentEvent.objects.filter(document=old).values_list("kind", "note"))
    assert kinds[-1] == ("replaced", "telenet-complet.pdf")
    page = desk(client, dossier)
    assert "demande votre action" not in page  # the card is gone
    # the accountant sees the new file, not the withdrawn one
    assert old.public_id not in {d.public_id for d in Document.objects.filter(status="sent")}


def test_replacing_with_the_same_bytes_changes_nothing(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    old = rejected(dossier, client_user, accountant, "a.pdf")
    before = Document.objects.count()
    response = auth_client(client_user).post(
        reverse("connect:document_replace", args=[old.public_id]),
        {"file": SimpleUploadedFile("again.pdf", samples.pdf(1))},
        follow=True,
    )
    assert "choisissez le fichier corrigé" in response.content.decode()
    old.refresh_from_db()
    assert (old.status, Document.objects.count()) == ("rejected", before)


def test_a_refused_new_file_leaves_the_rejected_document_as_it_was(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    old = rejected(dossier, client_user, accountant, "a.pdf")
    files_before = stored_files()
    response = auth_client(client_user).post(
        reverse("connect:document_replace", args=[old.public_id]),
        {"file": SimpleUploadedFile("x.exe", samples.EXECUTABLE)},
        follow=True,
    )
    assert "x.exe" in response.content.decode()
    old.refresh_from_db()
    assert old.status == "rejected" and Document.objects.count() == 1
    assert stored_files() == files_before


def test_deleting_a_draft_removes_it_and_its_file(
    client_user: User, dossier: Dossier, auth_client, django_capture_on_commit_callbacks
) -> None:
    document = receive(dossier, client_user, "oops.pdf")
    client = auth_client(client_user)
    client.get(reverse("connect:document", args=[document.public_id]))  # a read of it
    assert DocumentRead.objects.filter(document_public_id=document.public_id).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("connect:document_delete", args=[document.public_id]))
    assert response.status_code == HTTPStatus.FOUND
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not default_storage.exists(document.storage_name)


def test_deleting_a_rejected_document_withdraws_it_and_keeps_its_history(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    document = rejected(dossier, client_user, accountant, "a.pdf")
    auth_client(client_user).post(reverse("connect:document_delete", args=[document.public_id]))
    document.refresh_from_db()
    assert document.status == "withdrawn"
    assert default_storage.exists(document.storage_name)
    assert document.events.last().kind == "withdrawn"


def test_what_was_sent_cannot_be_deleted_or_replaced(
    client_user: User, dossier: Dossier, auth_client
) -> None:
    document = receive(dossier, client_user, "a.pdf")
    services.documents_send(actor=client_user, dossier=dossier, documents=[document])
    client = auth_client(client_user)
    client.post(reverse("connect:document_delete", args=[document.public_id]))
    client.post(
        reverse("connect:document_replace", args=[document.public_id]),
        {"file": SimpleUploadedFile("b.pdf", samples.pdf(2))},
    )
    document.refresh_from_db()
    assert document.status == "sent" and Document.objects.count() == 1


def test_only_the_dossiers_client_may_delete_or_replace(
    client_user: User, accountant: User, dossier: Dossier, other_dossier: Dossier, auth_client
) -> None:
    document = rejected(dossier, client_user, accountant, "a.pdf")
    stranger = UserFactory()
    grant(stranger, other_dossier, "connect.entrepreneur")
    for user, expected in ((stranger, 404), (accountant, 404)):
        client = auth_client(user)
        assert (
            client.post(reverse("connect:document_delete", args=[document.public_id])).status_code
            == expected
        )
        response = client.post(
            reverse("connect:document_replace", args=[document.public_id]),
            {"file": SimpleUploadedFile("b.pdf", samples.pdf(2))},
        )
        assert response.status_code == expected
    document.refresh_from_db()
    assert document.status == "rejected" and Document.objects.count() == 1


def test_the_form_of_a_rejected_invoice_starts_from_what_was_read(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    """Facts per document: an invoice back on the desk offers the amount and due date read
    from it where the client typed none, said to be read from the document."""
    document = rejected(dossier, client_user, accountant, "a.pdf")
    Document.objects.filter(pk=document.pk).update(
        recognized={"payable_amount": "1656.25", "due_date": "2027-01-15", "total_incl_vat": "9"}
    )
    client = auth_client(client_user)
    page = client.get(reverse("connect:document", args=[document.public_id]))
    form = page.context["form"]
    assert (str(form.initial["amount"]), str(form.initial["due_date"])) == (
        "1656.25",
        "2027-01-15",
    )
    assert "Lu sur le document" in page.content.decode()
    # What the client typed wins over what was read.
    Document.objects.filter(pk=document.pk).update(amount=10)
    page = client.get(reverse("connect:document", args=[document.public_id]))
    assert page.context["form"].initial["amount"] == 10
    assert page.content.decode().count("Lu sur le document") == 1  # the due date only


def test_a_withdrawn_file_may_come_again_and_is_no_earlier_copy(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    """What the client took back does not hold its bytes, and is no earlier copy for the
    duplicate check of a corrected invoice."""
    from connect.documents.services.pipeline import duplicate_find

    document = rejected(dossier, client_user, accountant, "a.pdf")
    facts = {"supplier_vat": "BE0403019261", "invoice_number": "F-1", "payable_amount": "12.00"}
    Document.objects.filter(pk=document.pk).update(recognized=facts)
    auth_client(client_user).post(reverse("connect:document_delete", args=[document.public_id]))
    again = receive(dossier, client_user, "a-again.pdf")  # the same bytes as a.pdf
    assert again.pk != document.pk and again.status == "draft"
    assert duplicate_find(again, facts) is None
    document.refresh_from_db()
    assert document.status == "withdrawn"


def test_view_does_not_count_what_the_client_took_back(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    from connect.documents.selectors import left_the_desk

    kept = receive(dossier, client_user, "kept.pdf", pages=2)
    services.documents_send(actor=client_user, dossier=dossier, documents=[kept])
    taken_back = rejected(dossier, client_user, accountant, "taken-back.pdf")
    auth_client(client_user).post(reverse("connect:document_delete", args=[taken_back.public_id]))
    assert list(left_the_desk(dossier)) == [Document.objects.get(pk=kept.pk)]


def test_the_desk_banner_action_is_the_clients_only(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    draft = receive(dossier, client_user, "a.pdf")
    response = auth_client(accountant).post(
        reverse("connect:send_desk", args=[dossier.public_id]), {"section": "invoices"}
    )
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft"
