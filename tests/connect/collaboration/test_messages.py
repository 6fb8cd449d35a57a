"""Messages: threads of a dossier's users, general or about a document; unread counts; a file
sent with a message; e-mails to the other users; nobody else sees a thing."""

from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from connect.collaboration.messages.selectors import (
    thread_get_for,
    thread_list_for,
    unread_count_for,
)
from connect.collaboration.messages.services import (
    message_post,
    message_recipients,
    thread_create,
    thread_mark_read,
)
from connect.documents import services
from connect.documents.selectors import document_get_for
from connect.models import Binder, Document, Message, Thread, ThreadRead
from core.errors import ServiceError
from core.models import OutboundEmail
from dossiers.models import Dossier, DossierAccess, Firm, FirmMembership
from tests.connect import samples
from tests.factories import DossierFactory, UserFactory, grant
from users.models import User


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def stored_files() -> list[str]:
    root = Path(django_settings.MEDIA_ROOT)
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def sent_invoice(dossier: Dossier, client_user: User, name: str = "facture.pdf") -> Document:
    document = services.document_receive(
        dossier=dossier,
        actor=client_user,
        filename=name,
        chunks=[samples.pdf(1, text=name)],
        source="web",
    ).document
    services.documents_send(actor=client_user, dossier=dossier, documents=[document])
    document.refresh_from_db()
    return document


def counts() -> tuple[int, ...]:
    return (
        Thread.objects.count(),
        Message.objects.count(),
        Document.objects.count(),
        ThreadRead.objects.count(),
        OutboundEmail.objects.count(),
    )


# --- services and selectors -----------------------------------------------------------------


def test_a_thread_and_its_answer_move_the_unread_counts_of_both_sides(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    invoice = sent_invoice(dossier, client_user)
    assert unread_count_for(actor=client_user) == unread_count_for(actor=accountant) == 0
    thread = thread_create(
        actor=client_user,
        dossier=dossier,
        document=invoice,
        subject="",
        body="Cette facture est-elle déductible ?",
    )
    assert thread.subject == "facture.pdf"  # a document's thread is named after it
    assert (unread_count_for(actor=client_user), unread_count_for(actor=accountant)) == (0, 1)
    (listed,) = thread_list_for(actor=accountant)
    assert (listed, listed.unread) == (thread, 1)

    thread_mark_read(actor=accountant, thread=thread)
    assert unread_count_for(actor=accountant) == 0
    message_post(actor=accountant, thread=thread, body="Oui, à 100 %.")
    message_post(actor=accountant, thread=thread, body="Gardez l'original.")
    assert (unread_count_for(actor=client_user), unread_count_for(actor=accountant)) == (2, 0)
    assert thread_list_for(actor=client_user, dossier=dossier)[0].unread == 2

    thread_mark_read(actor=client_user, thread=thread)
    assert unread_count_for(actor=client_user) == 0
    thread.refresh_from_db()
    assert thread.last_message_at == Message.objects.latest("created_at").created_at


def test_reading_never_moves_back(dossier: Dossier, client_user: User, accountant: User) -> None:
    thread = thread_create(actor=client_user, dossier=dossier, subject="TVA", body="Bonjour")
    first = Message.objects.get()
    message_post(actor=client_user, thread=thread, body="Encore une question")
    thread_mark_read(actor=accountant, thread=thread)
    # A page opened before the second message arrives later: nothing becomes unread again.
    thread_mark_read(actor=accountant, thread=thread, until=first.created_at)
    assert unread_count_for(actor=accountant) == 0
    assert ThreadRead.objects.filter(user=accountant).count() == 1


def test_a_document_has_one_conversation(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    invoice = sent_invoice(dossier, client_user)
    first = thread_create(
        actor=client_user, dossier=dossier, document=invoice, subject="Q", body="Une question"
    )
    second = thread_create(
        actor=accountant, dossier=dossier, document=invoice, subject="R", body="Une réponse"
    )
    assert first == second
    assert list(first.messages.values_list("body", flat=True)) == ["Une question", "Une réponse"]


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "body_required"), ("   \n\t ", "body_required"), ("x" * 5001, "body_too_long")],
)
def test_a_message_needs_a_body_of_at_most_5000_characters(
    dossier: Dossier, client_user: User, body: str, code: str
) -> None:
    with pytest.raises(ServiceError) as refused:
        thread_create(actor=client_user, dossier=dossier, subject="TVA", body=body)
    assert refused.value.code == code
    thread = thread_create(actor=client_user, dossier=dossier, subject="TVA", body="x" * 5000)
    with pytest.raises(ServiceError):
        message_post(actor=client_user, thread=thread, body=body)
    assert Message.objects.count() == 1


def test_a_draft_on_the_desk_gets_no_conversation(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    draft = services.document_receive(
        dossier=dossier,
        actor=client_user,
        filename="brouillon.pdf",
        chunks=[samples.pdf()],
        source="web",
    ).document
    with pytest.raises(ServiceError) as refused:
        thread_create(actor=client_user, dossier=dossier, document=draft, subject="", body="?")
    assert refused.value.code == "document_draft"
    assert Thread.objects.count() == 0


def test_a_file_from_the_client_reaches_the_accountant(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    thread = thread_create(
        actor=client_user,
        dossier=dossier,
        subject="Contrat",
        body="Voici le contrat signé.",
        filename="contrat.pdf",
        chunks=[samples.pdf(2)],
    )
    message = thread.messages.get()
    attachment = message.attachment
    assert attachment is not None
    assert (attachment.source, attachment.category, attachment.status) == ("web", "other", "sent")
    assert attachment.uploaded_by == client_user
    # Both sides open it.
    assert document_get_for(actor=accountant, public_id=attachment.public_id) == attachment
    assert document_get_for(actor=client_user, public_id=attachment.public_id) == attachment


def test_a_file_from_the_accountant_is_shared_in_the_reports_binder(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    invoice = sent_invoice(dossier, client_user)
    thread = thread_create(
        actor=client_user, dossier=dossier, document=invoice, subject="", body="Et le relevé ?"
    )
    message = message_post(
        actor=accountant,
        thread=thread,
        body="Le voici.",
        filename="releve.pdf",
        chunks=[samples.pdf(3)],
    )
    attachment = message.attachment
    assert attachment is not None
    reports = Binder.objects.get(dossier=dossier, builtin="reports")
    assert (attachment.source, attachment.status, attachment.binder) == (
        "shared",
        "shared",
        reports,
    )
    assert document_get_for(actor=client_user, public_id=attachment.public_id) == attachment


@pytest.mark.parametrize("author", ["client_user", "accountant"])
def test_a_refused_file_refuses_the_whole_message(
    request: pytest.FixtureRequest, dossier: Dossier, client_user: User, author: str
) -> None:
    actor = request.getfixturevalue(author)
    thread = thread_create(actor=client_user, dossier=dossier, subject="TVA", body="Bonjour")
    before, files = counts(), stored_files()
    with pytest.raises(ServiceError) as refused:
        message_post(
            actor=actor,
            thread=thread,
            body="Voici",
            filename="facture.pdf",
            chunks=[b"<html><script>alert(1)</script></html>"],
        )
    assert refused.value.field == "file"
    with pytest.raises(ServiceError):
        thread_create(
            actor=actor,
            dossier=dossier,
            subject="Nouveau",
            body="Voici",
            filename="vide.pdf",
            chunks=[b""],
        )
    assert counts() == before
    assert stored_files() == files


def test_a_file_the_dossier_cannot_send_leaves_nothing(dossier: Dossier, client_user: User) -> None:
    """The file is stored, then sending it fails (the profile wants a due date): the row and
    the stored file both go."""
    profile = services.profile_for(dossier)
    profile.require_due_date = True
    profile.save()
    before, files = counts(), stored_files()
    with pytest.raises(ServiceError) as refused:
        thread_create(
            actor=client_user,
            dossier=dossier,
            subject="Contrat",
            body="Voici",
            filename="contrat.pdf",
            chunks=[samples.pdf(4)],
        )
    assert refused.value.field == "file"
    assert counts() == before
    assert stored_files() == files


def test_e_mails_go_to_the_other_users_in_their_language_with_a_link_behind_login(
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    accountant: User,
    licence_admin: User,
    django_capture_on_commit_callbacks,
) -> None:
    accountant.language = "nl"
    accountant.save()
    colleague = UserFactory(email="associe@alpha-un.be", language="en")
    grant(colleague, dossier, "connect.entrepreneur")
    gone = UserFactory(email="parti@alpha-un.be")
    grant(gone, dossier, "connect.entrepreneur")
    FirmMembership.objects.filter(user=gone).update(is_active=False)
    viewer = UserFactory(email="lecteur@alpha-un.be")
    grant(viewer, dossier, "view.user")  # no Connect role
    neighbour = UserFactory(email="voisin@alpha-deux.be")
    grant(neighbour, DossierFactory(firm=firm), "connect.entrepreneur")

    with django_capture_on_commit_callbacks(execute=True):
        thread = thread_create(
            actor=client_user,
            dossier=dossier,
            subject="Salaires",
            body="Confidentiel : le salaire de Jean est de 4200 EUR.",
        )
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {accountant.email, colleague.email}
    assert set(message_recipients(dossier=dossier, author=client_user)) == {accountant, colleague}
    dutch, english = by_address[accountant.email], by_address[colleague.email]
    assert dutch.body.startswith("Beste ")  # the accountant reads Dutch
    assert english.body.startswith("Hello ")
    assert "ALPHA1" in english.subject
    url = django_settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "connect:thread", args=[thread.public_id]
    )
    for message in mail.outbox:
        assert url in message.body
        assert "4200" not in message.body  # the message stays behind the login
        assert "4200" not in message.subject
    anonymous = Client().get(reverse("connect:thread", args=[thread.public_id]))
    assert anonymous.status_code == HTTPStatus.FOUND
    assert anonymous["Location"].startswith(reverse("account_login"))
    client = Client()
    client.force_login(accountant)
    assert "4200 EUR" in client.get(reverse("connect:thread", args=[thread.public_id])).text


def test_threads_of_another_dossier_are_invisible(
    firm: Firm, dossier: Dossier, client_user: User, accountant: User
) -> None:
    elsewhere = DossierFactory(firm=firm)
    neighbour = UserFactory()
    grant(neighbour, elsewhere, "connect.entrepreneur")
    thread = thread_create(actor=client_user, dossier=dossier, subject="Secret", body="canary")
    assert list(thread_list_for(actor=neighbour)) == []
    assert unread_count_for(actor=neighbour) == 0
    with pytest.raises(Exception) as missing:
        thread_get_for(actor=neighbour, public_id=thread.public_id)
    assert missing.typename == "Http404"
    with pytest.raises(ServiceError):
        message_post(actor=neighbour, thread=thread, body="Intrus")
    with pytest.raises(ServiceError):
        thread_create(actor=neighbour, dossier=dossier, subject="Intrus", body="Intrus")
    # Leaving the dossier's firm takes the threads away, and their unread count.
    assert unread_count_for(actor=accountant) == 1
    FirmMembership.objects.filter(user=accountant).update(is_active=False)
    assert unread_count_for(actor=accountant) == 0
    assert list(thread_list_for(actor=accountant)) == []


# --- views ----------------------------------------------------------------------------------


def header_label(response) -> str:
    """The header's Messages link as a screen reader announces it."""
    text = response.text
    start = text.index(reverse("connect:inbox_messages"))
    return text[start : text.index("</a>", start)]


def test_client_opens_a_thread_on_an_invoice_and_the_accountant_answers(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    for user in (client_user, accountant):
        user.language = "en"
        user.save()
    invoice = sent_invoice(dossier, client_user)
    client, firm_side = auth_client(client_user), auth_client(accountant)

    page = client.get(reverse("connect:document", args=[invoice.public_id]))
    assert reverse("connect:document_thread", args=[invoice.public_id]) in page.text
    offer = client.get(reverse("connect:document_thread", args=[invoice.public_id]))
    assert offer.status_code == HTTPStatus.OK
    assert '<label for="id_body">' in offer.text
    assert 'value="facture.pdf"' in offer.text  # the subject offered
    created = client.post(
        reverse("connect:document_thread", args=[invoice.public_id]),
        {"subject": "facture.pdf", "body": "Faut-il la payer avant le 30 ?"},
    )
    thread = Thread.objects.get()
    assert created.status_code == HTTPStatus.FOUND
    assert created["Location"] == reverse("connect:thread", args=[thread.public_id])
    assert thread.document == invoice
    # The document's link now opens the thread.
    again = client.get(reverse("connect:document_thread", args=[invoice.public_id]))
    assert again["Location"] == created["Location"]

    hub = firm_side.get(reverse("connect:inbox_messages"))
    assert 'aria-label="Messages, 1 unread"' in header_label(hub)
    assert "1 unread" in hub.text
    shown = firm_side.get(created["Location"])
    assert "Faut-il la payer avant le 30 ?" in shown.text
    assert 'aria-label="Messages, 1 unread"' not in shown.text  # read while shown
    answered = firm_side.post(
        created["Location"],
        {"body": "Oui, avant le 30.", "file": SimpleUploadedFile("note.pdf", samples.pdf(2))},
    )
    assert answered.status_code == HTTPStatus.FOUND
    assert 'aria-label="Messages' not in header_label(firm_side.get(reverse("portal:hub")))

    listed = client.get(reverse("connect:threads", args=[dossier.public_id]))
    assert 'aria-label="Messages, 1 unread"' in header_label(listed)
    read = client.get(created["Location"])
    assert "Oui, avant le 30." in read.text and "note.pdf" in read.text
    assert 'aria-label="Messages' not in header_label(read)


def test_the_forms_say_what_is_wrong(dossier: Dossier, client_user: User, auth_client) -> None:
    client_user.language = "en"
    client_user.save()
    client = auth_client(client_user)
    url = reverse("connect:threads", args=[dossier.public_id])
    empty = client.post(url, {"subject": "TVA", "body": "  "})
    assert empty.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert 'id="id_body_error"' in empty.text
    refused = client.post(
        url,
        {
            "subject": "TVA",
            "body": "Voici",
            "file": SimpleUploadedFile("facture.pdf", b"MZ\x90\x00 not a pdf at all"),
        },
    )
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert 'id="id_file_error"' in refused.text
    assert counts()[:3] == (0, 0, 0)
    thread = thread_create(actor=client_user, dossier=dossier, subject="TVA", body="Bonjour")
    long = client.post(reverse("connect:thread", args=[thread.public_id]), {"body": "x" * 5001})
    assert long.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert Message.objects.count() == 1


def test_the_lists_and_the_header_cost_the_same_with_2_and_50_threads(
    dossier: Dossier, client_user: User, accountant: User, auth_client, django_assert_num_queries
) -> None:
    client = auth_client(client_user)
    urls = [
        reverse("connect:inbox_messages"),
        reverse("connect:threads", args=[dossier.public_id]),
    ]

    def make(count: int) -> None:
        for i in range(count):
            thread = thread_create(
                actor=accountant, dossier=dossier, subject=f"Sujet {i}", body="Bonjour"
            )
            message_post(actor=accountant, thread=thread, body="Et encore")

    def cost() -> list[int]:
        costs = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == HTTPStatus.OK
            costs.append(len(queries))
        return costs

    client.get(urls[0])  # the session's first request records it (allauth's user sessions)
    make(2)
    Dossier.objects.exists()  # the connection takes the test's row-security scope first
    with django_assert_num_queries(1):
        assert unread_count_for(actor=client_user) == 4
    few = cost()
    make(48)
    Dossier.objects.exists()
    with django_assert_num_queries(1):
        assert unread_count_for(actor=client_user) == 100
    assert cost() == few


def test_the_thread_page_costs_the_same_few_queries_whatever_its_length(
    dossier: Dossier, accountant: User, client_user: User, auth_client
) -> None:
    """Opened again, a thread read up to its newest message writes nothing; its messages, the
    reader's mark and the reach are one query, with 2 messages as with 60."""
    thread = thread_create(actor=accountant, dossier=dossier, subject="Sujet", body="Bonjour")
    client = auth_client(client_user)
    url = reverse("connect:thread", args=[thread.public_id])

    def cost() -> list[str]:
        client.get(url)  # marks the thread read
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == HTTPStatus.OK
        return [query["sql"] for query in queries.captured_queries]

    message_post(actor=accountant, thread=thread, body="Et encore")
    few = cost()
    for i in range(58):
        message_post(actor=accountant, thread=thread, body=f"Message {i}")
    many = cost()
    assert len(few) == len(many) <= 5  # session, user, scope, thread, messages
    assert not any(sql.startswith(("UPDATE", "INSERT")) for sql in many)
    message_post(actor=accountant, thread=thread, body="Le dernier")
    assert unread_count_for(actor=client_user) == 1
    client.get(url)
    assert unread_count_for(actor=client_user) == 0


# --- access ---------------------------------------------------------------------------------


@pytest.fixture
def canary_thread(dossier: Dossier, client_user: User, accountant: User) -> Thread:
    invoice = sent_invoice(dossier, client_user, "canary-invoice.pdf")
    return thread_create(
        actor=client_user,
        dossier=dossier,
        document=invoice,
        subject="canary subject",
        body="canary body",
    )


def message_urls(dossier: Dossier, thread: Thread) -> list[tuple[str, str]]:
    assert thread.document is not None
    return [
        ("connect:inbox_messages", reverse("connect:inbox_messages")),
        ("connect:threads", reverse("connect:threads", args=[dossier.public_id])),
        ("connect:thread", reverse("connect:thread", args=[thread.public_id])),
        (
            "connect:document_thread",
            reverse("connect:document_thread", args=[thread.document.public_id]),
        ),
    ]


def test_every_route_is_walked() -> None:
    from tests.portal.access_messages import ROUTES

    assert {"connect:inbox_messages", "connect:threads", "connect:thread"} | {
        "connect:document_thread"
    } == ROUTES


@pytest.mark.parametrize(
    "actor_name",
    ["anonymous", "neighbour", "licence_admin", "other_staff", "deactivated", "role_removed"],
)
def test_message_routes_refuse_who_must_not_reach_them(
    request: pytest.FixtureRequest,
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    canary_thread: Thread,
    actor_name: str,
) -> None:
    client = Client()
    if actor_name == "neighbour":  # the client of another dossier of the same firm
        neighbour = UserFactory()
        grant(neighbour, DossierFactory(firm=firm), "connect.entrepreneur", "view.user")
        client.force_login(neighbour)
    elif actor_name == "deactivated":
        FirmMembership.objects.filter(user=client_user).update(is_active=False)
        client.force_login(client_user)
    elif actor_name == "role_removed":
        DossierAccess.objects.filter(user=client_user).delete()
        client.force_login(client_user)
    elif actor_name != "anonymous":
        client.force_login(request.getfixturevalue(actor_name))
    before = counts()
    for name, url in message_urls(dossier, canary_thread):
        for method in ("get", "post"):
            data = {
                "subject": "Intruder",
                "body": "Intruder",
                "file": SimpleUploadedFile("intruder.pdf", samples.pdf(5)),
            }
            response = getattr(client, method)(url, data)
            if actor_name == "anonymous":
                assert response.status_code == HTTPStatus.FOUND, (name, method)
                assert response["Location"].startswith(reverse("account_login")), name
            elif name == "connect:inbox_messages" and method == "get":
                assert response.status_code == HTTPStatus.OK  # their own (empty) list
            else:
                assert response.status_code in (
                    HTTPStatus.NOT_FOUND,
                    HTTPStatus.METHOD_NOT_ALLOWED,
                ), (name, method)
            assert b"canary" not in response.content, (name, method)
            assert b"Alpha Un" not in response.content, (name, method)
    # The dossier switch of the list refuses a foreign dossier too.
    if actor_name != "anonymous":
        switch = client.get(reverse("connect:inbox_messages"), {"dossier": dossier.public_id})
        assert switch.status_code == HTTPStatus.NOT_FOUND
    assert counts() == before


@pytest.mark.parametrize("actor_name", ["client_user", "accountant"])
def test_the_dossiers_users_reach_every_route(
    request: pytest.FixtureRequest,
    dossier: Dossier,
    canary_thread: Thread,
    auth_client,
    actor_name: str,
) -> None:
    client = auth_client(request.getfixturevalue(actor_name))
    for name, url in message_urls(dossier, canary_thread):
        response = client.get(url, follow=True)
        assert response.status_code == HTTPStatus.OK, name
        assert b"canary subject" in response.content, name
    switch = client.get(reverse("connect:inbox_messages"), {"dossier": dossier.public_id})
    assert switch["Location"] == reverse("connect:threads", args=[dossier.public_id])
    posted = client.post(
        reverse("connect:thread", args=[canary_thread.public_id]), {"body": "Merci"}
    )
    assert posted.status_code == HTTPStatus.FOUND
    assert canary_thread.messages.count() == 2


def test_the_headers_cached_count_follows_new_and_read_messages(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    from connect.collaboration.messages.selectors import unread_count_cached
    from connect.collaboration.messages.services import (
        message_post,
        thread_create,
        thread_mark_read,
    )

    assert unread_count_cached(actor=accountant) == 0  # now in the cache
    thread = thread_create(actor=client_user, dossier=dossier, subject="TVA", body="Question")
    assert unread_count_cached(actor=accountant) == 1
    message_post(actor=client_user, thread=thread, body="Another one")
    assert unread_count_cached(actor=accountant) == 2
    thread_mark_read(actor=accountant, thread=thread)
    assert unread_count_cached(actor=accountant) == 0
    assert unread_count_cached(actor=client_user) == 0  # the author's own messages
