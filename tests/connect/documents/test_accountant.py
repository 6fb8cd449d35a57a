"""The accountant's Connect: inbox, validate, reject, book, share, profile."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from connect.documents import services
from connect.documents.selectors import InboxFilters, inbox_for
from connect.models import Binder, Document, DocumentEvent
from core.errors import ServiceError
from dossiers.models import Dossier, Firm
from tests.connect import samples
from tests.factories import DossierFactory, UserFactory, grant
from users.models import User


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def sent_document(
    dossier: Dossier, client_user: User, name: str = "a.pdf", pages: int = 1, **facts
) -> Document:
    document = services.document_receive(
        dossier=dossier,
        actor=client_user,
        filename=name,
        chunks=[samples.pdf(pages)],
        source="web",
        **facts,
    ).document
    services.documents_send(actor=client_user, dossier=dossier, documents=[document])
    document.refresh_from_db()
    return document


def test_the_inbox_lists_sent_documents_of_the_accountants_dossiers_only(
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    accountant: User,
    other_dossier: Dossier,
) -> None:
    mine = sent_document(dossier, client_user, "mine.pdf")
    services.document_receive(
        dossier=dossier,
        actor=client_user,
        filename="desk.pdf",
        chunks=[samples.pdf(2)],
        source="web",
    )  # still on the desk
    elsewhere = DossierFactory(firm=firm)  # same firm, not the accountant's dossier
    neighbour = UserFactory()
    grant(neighbour, elsewhere, "connect.entrepreneur")
    sent_document(elsewhere, neighbour, "theirs.pdf", pages=3)
    page = inbox_for(actor=accountant, filters=InboxFilters())
    assert [d.filename for d in page.documents] == [mine.filename]
    assert inbox_for(actor=client_user, filters=InboxFilters()).documents == []


def test_the_inbox_paginates_by_keyset_and_filters(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    documents = [
        sent_document(
            dossier,
            client_user,
            f"{i}.pdf",
            pages=i + 1,
            category="expense" if i % 2 else "purchase_invoice",
        )
        for i in range(7)
    ]
    base = timezone.now()
    for i, document in enumerate(documents):
        Document.objects.filter(pk=document.pk).update(sent_at=base - timedelta(hours=i))
    seen, cursor = [], ""
    while True:
        page = inbox_for(actor=accountant, filters=InboxFilters(), cursor=cursor, size=3)
        seen += [d.filename for d in page.documents]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == [f"{i}.pdf" for i in range(7)]
    expenses = inbox_for(actor=accountant, filters=InboxFilters(category="expense"))
    assert [d.filename for d in expenses.documents] == ["1.pdf", "3.pdf", "5.pdf"]
    assert inbox_for(actor=accountant, filters=InboxFilters(), cursor="garbage!").documents


def test_reject_with_a_reason_returns_the_document_and_tells_the_client(
    dossier: Dossier,
    client_user: User,
    accountant: User,
    django_capture_on_commit_callbacks,
) -> None:
    client_user.language = "nl"
    client_user.save()
    document = sent_document(dossier, client_user)
    with pytest.raises(ServiceError):
        services.document_reject(actor=accountant, document=document, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.document_reject(
            actor=accountant, document=document, reason="Illisible, scannez à nouveau"
        )
    document.refresh_from_db()
    assert (document.status, document.reject_reason) == ("rejected", "Illisible, scannez à nouveau")
    (message,) = mail.outbox
    assert message.to == [client_user.email]
    assert "teruggestuurd" in message.subject  # Dutch, the client's language
    assert "Illisible" in message.body
    # The client corrects and sends it again.
    assert services.documents_send(actor=client_user, dossier=dossier, documents=[document]) == 1


def test_book_with_a_number_and_validate_when_the_profile_asks(
    dossier: Dossier,
    client_user: User,
    accountant: User,
) -> None:
    profile = services.profile_for(dossier)
    profile.pre_validation = True
    profile.save()
    document = sent_document(dossier, client_user)
    with pytest.raises(ServiceError):
        services.document_book(actor=accountant, document=document, booking_number="ACH-1")
    services.document_validate(actor=accountant, document=document)
    with pytest.raises(ServiceError):
        services.document_book(actor=accountant, document=document, booking_number="")
    services.document_book(actor=accountant, document=document, booking_number="ACH-2026-0042")
    document.refresh_from_db()
    assert (document.status, document.booking_number) == ("booked", "ACH-2026-0042")
    kinds = list(DocumentEvent.objects.filter(document=document).values_list("kind", flat=True))
    assert kinds == ["received", "sent", "validated", "booked"]
    with pytest.raises(ServiceError):
        services.document_reject(actor=accountant, document=document, reason="too late")


def test_the_client_cannot_use_the_accountants_actions(
    dossier: Dossier, client_user: User, auth_client
) -> None:
    document = sent_document(dossier, client_user)
    for action in ("validate", "reject", "book"):
        with pytest.raises(ServiceError):
            getattr(services, f"document_{action}")(
                actor=client_user,
                document=document,
                **(
                    {"reason": "x"}
                    if action == "reject"
                    else {"booking_number": "1"}
                    if action == "book"
                    else {}
                ),
            )
        url = reverse("connect:document_action", args=[document.public_id, action])
        response = auth_client(client_user).post(url, {"reason": "x", "booking_number": "1"})
        assert response.status_code == HTTPStatus.NOT_FOUND
    document.refresh_from_db()
    assert document.status == "sent"


def test_sharing_puts_a_document_in_the_clients_binder(
    dossier: Dossier,
    client_user: User,
    accountant: User,
    auth_client,
    django_capture_on_commit_callbacks,
) -> None:
    client = auth_client(accountant)
    client.get(reverse("connect:share", args=[dossier.public_id]))
    bank = Binder.objects.get(dossier=dossier, builtin="bank_statements")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("connect:share", args=[dossier.public_id]),
            {
                "file": SimpleUploadedFile("extrait.pdf", samples.pdf(2)),
                "binder": str(bank.public_id),
                "name": "Extrait mars",
                "keyword": "KBC",
                "comment": "Pour votre information",
            },
        )
    assert response.status_code == HTTPStatus.FOUND
    shared = Document.objects.get(source="shared")
    assert (shared.filename, shared.binder, shared.status, shared.category) == (
        "Extrait mars.pdf",
        bank,
        "shared",
        "bank_statement",
    )
    assert "partagé" in mail.outbox[-1].subject
    page = auth_client(client_user).get(
        reverse("connect:section", args=[dossier.public_id, "documents"])
        + f"?tab=shared&binder={bank.public_id}"
    )
    assert [d.filename for d in page.context["page"].object_list] == ["Extrait mars.pdf"]
    # The client cannot share.
    assert (
        auth_client(client_user).get(reverse("connect:share", args=[dossier.public_id])).status_code
        == 404
    )


def test_the_profile_drives_sending(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    response = auth_client(accountant).post(
        reverse("connect:profile", args=[dossier.public_id]),
        {
            "auto_send": "on",
            "require_due_date": "on",
            "allowed_categories": ["purchase_invoice", "expense"],
            "email_allow_list": "compta@fournisseur.be\n@proximus.be",
            "digest_hours": "12",
            "notify_client": "on",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    profile = services.profile_for(dossier)
    assert profile.sender_allowed("factures@proximus.be")
    assert not profile.sender_allowed("spam@example.com")
    # Automatic sending waits for the required due date.
    lacking = services.document_receive(
        dossier=dossier, actor=client_user, filename="a.pdf", chunks=[samples.pdf(1)], source="web"
    ).document
    assert lacking.status == "draft"
    with pytest.raises(ServiceError) as excinfo:
        services.documents_send(actor=client_user, dossier=dossier, documents=[lacking])
    assert excinfo.value.code == "facts_required"
    complete = services.document_receive(
        dossier=dossier,
        actor=client_user,
        filename="b.pdf",
        chunks=[samples.pdf(2)],
        source="web",
        due_date=timezone.localdate(),
    ).document
    assert complete.status == "sent"
    with pytest.raises(ServiceError):  # a category the profile does not allow
        services.document_receive(
            dossier=dossier,
            actor=client_user,
            filename="c.pdf",
            chunks=[samples.pdf(3)],
            source="web",
            category="payslip",
        )
    bad = auth_client(accountant).post(
        reverse("connect:profile", args=[dossier.public_id]),
        {"email_allow_list": "not an address", "digest_hours": "1"},
    )
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


def test_the_inbox_page_filters_and_refuses_bad_dates(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    sent_document(dossier, client_user, "a.pdf")
    client = auth_client(accountant)
    page = client.get(reverse("connect:inbox"), {"dossier": str(dossier.public_id)})
    assert page.status_code == HTTPStatus.OK
    assert "a.pdf" in page.content.decode()
    bad = client.get(reverse("connect:inbox"), {"sent_from": "2026-12-01", "sent_to": "2026-11-01"})
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert client.get(reverse("connect:inbox"), {"sent_from": "yesterday"}).status_code == 422


def test_an_accountant_with_one_dossier_lands_in_its_inbox(
    dossier: Dossier, accountant: User, auth_client
) -> None:
    response = auth_client(accountant).get(reverse("connect:home"))
    assert response["Location"].startswith(reverse("connect:inbox"))
    assert str(dossier.public_id) in response["Location"]


def test_an_accountant_with_several_dossiers_sees_what_waits_for_them_in_each(
    firm: Firm, dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    second = DossierFactory(firm=firm, connect_enabled=True, code="SECOND")
    grant(accountant, second, "connect.accountant")
    waiting = sent_document(dossier, client_user, "waiting.pdf")
    booked = sent_document(dossier, client_user, "booked.pdf", pages=2)
    services.document_book(actor=accountant, document=booked, booking_number="2026-0001")
    services.document_receive(
        dossier=dossier,
        actor=client_user,
        filename="desk.pdf",
        chunks=[samples.pdf(3)],
        source="web",
    )  # still on the client's desk: not the accountant's yet
    accountant.language = "fr"
    accountant.save(update_fields=["language"])

    body = auth_client(accountant).get(reverse("connect:home")).content.decode()

    assert "À traiter" in body
    counts = {
        code: int(row.split('data-label="À traiter">')[1].split("<")[0])
        for code in (dossier.code, "SECOND")
        for row in body.split("<tr>")
        if f"{code} · " in row
    }
    assert counts == {dossier.code: 1, "SECOND": 0}
    assert waiting.status == "sent"


@pytest.mark.parametrize("rows", [2, 120])
def test_the_inbox_query_count_does_not_grow(
    dossier: Dossier, accountant: User, auth_client, django_assert_max_num_queries, rows: int
) -> None:
    now = timezone.now()
    Document.objects.bulk_create(
        Document(
            firm=dossier.firm,
            dossier=dossier,
            filename=f"{i}.pdf",
            storage_name=f"x/{i}.pdf",
            content_type="application/pdf",
            size=10,
            sha256=f"{i:064d}",
            source="web",
            status="sent",
            sent_at=now,
        )
        for i in range(rows)
    )
    client = auth_client(accountant)
    client.get(reverse("connect:inbox"))
    with django_assert_max_num_queries(5):
        response = client.get(reverse("connect:inbox"))
    assert len(response.context["rows"]) == min(rows, 50)


def test_the_accountant_gets_one_digest_per_dossier_and_period(
    dossier: Dossier,
    client_user: User,
    accountant: User,
    django_capture_on_commit_callbacks,
) -> None:
    from connect.documents.notifications import accountant_digests_send

    accountant.language = "de"
    accountant.save()
    profile = services.profile_for(dossier)
    profile.digest_hours = 6
    profile.save()
    sent_document(dossier, client_user, "a.pdf", amount="10.00")
    sent_document(dossier, client_user, "b.pdf", pages=2)
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert accountant_digests_send(now=now) == 1
        assert accountant_digests_send(now=now + timedelta(hours=1)) == 0  # same period
    (digest,) = mail.outbox
    assert digest.to == [accountant.email]
    assert digest.subject == "ALPHA1: 2 neue Dokumente"
    assert "a.pdf" in digest.body and "b.pdf" in digest.body
    # Nothing new: no e-mail in the next period either.
    with django_capture_on_commit_callbacks(execute=True):
        assert accountant_digests_send(now=now + timedelta(hours=7)) == 0
    assert len(mail.outbox) == 1


def test_review_fixes_on_the_accountant_side(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    # The desk is the client's: the accountant cannot upload there.
    upload_url = reverse("connect:upload", args=[dossier.public_id])
    response = auth_client(accountant).post(
        upload_url, {"category": "other", "uploads": [SimpleUploadedFile("x.pdf", samples.pdf(4))]}
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    # Validation only exists with pre-validation.
    document = sent_document(dossier, client_user)
    with pytest.raises(ServiceError):
        services.document_validate(actor=accountant, document=document)
    # Sharing bytes the dossier already holds shares nothing and says so.
    client = auth_client(accountant)
    client.get(reverse("connect:share", args=[dossier.public_id]))
    bank = Binder.objects.get(dossier=dossier, builtin="bank_statements")
    response = client.post(
        reverse("connect:share", args=[dossier.public_id]),
        {"file": SimpleUploadedFile("same.pdf", samples.pdf(1)), "binder": str(bank.public_id)},
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert not Document.objects.filter(source="shared").exists()


def test_upload_and_send_with_a_missing_fact_keeps_the_file_and_explains(
    dossier: Dossier, client_user: User, auth_client
) -> None:
    profile = services.profile_for(dossier)
    profile.require_amount = True
    profile.save()
    response = auth_client(client_user).post(
        reverse("connect:upload", args=[dossier.public_id]),
        {
            "category": "purchase_invoice",
            "send": "on",
            "uploads": [SimpleUploadedFile("a.pdf", samples.pdf(5))],
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == HTTPStatus.OK
    messages = [r["message"] for r in response.json()["results"]]
    assert any("montant" in m for m in messages)
    assert Document.objects.get().status == "draft"


def test_the_clients_desk_stays_private_until_sent(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    draft = services.document_receive(
        dossier=dossier, actor=client_user, filename="d.pdf", chunks=[samples.pdf(6)], source="web"
    ).document
    url = reverse("connect:document", args=[draft.public_id])
    assert auth_client(accountant).get(url).status_code == HTTPStatus.NOT_FOUND
    assert auth_client(client_user).get(url).status_code == HTTPStatus.OK
    services.documents_send(actor=client_user, dossier=dossier, documents=[draft])
    assert auth_client(accountant).get(url).status_code == HTTPStatus.OK


def test_the_accountant_sets_the_dossiers_reminders(dossier, accountant, auth_client) -> None:
    from connect.models import ConnectProfile

    client = auth_client(accountant)
    url = f"/connect/dossiers/{dossier.public_id}/profile/"
    base = {"digest_hours": "24", "reminder_overdue_weekly": ""}
    refused = client.post(url, base | {"reminder_days": "7, x"})
    assert refused.status_code == 422
    assert not ConnectProfile.objects.filter(dossier=dossier, reminder_days="7, x").exists()
    client.post(url, base | {"reminder_days": "3, 14,0"})
    profile = ConnectProfile.objects.get(dossier=dossier)
    assert (profile.reminder_days, profile.reminder_overdue_weekly) == ("14,3,0", False)
