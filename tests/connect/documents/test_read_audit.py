"""The audit of reads: every path that serves a document records one row (who, when, how);
refused reads record nothing; the dossier's firm staff list and export them, nobody else."""

import csv
import io
from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connect.documents import services
from connect.documents.reads import Reader, document_reads_record
from connect.models import Document, DocumentAttachment, DocumentRead, ReadKind
from dossiers.models import Dossier, FirmLevel, FirmMembership
from tests.connect import samples
from tests.factories import MembershipFactory, grant
from users.models import ApiToken, User
from users.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def receive(dossier: Dossier, user: User, name: str = "facture.pdf", text: str = "") -> Document:
    return services.document_receive(
        dossier=dossier,
        actor=user,
        filename=name,
        chunks=[samples.pdf(text=text or name)],
        source="web",
    ).document


@pytest.fixture
def sent(dossier: Dossier, client_user: User) -> list[Document]:
    """Three documents sent to the accountant (ready for retrieval: Transport)."""
    documents = [receive(dossier, client_user, f"facture-{n}.pdf") for n in range(3)]
    services.documents_send(actor=client_user, dossier=dossier, documents=documents)
    return documents


def api(user: User) -> tuple[ApiToken, Client]:
    token, raw = api_token_create(actor=user, name="Bureau")
    return token, Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def reads() -> list[tuple]:
    return list(
        DocumentRead.objects.order_by("id").values_list(
            "document_id", "dossier_id", "actor_id", "actor_email", "token_id", "how", "network"
        )
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- recording -------------------------------------------------------------------------------


def test_the_page_and_the_download_each_record_one_read_and_the_thumbnail_none(
    client_user: User, dossier: Dossier, auth_client: Callable[[User], Client]
) -> None:
    from connect.documents.services.processing import document_process

    document = receive(dossier, client_user)
    document_process(document_id=document.pk)
    client = auth_client(client_user)
    page = client.get(reverse("connect:document", args=[document.public_id]))
    assert page.status_code == HTTPStatus.OK
    row = (document.pk, dossier.pk, client_user.pk, client_user.email, None)
    assert reads() == [(*row, ReadKind.PAGE, "127.0.0.0")]
    thumbnail = client.get(reverse("connect:thumbnail", args=[document.public_id]))
    assert thumbnail.status_code == HTTPStatus.OK
    body(thumbnail)
    assert len(reads()) == 1  # part of the page
    download = client.get(reverse("connect:download", args=[document.public_id]))
    assert body(download) == samples.pdf(text="facture.pdf")
    assert reads()[1:] == [(*row, ReadKind.DOWNLOAD, "127.0.0.0")]


def test_an_e_invoice_attachment_records_one_read(
    client_user: User, dossier: Dossier, auth_client: Callable[[User], Client]
) -> None:
    document = receive(dossier, client_user)
    name = default_storage.save("attachments/timesheet.csv", ContentFile(b"day;hours\n"))
    attachment = DocumentAttachment.objects.create(
        document=document,
        filename="timesheet.csv",
        storage_name=name,
        declared_type="text/csv",
        content_type="text/csv",
        size=10,
        sha256="0" * 64,
    )
    client = auth_client(client_user)
    url = reverse("connect:attachment", args=[document.public_id, attachment.public_id])
    assert body(client.get(url)) == b"day;hours\n"
    assert [r[5] for r in reads()] == [ReadKind.ATTACHMENT]
    # Another id on a document the user sees: 404, nothing recorded.
    missing = reverse("connect:attachment", args=[document.public_id, document.public_id])
    assert client.get(missing).status_code == HTTPStatus.NOT_FOUND
    assert len(reads()) == 1


def test_the_api_records_the_document_its_content_and_each_document_of_a_zip(
    accountant: User, dossier: Dossier, sent: list[Document]
) -> None:
    token, client = api(accountant)
    first = sent[0]
    assert client.get(f"/api/v1/documents/{first.public_id}").status_code == HTTPStatus.OK
    content = client.get(f"/api/v1/documents/{first.public_id}/content")
    assert body(content) == samples.pdf(text="facture-0.pdf")
    row = (first.pk, dossier.pk, accountant.pk, accountant.email, token.pk)
    assert reads() == [
        (*row, ReadKind.API_DOCUMENT, "127.0.0.0"),
        (*row, ReadKind.API_CONTENT, "127.0.0.0"),
    ]
    # The client already holds these bytes: nothing is sent, nothing recorded.
    unchanged = client.get(
        f"/api/v1/documents/{first.public_id}/content", HTTP_IF_NONE_MATCH=content["ETag"]
    )
    assert unchanged.status_code == HTTPStatus.NOT_MODIFIED
    assert len(reads()) == 2
    archive = client.get(f"/api/v1/dossiers/{dossier.public_id}/documents.zip")
    assert archive.status_code == HTTPStatus.OK
    zipped = DocumentRead.objects.filter(how=ReadKind.API_ZIP)
    # Written before the first byte of the zip: the rows are there while it streams.
    assert sorted(zipped.values_list("document_id", flat=True)) == sorted(d.pk for d in sent)
    assert set(zipped.values_list("actor_id", "token_id")) == {(accountant.pk, token.pk)}
    assert len(set(zipped.values_list("at", flat=True))) == 1
    body(archive)
    assert DocumentRead.objects.count() == 2 + len(sent)


def test_the_network_is_kept_trimmed(client_user: User, dossier: Dossier) -> None:
    document = receive(dossier, client_user)
    url = reverse("connect:download", args=[document.public_id])
    for address in ("203.0.113.77", "2001:db8:1234:5678::1", "::ffff:198.51.100.9"):
        client = Client(REMOTE_ADDR=address)
        client.force_login(client_user)
        assert client.get(url).status_code == HTTPStatus.OK
    assert list(DocumentRead.objects.order_by("id").values_list("network", flat=True)) == [
        "203.0.113.0",
        "2001:db8:1234::",
        "198.51.100.0",
    ]


def test_refused_reads_record_nothing(
    client_user: User,
    other_staff: User,
    licence_admin: User,
    dossier: Dossier,
    sent: list[Document],
    auth_client: Callable[[User], Client],
) -> None:
    document = sent[0]
    web = [
        reverse("connect:document", args=[document.public_id]),
        reverse("connect:download", args=[document.public_id]),
    ]
    # Another firm's staff, and the firm's own licence admin (no Connect role): 404.
    for user in (other_staff, licence_admin):
        client = auth_client(user)
        for url in web:
            assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url
        _token, token_client = api(user)
        for url in (
            f"/api/v1/documents/{document.public_id}",
            f"/api/v1/documents/{document.public_id}/content",
            f"/api/v1/dossiers/{dossier.public_id}/documents.zip",
        ):
            assert token_client.get(url).status_code == HTTPStatus.NOT_FOUND, url
    # The client holds a Connect role but may not take the zip: 403.
    _token, client_api = api(client_user)
    zipped = client_api.get(f"/api/v1/dossiers/{dossier.public_id}/documents.zip")
    assert zipped.status_code == HTTPStatus.FORBIDDEN
    assert Client().get(web[1]).status_code == HTTPStatus.FOUND  # anonymous: login
    assert not DocumentRead.objects.exists()


# --- the dossier's list and CSV --------------------------------------------------------------


def record(document: Document, user: User, how: str = ReadKind.DOWNLOAD, count: int = 1) -> None:
    document_reads_record(
        reader=Reader(actor=user, token=None, network="192.0.2.0"),
        documents=[document] * count,
        how=how,
    )


def reads_url(dossier: Dossier, **query: str) -> str:
    url = reverse("portal:dossier_reads", args=[dossier.public_id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_staff_list_the_reads_and_filter_them(
    licence_admin: User,
    accountant: User,
    client_user: User,
    dossier: Dossier,
    sent: list[Document],
    auth_client: Callable[[User], Client],
    time_machine,
) -> None:
    time_machine.move_to("2026-03-10 10:00 +01:00")
    record(sent[0], client_user, ReadKind.PAGE)
    time_machine.move_to("2026-04-20 10:00 +01:00")
    record(sent[1], accountant, ReadKind.API_ZIP)
    record(sent[2], accountant, ReadKind.DOWNLOAD)
    client = auth_client(licence_admin)
    detail = client.get(reverse("portal:dossier", args=[dossier.public_id]))
    assert reads_url(dossier).encode() in detail.content
    page = client.get(reads_url(dossier))
    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    for name in ("facture-0.pdf", "facture-1.pdf", "facture-2.pdf", client_user.email):
        assert name in text
    assert text.index("facture-2.pdf") < text.index("facture-1.pdf") < text.index("facture-0")

    def shown(**query: str) -> set[str]:
        answer = client.get(reads_url(dossier, **query))
        assert answer.status_code == HTTPStatus.OK
        return {d.filename for d in sent if d.filename in answer.content.decode()}

    assert shown(how="api_zip") == {"facture-1.pdf"}
    assert shown(user="client@") == {"facture-0.pdf"}
    assert shown(document="ture-2") == {"facture-2.pdf"}
    assert shown(start="2026-04-01") == {"facture-1.pdf", "facture-2.pdf"}
    assert shown(end="2026-03-10") == {"facture-0.pdf"}
    wrong = client.get(reads_url(dossier, start="2026-05-01", end="2026-04-01"))
    assert wrong.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


def test_the_list_pages_by_keyset_with_the_same_queries_for_2_and_200_rows(
    licence_admin: User,
    client_user: User,
    dossier: Dossier,
    sent: list[Document],
    auth_client: Callable[[User], Client],
) -> None:
    client = auth_client(licence_admin)
    record(sent[0], client_user, count=2)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reads_url(dossier)).status_code == HTTPStatus.OK
        return len(captured)

    client.get(reads_url(dossier))  # the session's first request does more
    few = queries()
    record(sent[1], client_user, count=198)
    assert queries() == few
    seen: list[int] = []
    first = reads_url(dossier)
    url = first
    while url:
        answer = client.get(url)
        rows = answer.context["rows"]
        assert len(rows) <= 50
        seen += [r.pk for r in rows]
        url = first + answer.context["next_url"] if answer.context["next_url"] else ""
    assert seen == list(DocumentRead.objects.order_by("-at", "-id").values_list("id", flat=True))
    assert len(seen) == 200


def test_the_csv_holds_every_filtered_read_with_formulas_quoted(
    licence_admin: User,
    client_user: User,
    accountant: User,
    dossier: Dossier,
    auth_client: Callable[[User], Client],
) -> None:
    hostile = receive(dossier, client_user, "=1+2.pdf")
    plain = receive(dossier, client_user, "facture.pdf")
    record(hostile, client_user, ReadKind.DOWNLOAD)
    token, client_api = api(accountant)
    services.documents_send(actor=client_user, dossier=dossier, documents=[plain, hostile])
    client_api.get(f"/api/v1/documents/{plain.public_id}/content")
    client = auth_client(licence_admin)
    response = client.get(reverse("portal:dossier_reads_csv", args=[dossier.public_id]))
    assert response.status_code == HTTPStatus.OK
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="ALPHA1-reads-{timezone.localdate().isoformat()}.csv"'
    )
    rows = list(csv.reader(io.StringIO(body(response).decode())))
    assert len(rows) == 3
    header, newest, oldest = rows
    assert len(header) == 7
    assert newest[1:] == [
        accountant.email,
        str(ReadKind.API_CONTENT.label),
        "facture.pdf",
        str(plain.public_id),
        f"{token.prefix}… (Bureau)",
        "127.0.0.0",
    ]
    assert oldest[1:4] == [client_user.email, str(ReadKind.DOWNLOAD.label), "'=1+2.pdf"]
    filtered = client.get(
        reverse("portal:dossier_reads_csv", args=[dossier.public_id]) + "?how=download"
    )
    assert [r[3] for r in csv.reader(io.StringIO(body(filtered).decode()))][1:] == ["'=1+2.pdf"]


def test_reads_of_a_draft_are_shown_to_nobody_but_its_uploader(
    licence_admin: User,
    client_user: User,
    dossier: Dossier,
    sent: list[Document],
    auth_client: Callable[[User], Client],
) -> None:
    draft = receive(dossier, client_user, "secret-draft.pdf")
    record(draft, client_user, ReadKind.PAGE)
    record(sent[0], client_user, ReadKind.PAGE)
    grant(licence_admin, dossier, "connect.entrepreneur")
    own = receive(dossier, licence_admin, "own-draft.pdf")
    record(own, licence_admin, ReadKind.DOWNLOAD)
    client = auth_client(licence_admin)
    csv_url = reverse("portal:dossier_reads_csv", args=[dossier.public_id])

    def listed() -> tuple[str, str]:
        page = client.get(reads_url(dossier))
        assert page.status_code == HTTPStatus.OK
        return page.content.decode(), body(client.get(csv_url)).decode()

    for text in listed():
        assert "facture-0.pdf" in text
        assert "own-draft.pdf" in text  # the actor's own upload
        assert "secret-draft.pdf" not in text
        assert str(draft.public_id) not in text
    assert "secret-draft" not in client.get(reads_url(dossier, document="secret")).content.decode()
    # Once sent, the document is the firm's too: its reads are listed.
    services.documents_send(actor=client_user, dossier=dossier, documents=[draft])
    for text in listed():
        assert "secret-draft.pdf" in text


@pytest.mark.parametrize(
    "actor_name", ["client_user", "other_staff", "accountant_role_only", "deactivated_admin"]
)
def test_the_list_and_csv_are_404_for_who_is_not_staff_of_the_firm(
    request: pytest.FixtureRequest,
    firm,
    dossier: Dossier,
    client_user: User,
    sent: list[Document],
    auth_client: Callable[[User], Client],
    actor_name: str,
) -> None:
    record(sent[0], client_user)
    if actor_name == "accountant_role_only":  # a Connect accountant of the dossier, level user
        user = MembershipFactory(firm=firm, level=FirmLevel.USER).user
        grant(user, dossier, "connect.accountant")
    elif actor_name == "deactivated_admin":  # the firm's licence admin, membership ended
        user = request.getfixturevalue("licence_admin")
        FirmMembership.objects.filter(user=user).update(is_active=False)
    else:
        user = request.getfixturevalue(actor_name)
    client = auth_client(user)
    for url in (
        reads_url(dossier),
        reverse("portal:dossier_reads_csv", args=[dossier.public_id]),
    ):
        answer = client.get(url)
        assert answer.status_code == HTTPStatus.NOT_FOUND, url
        assert b"facture-0" not in answer.content


def test_anonymous_visitors_go_to_the_login_page(dossier: Dossier) -> None:
    for url in (
        reads_url(dossier),
        reverse("portal:dossier_reads_csv", args=[dossier.public_id]),
    ):
        answer = Client().get(url)
        assert answer.status_code == HTTPStatus.FOUND
        assert answer["Location"].startswith(reverse("account_login"))
