"""Document requests ("missing documents"): the accountant asks, the client uploads into the
request, the accountant accepts or asks for more; e-mails, the desk panel, and who may reach
each route."""

from datetime import date
from http import HTTPStatus
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connect.collaboration.document_requests.services import (
    request_accept,
    request_create,
    request_more_needed,
    request_upload,
)
from connect.documents import services
from connect.documents.selectors import InboxFilters, inbox_for
from connect.models import (
    Binder,
    Document,
    DocumentEvent,
    DocumentRequest,
    EventKind,
    RequestStatus,
)
from core.errors import ServiceError
from core.models import OutboundEmail
from dossiers.models import Dossier, DossierAccess, Firm, FirmMembership
from tests.connect import samples
from tests.factories import DossierFactory, UserFactory, grant
from users.models import User

OCTOBER = date(timezone.localdate().year + 1, 10, 31)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def pdf_file(name: str = "releve.pdf") -> SimpleUploadedFile:
    # The name goes into the PDF too: two names, two different files.
    return SimpleUploadedFile(name, samples.pdf(1, text=name), content_type="application/pdf")


def ask(
    dossier: Dossier, accountant: User, description: str = "Bank statements"
) -> DocumentRequest:
    return request_create(
        actor=accountant,
        dossier=dossier,
        description=description,
        period="October 2026",
        due_date=OCTOBER,
    )


def state(document_request: DocumentRequest) -> str:
    document_request.refresh_from_db()
    return document_request.status


# --- the walkthrough of the issue, through the pages -----------------------------------------


def test_the_accountant_requests_the_client_uploads_into_it_and_the_accountant_accepts(
    dossier: Dossier,
    accountant: User,
    client_user: User,
    auth_client,
    django_capture_on_commit_callbacks,
) -> None:
    accountant_client, client = auth_client(accountant), auth_client(client_user)
    response = accountant_client.post(
        reverse("connect:request_create", args=[dossier.public_id]),
        {
            "description": "Bank statements for October",
            "period": "October 2026",
            "due_date": OCTOBER.isoformat(),
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    asked = DocumentRequest.objects.get(dossier=dossier)
    assert (asked.status, asked.period, asked.due_date) == ("requested", "October 2026", OCTOBER)
    detail_url = reverse("connect:request_detail", args=[asked.public_id])
    assert response["Location"] == detail_url

    # The client sees it on their desk and opens it.
    desk = client.get(reverse("connect:section", args=[dossier.public_id, "documents"]))
    assert b"Bank statements for October" in desk.content
    assert detail_url.encode() in desk.content
    page = client.get(detail_url)
    assert page.status_code == HTTPStatus.OK
    assert b'name="uploads"' in page.content and b"multiple" in page.content
    assert b'for="id_uploads"' in page.content and b"accept=" in page.content
    assert reverse("connect:request_accept", args=[asked.public_id]).encode() not in page.content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("connect:request_upload", args=[asked.public_id]),
            {
                "uploads": [pdf_file("kbc-oct.pdf"), pdf_file("belfius-oct.pdf")],
                "category": "other",
            },
        )
    assert response.status_code == HTTPStatus.FOUND
    documents = list(Document.objects.filter(request=asked).order_by("filename"))
    assert [(d.filename, d.status) for d in documents] == [
        ("belfius-oct.pdf", "sent"),
        ("kbc-oct.pdf", "sent"),
    ]
    assert state(asked) == RequestStatus.PROVIDED
    # In the accountant's inbox, like any document sent to them.
    inbox = inbox_for(actor=accountant, filters=InboxFilters(dossier=dossier))
    assert {d.filename for d in inbox.documents} == {"belfius-oct.pdf", "kbc-oct.pdf"}
    assert all(
        DocumentEvent.objects.filter(document=d, kind=EventKind.REQUESTED).exists()
        for d in documents
    )
    # No longer waiting on the client's desk.
    desk = client.get(reverse("connect:section", args=[dossier.public_id, "documents"]))
    assert b"Bank statements for October" not in desk.content

    page = accountant_client.get(detail_url)
    assert b"kbc-oct.pdf" in page.content and b"belfius-oct.pdf" in page.content
    response = accountant_client.post(reverse("connect:request_accept", args=[asked.public_id]))
    assert response.status_code == HTTPStatus.FOUND
    assert state(asked) == RequestStatus.ACCEPTED
    page = client.get(detail_url)
    assert b'name="uploads"' not in page.content  # closed: nothing more to upload


def test_more_needed_sends_the_request_back_to_the_client(
    dossier: Dossier, accountant: User, client_user: User, auth_client
) -> None:
    asked = ask(dossier, accountant)
    request_upload(actor=client_user, document_request=asked, uploads=[pdf_file("a.pdf")])
    accountant_client = auth_client(accountant)
    url = reverse("connect:request_more_needed", args=[asked.public_id])
    refused = accountant_client.post(url, {"note": "   "})
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert state(asked) == RequestStatus.PROVIDED
    assert accountant_client.post(url, {"note": "Also the Belfius account"}).status_code == 302
    assert (state(asked), asked.note) == (RequestStatus.MORE_NEEDED, "Also the Belfius account")
    desk = auth_client(client_user).get(
        reverse("connect:section", args=[dossier.public_id, "invoices"])
    )
    assert b"Bank statements" in desk.content  # waiting again
    request_upload(actor=client_user, document_request=asked, uploads=[pdf_file("b.pdf")])
    assert state(asked) == RequestStatus.PROVIDED
    assert asked.documents.count() == 2


# --- states and who may move them ------------------------------------------------------------


def test_only_the_accountant_creates_and_decides_only_the_client_uploads(
    dossier: Dossier, accountant: User, client_user: User
) -> None:
    with pytest.raises(ServiceError) as error:
        ask(dossier, client_user)
    assert error.value.code == "forbidden"
    asked = ask(dossier, accountant)
    with pytest.raises(ServiceError) as error:
        request_upload(actor=accountant, document_request=asked, uploads=[pdf_file()])
    assert error.value.code == "forbidden"
    request_upload(actor=client_user, document_request=asked, uploads=[pdf_file()])
    for decide in (
        lambda: request_accept(actor=client_user, document_request=asked),
        lambda: request_more_needed(actor=client_user, document_request=asked, note="x"),
    ):
        with pytest.raises(ServiceError) as error:
            decide()
        assert error.value.code == "forbidden"
    assert state(asked) == RequestStatus.PROVIDED
    assert Document.objects.filter(uploaded_by=accountant).count() == 0


def test_accept_and_more_needed_only_from_provided(
    dossier: Dossier, accountant: User, client_user: User
) -> None:
    asked = ask(dossier, accountant)
    for decide in (
        lambda: request_accept(actor=accountant, document_request=asked),
        lambda: request_more_needed(actor=accountant, document_request=asked, note="More"),
    ):
        with pytest.raises(ServiceError) as error:
            decide()
        assert error.value.code == "state"
    assert state(asked) == RequestStatus.REQUESTED
    request_upload(actor=client_user, document_request=asked, uploads=[pdf_file()])
    with pytest.raises(ServiceError) as error:
        request_more_needed(actor=accountant, document_request=asked, note="  ")
    assert error.value.code == "note_required"
    request_accept(actor=accountant, document_request=asked)
    assert state(asked) == RequestStatus.ACCEPTED
    with pytest.raises(ServiceError):
        request_accept(actor=accountant, document_request=asked)
    with pytest.raises(ServiceError) as error:
        request_upload(actor=client_user, document_request=asked, uploads=[pdf_file("late.pdf")])
    assert error.value.code == "state"
    assert not Document.objects.filter(filename="late.pdf").exists()


@pytest.mark.parametrize(
    ("description", "due_date", "field"),
    [
        ("  ", OCTOBER, "description"),
        ("Payslips", None, "due_date"),
        ("Payslips", date(2020, 1, 31), "due_date"),
    ],
)
def test_a_request_needs_a_description_and_a_due_date_from_today(
    dossier: Dossier, accountant: User, description: str, due_date: date | None, field: str
) -> None:
    with pytest.raises(ServiceError) as error:
        request_create(
            actor=accountant, dossier=dossier, description=description, period="", due_date=due_date
        )
    assert error.value.field == field
    assert not DocumentRequest.objects.exists()


def test_the_create_form_shows_errors_next_to_the_fields(
    dossier: Dossier, accountant: User, auth_client
) -> None:
    url = reverse("connect:request_create", args=[dossier.public_id])
    page = auth_client(accountant).get(url)
    assert page.status_code == HTTPStatus.OK
    for name in ("description", "period", "due_date"):
        assert f'for="id_{name}"'.encode() in page.content
    response = auth_client(accountant).post(url, {"description": "x", "due_date": "2020-01-01"})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert b'id="id_due_date_error"' in response.content
    assert not DocumentRequest.objects.exists()


# --- uploads: refused files, duplicates, limits ----------------------------------------------


def test_a_refused_file_changes_nothing(
    settings,
    dossier: Dossier,
    accountant: User,
    client_user: User,
    auth_client,
    django_capture_on_commit_callbacks,
) -> None:
    asked = ask(dossier, accountant)
    mails_before = OutboundEmail.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = auth_client(client_user).post(
            reverse("connect:request_upload", args=[asked.public_id]),
            {
                "uploads": [
                    pdf_file("good.pdf"),
                    SimpleUploadedFile("statement.pdf", samples.EXECUTABLE),
                ],
                "category": "other",
            },
        )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert b"statement.pdf" in response.content  # the client reads which file
    assert state(asked) == RequestStatus.REQUESTED
    assert Document.objects.count() == 0
    assert DocumentEvent.objects.count() == 0
    assert stored_files(settings) == []  # the good file written first was removed again
    assert OutboundEmail.objects.count() == mails_before
    assert callbacks == []  # no processing was queued


def test_a_file_the_profile_cannot_send_yet_changes_nothing(
    settings, dossier: Dossier, accountant: User, client_user: User, auth_client
) -> None:
    profile = services.profile_for(dossier)
    profile.require_amount = True
    profile.save()
    asked = ask(dossier, accountant)
    url = reverse("connect:request_upload", args=[asked.public_id])
    page = auth_client(client_user).get(reverse("connect:request_detail", args=[asked.public_id]))
    assert b'for="id_amount"' in page.content  # the fact is asked for with the files
    with pytest.raises(ServiceError) as error:
        request_upload(actor=client_user, document_request=asked, uploads=[pdf_file()])
    assert error.value.code == "facts_required"
    assert (state(asked), Document.objects.count(), stored_files(settings)) == ("requested", 0, [])
    response = auth_client(client_user).post(
        url, {"uploads": [pdf_file()], "category": "other", "amount": "12.50"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Document.objects.get(request=asked).amount == 12.5


def test_too_many_files_are_refused(
    settings, dossier: Dossier, accountant: User, client_user: User
) -> None:
    settings.CONNECT_MAX_FILES_PER_REQUEST = 2
    asked = ask(dossier, accountant)
    with pytest.raises(ServiceError) as error:
        request_upload(
            actor=client_user,
            document_request=asked,
            uploads=[pdf_file("1.pdf"), pdf_file("2.pdf"), pdf_file("3.pdf")],
        )
    assert error.value.code == "too_many_files"
    with pytest.raises(ServiceError) as error:
        request_upload(actor=client_user, document_request=asked, uploads=[])
    assert error.value.code == "file_required"
    assert (state(asked), Document.objects.count()) == ("requested", 0)


def test_the_clients_own_file_already_in_the_dossier_is_linked_and_sent(
    dossier: Dossier, accountant: User, client_user: User
) -> None:
    on_desk = services.document_receive(
        dossier=dossier,
        actor=client_user,
        filename="desk.pdf",
        chunks=[pdf_file("desk.pdf").read()],
        source="web",
        category="other",
    ).document
    assert on_desk.status == "draft"
    asked = ask(dossier, accountant)
    linked = request_upload(
        actor=client_user,
        document_request=asked,
        uploads=[pdf_file("desk.pdf"), pdf_file("desk.pdf")],  # the same bytes twice, too
    )
    assert [d.pk for d in linked] == [on_desk.pk]
    on_desk.refresh_from_db()
    assert (on_desk.request_id, on_desk.status) == (asked.pk, "sent")
    assert Document.objects.count() == 1
    assert state(asked) == RequestStatus.PROVIDED


@pytest.mark.parametrize("earlier", ["shared_by_the_accountant", "answers_another_request"])
def test_a_duplicate_that_is_not_the_clients_to_give_is_refused(
    settings, dossier: Dossier, accountant: User, client_user: User, earlier: str
) -> None:
    content = pdf_file("x.pdf").read()
    if earlier == "shared_by_the_accountant":
        services.binders_ensure(dossier=dossier)
        existing = services.document_share(
            actor=accountant,
            dossier=dossier,
            binder=Binder.objects.filter(dossier=dossier).first(),
            filename="x.pdf",
            chunks=[content],
        ).document
    else:
        other = ask(dossier, accountant, "Sales invoices")
        existing = request_upload(
            actor=client_user,
            document_request=other,
            uploads=[SimpleUploadedFile("x.pdf", content)],
        )[0]
    asked = ask(dossier, accountant)
    files_before = stored_files(settings)
    with pytest.raises(ServiceError) as error:
        request_upload(
            actor=client_user,
            document_request=asked,
            uploads=[pdf_file("new.pdf"), SimpleUploadedFile("again.pdf", content)],
        )
    assert "again.pdf" in str(error.value.message)
    assert state(asked) == RequestStatus.REQUESTED
    existing.refresh_from_db()
    assert existing.request_id != asked.pk
    assert not Document.objects.filter(filename="new.pdf").exists()
    assert stored_files(settings) == files_before


# --- e-mails ---------------------------------------------------------------------------------


def test_emails_go_to_the_right_people_in_their_languages(
    firm: Firm,
    dossier: Dossier,
    accountant: User,
    client_user: User,
    django_capture_on_commit_callbacks,
) -> None:
    client_user.language = "nl"
    client_user.save()
    partner = UserFactory(email="partner@alpha-un.be", language="de")
    grant(partner, dossier, "connect.entrepreneur")
    gone = UserFactory(email="gone@alpha-un.be")
    grant(gone, dossier, "connect.entrepreneur")
    FirmMembership.objects.filter(user=gone).update(is_active=False)
    neighbour = UserFactory(email="neighbour@elsewhere.be")
    grant(neighbour, DossierFactory(firm=firm), "connect.entrepreneur")

    with django_capture_on_commit_callbacks(execute=True):
        asked = ask(dossier, accountant, "Bank statements for October")
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {client_user.email, partner.email}
    assert "oktober" in by_recipient[client_user.email].body  # the due date, in Dutch
    assert "Oktober" in by_recipient[partner.email].body  # in German
    link = reverse("connect:request_detail", args=[asked.public_id])
    for message in mail.outbox:
        assert "Bank statements for October" in message.body
        assert link in message.body and "ALPHA1" in message.subject

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request_upload(actor=client_user, document_request=asked, uploads=[pdf_file("kbc.pdf")])
    (told,) = mail.outbox
    assert told.to == [accountant.email]
    assert "octobre" in told.body  # the accountant reads French
    assert "kbc.pdf" in told.body and link in told.body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request_more_needed(actor=accountant, document_request=asked, note="Also Belfius")
    assert sorted(m.to[0] for m in mail.outbox) == sorted([client_user.email, partner.email])
    assert all("Also Belfius" in m.body for m in mail.outbox)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request_upload(actor=partner, document_request=asked, uploads=[pdf_file("belfius.pdf")])
        request_accept(actor=accountant, document_request=asked)
    assert [m.to for m in mail.outbox] == [[accountant.email]]  # accepting sends nothing


# --- the client's desk panel and the list ----------------------------------------------------


def test_the_desk_panel_shows_waiting_requests_to_the_client_only(
    dossier: Dossier, accountant: User, client_user: User, auth_client
) -> None:
    waiting = ask(dossier, accountant, "Waiting payslips")
    answered = ask(dossier, accountant, "Answered invoices")
    request_upload(actor=client_user, document_request=answered, uploads=[pdf_file()])
    url = reverse("connect:section", args=[dossier.public_id, "invoices"])
    desk = auth_client(client_user).get(url)
    assert b"Waiting payslips" in desk.content
    assert reverse("connect:request_detail", args=[waiting.public_id]).encode() in desk.content
    assert b"Answered invoices" not in desk.content
    seen_by_accountant = auth_client(accountant).get(url)
    assert seen_by_accountant.status_code == HTTPStatus.OK
    assert b"Waiting payslips" not in seen_by_accountant.content
    # The tag itself answers nothing to anyone but the dossier's client.
    template = Template('{% include "connect/requests/desk_panel.html" %}')
    for user, shown in ((client_user, True), (accountant, False)):
        html = template.render(
            Context({"dossier": dossier, "request": type("R", (), {"user": user})})
        )
        assert ("Waiting payslips" in html) is shown


def test_the_list_filters_by_status(
    dossier: Dossier, accountant: User, client_user: User, auth_client
) -> None:
    ask(dossier, accountant, "Still waiting")
    answered = ask(dossier, accountant, "Already answered")
    request_upload(actor=client_user, document_request=answered, uploads=[pdf_file()])
    url = reverse("connect:request_list", args=[dossier.public_id])
    for user in (client_user, accountant):
        everything = auth_client(user).get(url)
        assert b"Still waiting" in everything.content
        assert b"Already answered" in everything.content
        provided = auth_client(user).get(url, {"status": "provided"})
        assert b"Already answered" in provided.content
        assert b"Still waiting" not in provided.content
    create = reverse("connect:request_create", args=[dossier.public_id]).encode()
    assert create in auth_client(accountant).get(url).content
    assert create not in auth_client(client_user).get(url).content
    assert auth_client(client_user).get(url, {"status": "nonsense"}).status_code == HTTPStatus.OK


def test_the_list_query_count_does_not_grow(
    dossier: Dossier, accountant: User, client_user: User, auth_client
) -> None:
    client = auth_client(client_user)
    url = reverse("connect:request_list", args=[dossier.public_id])

    def count() -> int:
        client.get(url)  # the header's unread count is cached after the first page
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == HTTPStatus.OK
        return len(queries)

    DocumentRequest.objects.bulk_create(
        DocumentRequest(dossier=dossier, description=f"r{i}", due_date=OCTOBER) for i in range(2)
    )
    few = count()
    DocumentRequest.objects.bulk_create(
        DocumentRequest(dossier=dossier, description=f"s{i}", due_date=OCTOBER) for i in range(198)
    )
    assert count() == few


# --- access: who must not reach the routes, and who can --------------------------------------


@pytest.fixture
def planted(dossier: Dossier, accountant: User, client_user: User) -> DocumentRequest:
    asked = ask(dossier, accountant, "canary request")
    request_upload(actor=client_user, document_request=asked, uploads=[pdf_file("canary-file.pdf")])
    return asked


def route_urls(dossier: Dossier, asked: DocumentRequest) -> list[tuple[str, str]]:
    from tests.portal.access_requests import ROUTES

    on_dossier = {"connect:request_list", "connect:request_create"}
    urls = [
        (
            name,
            reverse(name, args=[dossier.public_id if name in on_dossier else asked.public_id]),
        )
        for name in sorted(ROUTES)
    ]
    assert len(urls) == 6
    return urls


def snapshot() -> tuple:
    return (
        list(DocumentRequest.objects.order_by("id").values_list("status", "note", "description")),
        list(Document.objects.order_by("id").values_list("status", "request_id", "filename")),
        DocumentEvent.objects.count(),
        OutboundEmail.objects.count(),
    )


@pytest.mark.parametrize(
    "actor_name",
    ["anonymous", "neighbour", "licence_admin", "other_staff", "deactivated", "role_removed"],
)
def test_request_routes_refuse_who_must_not_reach_them(
    request: pytest.FixtureRequest,
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    planted: DocumentRequest,
    actor_name: str,
) -> None:
    client = Client()
    if actor_name == "neighbour":  # the client of another dossier of the same firm
        neighbour = UserFactory()
        grant(neighbour, DossierFactory(firm=firm), "connect.entrepreneur", "connect.accountant")
        client.force_login(neighbour)
    elif actor_name == "deactivated":
        FirmMembership.objects.filter(user=client_user).update(is_active=False)
        client.force_login(client_user)
    elif actor_name == "role_removed":
        DossierAccess.objects.filter(user=client_user).delete()
        client.force_login(client_user)
    elif actor_name != "anonymous":
        client.force_login(request.getfixturevalue(actor_name))
    before = snapshot()
    for name, url in route_urls(dossier, planted):
        for method in ("get", "post"):
            data = {
                "description": "Intruder",
                "due_date": OCTOBER.isoformat(),
                "note": "Intruder",
                "category": "other",
                "uploads": [pdf_file("intruder.pdf")],
            }
            response = getattr(client, method)(url, data)
            if actor_name == "anonymous":
                assert response.status_code == HTTPStatus.FOUND, (name, method)
                assert response["Location"].startswith(reverse("account_login")), name
            else:
                assert response.status_code in (
                    HTTPStatus.NOT_FOUND,
                    HTTPStatus.METHOD_NOT_ALLOWED,
                ), (name, method, response.status_code)
                assert b"canary" not in response.content
                assert dossier.name.encode() not in response.content
    assert snapshot() == before


def test_each_side_reaches_its_own_routes_only(
    dossier: Dossier, accountant: User, client_user: User, planted: DocumentRequest, auth_client
) -> None:
    client, accountant_client = auth_client(client_user), auth_client(accountant)
    for name, url in route_urls(dossier, planted):
        if name in ("connect:request_list", "connect:request_detail"):
            for who in (client, accountant_client):
                page = who.get(url)
                assert page.status_code == HTTPStatus.OK, name
                assert b"canary request" in page.content
    before = snapshot()
    ids = [planted.public_id]
    # The client may not ask, accept or send back; the accountant may not upload as the client.
    assert (
        client.get(reverse("connect:request_create", args=[dossier.public_id])).status_code == 404
    )
    assert (
        client.post(
            reverse("connect:request_create", args=[dossier.public_id]),
            {"description": "Mine", "due_date": OCTOBER.isoformat()},
        ).status_code
        == 404
    )
    assert client.post(reverse("connect:request_accept", args=ids)).status_code == 404
    assert (
        client.post(reverse("connect:request_more_needed", args=ids), {"note": "x"}).status_code
        == 404
    )
    assert (
        accountant_client.post(
            reverse("connect:request_upload", args=ids),
            {"uploads": [pdf_file("firm.pdf")], "category": "other"},
        ).status_code
        == 404
    )
    assert snapshot() == before
    # GET on the actions is not allowed.
    for name in ("connect:request_upload", "connect:request_accept", "connect:request_more_needed"):
        assert accountant_client.get(reverse(name, args=ids)).status_code == 405
    page = accountant_client.get(reverse("connect:request_detail", args=ids))
    assert reverse("connect:request_accept", args=ids).encode() in page.content
    assert b'for="id_note"' in page.content
