"""API v1 (DESIGN.md §4): tokens, the sender's upload, the accountant's retrieval, errors."""

import base64
import hashlib
import io
import json
import zipfile
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from connect.documents import services
from connect.models import Document, Status
from core.pagination import id_cursor_decode, id_cursor_encode
from dossiers.models import Dossier, FirmMembership
from tests.connect import samples
from tests.factories import DossierFactory, UserFactory, grant
from tests.users.tokens import reauthenticate
from users.models import ApiToken, User
from users.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def api(user: User) -> Client:
    _token, raw = api_token_create(actor=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def upload(client: Client, dossier: Dossier, data: bytes, name: str = "facture.pdf", **extra):
    fields = {"file": io.BytesIO(data), **extra}
    fields["file"].name = name
    return client.post(f"/api/v1/dossiers/{dossier.public_id}/documents", fields)


def test_the_command_prints_the_token_alone_on_its_last_line_and_keeps_only_its_hash(
    client_user: User,
) -> None:
    out = io.StringIO()
    call_command("api_token", "create", client_user.email, "--name", "Scanner", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert raw.startswith("wbp_") and " " not in raw
    token = ApiToken.objects.get(user=client_user)
    assert token.name == "Scanner"
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(list(ApiToken.objects.values()))
    me = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me")
    assert me.status_code == HTTPStatus.OK
    assert me.json()["winbooks_id"] == client_user.email
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_sender_uploads_and_a_retry_of_the_same_bytes_is_a_duplicate(
    client_user: User, dossier: Dossier
) -> None:
    client = api(client_user)
    first = upload(client, dossier, samples.pdf(text="API 1"), amount="12.50", comment="Taxi")
    assert first.status_code == HTTPStatus.CREATED, first.content
    body = first.json()
    assert body["duplicate"] is False
    assert (body["source"], body["status"], body["amount"]) == ("api", "draft", "12.50")
    assert body["uploaded_by"] == client_user.email
    again = upload(client, dossier, samples.pdf(text="API 1"), name="other-name.pdf")
    assert again.status_code == HTTPStatus.OK
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == body["id"]
    assert Document.objects.filter(dossier=dossier).count() == 1


def test_upload_errors_use_the_error_format_and_keep_nothing(
    client_user: User, dossier: Dossier, settings
) -> None:
    client = api(client_user)
    html = upload(client, dossier, b"<html><script>alert(1)</script></html>", name="x.pdf")
    assert html.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert set(html.json()["error"]) == {"code", "message"}
    settings.CONNECT_MAX_UPLOAD_SIZE = 1000
    big = upload(client, dossier, samples.pdf(text="x" * 2000))
    assert big.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    bad = upload(client, dossier, samples.pdf(), category="nonsense")
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert bad.json()["error"]["code"] == "invalid"
    assert not Document.objects.exists()


def test_the_accountant_lists_downloads_and_acknowledges_new_documents(
    client_user: User, accountant: User, dossier: Dossier
) -> None:
    sender = api(client_user)
    sent = upload(sender, dossier, samples.pdf(text="retrieve me"), send="true").json()
    upload(sender, dossier, samples.pdf(text="still on the desk"))  # a draft: never offered
    desk = api(accountant)
    dossiers = desk.get("/api/v1/dossiers").json()
    assert dossiers["next"] is None
    assert [(d["code"], d["new_documents"]) for d in dossiers["results"]] == [("ALPHA1", 1)]
    listed = desk.get(f"/api/v1/dossiers/{dossier.public_id}/documents?status=new").json()
    assert [d["id"] for d in listed["results"]] == [sent["id"]]
    item = listed["results"][0]
    assert item["status"] == "sent" and item["processing_mode"] == "transport"
    content = desk.get(item["content_url"].replace("http://testserver", ""))
    data = b"".join(content.streaming_content)
    assert hashlib.sha256(data).hexdigest() == item["sha256"] == content["X-Content-SHA256"]
    assert content["Content-Disposition"].startswith("attachment")
    assert content["X-Content-Type-Options"] == "nosniff"
    assert content["ETag"] == f'"{item["sha256"]}"'
    not_modified = desk.get(
        f"/api/v1/documents/{item['id']}/content", HTTP_IF_NONE_MATCH=content["ETag"]
    )
    assert not_modified.status_code == HTTPStatus.NOT_MODIFIED
    ack = desk.post(f"/api/v1/documents/{item['id']}/retrieved")
    assert ack.status_code == HTTPStatus.OK and ack.json()["status"] == "retrieved"
    again = desk.post(f"/api/v1/documents/{item['id']}/retrieved")
    assert again.status_code == HTTPStatus.OK and again.json() == ack.json()
    after = desk.get(f"/api/v1/dossiers/{dossier.public_id}/documents").json()
    assert after["results"] == []
    retrieved = desk.get(f"/api/v1/dossiers/{dossier.public_id}/documents?status=retrieved")
    assert [d["id"] for d in retrieved.json()["results"]] == [sent["id"]]
    assert (
        desk.get(f"/api/v1/dossiers/{dossier.public_id}/documents?status=draft").json()["results"]
        == []
    )


def test_lists_page_with_a_cursor(
    client_user: User, accountant: User, dossier: Dossier, monkeypatch
) -> None:
    monkeypatch.setattr("connect.api.documents.PAGE_SIZE", 2)
    sender = api(client_user)
    ids = [
        upload(sender, dossier, samples.pdf(text=f"page {n}"), send="true").json()["id"]
        for n in range(5)
    ]
    desk = api(accountant)
    url, seen = f"/api/v1/dossiers/{dossier.public_id}/documents?status=new", []
    while url:
        page = desk.get(url.replace("http://testserver", "")).json()
        seen += [d["id"] for d in page["results"]]
        url = page["next"]
    assert seen == ids
    broken = desk.get(f"/api/v1/dossiers/{dossier.public_id}/documents?cursor=%%%")
    assert broken.status_code == HTTPStatus.BAD_REQUEST


def _documented_id_cursor(pk: int) -> str:
    """An API cursor as clients have always received it: "k" and the id, URL-safe base64
    without its padding."""
    return base64.urlsafe_b64encode(f"k{pk}".encode()).decode().rstrip("=")


def test_id_cursors_keep_their_wire_format(
    client_user: User, accountant: User, dossier: Dossier, monkeypatch
) -> None:
    """A cursor a client got before keeps working: the encoding is byte-for-byte the same,
    the next link carries it, and an old cursor resumes after its id."""
    for pk in (1, 7, 12345, 2**40):
        assert id_cursor_encode(pk) == _documented_id_cursor(pk)
        assert id_cursor_decode(_documented_id_cursor(pk)) == pk
    assert _documented_id_cursor(12345) == "azEyMzQ1"
    assert id_cursor_decode(base64.urlsafe_b64encode(b"12345").decode()) is None
    monkeypatch.setattr("connect.api.documents.PAGE_SIZE", 2)
    sender = api(client_user)
    ids = [
        upload(sender, dossier, samples.pdf(text=f"wire {n}"), send="true").json()["id"]
        for n in range(4)
    ]
    pks = [Document.objects.get(public_id=public_id).pk for public_id in ids]
    desk = api(accountant)
    base = f"/api/v1/dossiers/{dossier.public_id}/documents?status=new"
    page = desk.get(base).json()
    assert parse_qs(urlsplit(page["next"]).query)["cursor"] == [_documented_id_cursor(pks[1])]
    resumed = desk.get(f"{base}&cursor={_documented_id_cursor(pks[0])}").json()
    assert [d["id"] for d in resumed["results"]] == ids[1:3]
    wrong = desk.get(f"{base}&cursor={base64.urlsafe_b64encode(b'x1').decode()}")
    assert wrong.status_code == HTTPStatus.BAD_REQUEST
    assert wrong.json()["error"]["code"] == "cursor_invalid"


def test_the_zip_streams_the_new_documents_with_a_manifest(
    client_user: User, accountant: User, dossier: Dossier
) -> None:
    sender = api(client_user)
    for n in range(3):
        upload(sender, dossier, samples.pdf(text=f"zip {n}"), name=f"../f{n}.pdf", send="true")
    response = api(accountant).get(f"/api/v1/dossiers/{dossier.public_id}/documents.zip")
    assert response.status_code == HTTPStatus.OK
    data = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    assert len(manifest["documents"]) == 3
    for entry in manifest["documents"]:
        assert "/" not in entry["path"] and ".." not in entry["path"]
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]


def test_an_entrepreneur_token_cannot_list_download_as_zip_or_acknowledge(
    client_user: User, dossier: Dossier
) -> None:
    client = api(client_user)
    sent = upload(client, dossier, samples.pdf(text="mine"), send="true").json()
    for response in (
        client.get(f"/api/v1/dossiers/{dossier.public_id}/documents?status=new"),
        client.get(f"/api/v1/dossiers/{dossier.public_id}/documents.zip"),
        client.post(f"/api/v1/documents/{sent['id']}/retrieved"),
    ):
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert response.json()["error"]["code"] == "forbidden"
    assert client.get(f"/api/v1/documents/{sent['id']}").status_code == HTTPStatus.OK
    assert Document.objects.get().status == Status.SENT


def test_dead_tokens_get_401(client_user: User, dossier: Dossier) -> None:
    token, raw = api_token_create(actor=client_user, name="old")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me").status_code == HTTPStatus.OK
    client_user.is_active = False
    client_user.save()
    refused = client.get("/api/v1/me")
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused.json()["error"]["code"] == "token_revoked"
    assert refused["WWW-Authenticate"].startswith("Bearer")
    client_user.is_active = True
    client_user.save()
    token.revoked_at = token.created_at
    token.save()
    assert client.get("/api/v1/me").status_code == HTTPStatus.UNAUTHORIZED
    assert Client().get("/api/v1/me").json()["error"]["code"] == "not_authenticated"
    unknown = Client(HTTP_AUTHORIZATION="Bearer wbp_nonsense").get("/api/v1/dossiers")
    assert unknown.status_code == HTTPStatus.UNAUTHORIZED
    assert unknown.json()["error"]["code"] == "token_invalid"


def test_a_user_leaving_the_firm_no_longer_sees_its_dossiers(
    client_user: User, dossier: Dossier
) -> None:
    client = api(client_user)
    FirmMembership.objects.filter(user=client_user).update(is_active=False)
    assert client.get("/api/v1/dossiers").json()["results"] == []
    assert (
        client.get(f"/api/v1/dossiers/{dossier.public_id}/documents").status_code
        == HTTPStatus.NOT_FOUND
    )


def test_requests_over_the_rate_limit_get_429(client_user: User, settings) -> None:
    from rest_framework.settings import api_settings

    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], token="3/min")
    settings.REST_FRAMEWORK = dict(settings.REST_FRAMEWORK, DEFAULT_THROTTLE_RATES=rates)
    api_settings.reload()
    from connect.api.framework import TokenRateThrottle

    TokenRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        client = api(client_user)
        codes = [client.get("/api/v1/me").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.get("/api/v1/me")
        assert limited.json()["error"]["code"] == "rate_limited"
        assert int(limited["Retry-After"]) > 0
    finally:
        settings.REST_FRAMEWORK = dict(
            settings.REST_FRAMEWORK,
            DEFAULT_THROTTLE_RATES=dict(rates, token="600/min"),
        )
        api_settings.reload()
        TokenRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


def test_the_openapi_document_describes_every_route() -> None:
    response = Client().get("/api/v1/schema?format=json")
    assert response.status_code == HTTPStatus.OK
    schema = json.loads(response.content)
    assert set(schema["paths"]) == {
        "/api/v1/me",
        "/api/v1/dossiers",
        "/api/v1/dossiers/{dossier_id}/documents",
        "/api/v1/dossiers/{dossier_id}/documents.zip",
        "/api/v1/documents/{document_id}",
        "/api/v1/documents/{document_id}/content",
        "/api/v1/documents/{document_id}/retrieved",
    }
    document = schema["components"]["schemas"]["Document"]["properties"]
    assert {"recognized", "duplicate_of", "content_url", "processing_mode"} <= set(document)


def test_an_accountant_upload_is_sent_at_once_when_asked(
    accountant: User, dossier: Dossier
) -> None:
    response = upload(api(accountant), dossier, samples.pdf(text="scanner"), send="true")
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["status"] == "sent"


def test_the_portal_page_makes_lists_and_revokes_the_users_own_tokens(
    client_user: User, auth_client
) -> None:
    client = auth_client(client_user)
    reauthenticate(client)
    made = client.post("/tokens/", {"name": "PC du bureau", "days": "90", "scope": "read"})
    assert made.status_code == HTTPStatus.OK
    assert made["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=client_user)
    raw = made.content.decode().split('id="new-token"')[1].split('value="')[1].split('"')[0]
    assert hashlib.sha256(raw.encode()).hexdigest() == token.key_hash
    listing = client.get("/tokens/").content.decode()
    assert "PC du bureau" in listing and raw not in listing
    empty = client.post("/tokens/", {"name": "  ", "days": "90", "scope": "read"})
    assert empty.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    stranger = UserFactory()
    grant(stranger, DossierFactory(), "connect.entrepreneur")
    assert (
        auth_client(stranger).post(f"/tokens/{token.public_id}/revoke/").status_code
        == HTTPStatus.NOT_FOUND
    )
    token.refresh_from_db()
    assert token.revoked_at is None
    client.post(f"/tokens/{token.public_id}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    dead = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me")
    assert dead.status_code == HTTPStatus.UNAUTHORIZED


def test_behind_nginx_the_bytes_are_handed_to_x_accel_redirect(
    client_user: User, dossier: Dossier, settings
) -> None:
    settings.CONNECT_X_ACCEL_REDIRECT = "/protected/"
    client = api(client_user)
    sent = upload(client, dossier, samples.pdf(text="nginx")).json()
    response = client.get(f"/api/v1/documents/{sent['id']}/content")
    document = Document.objects.get()
    assert response["X-Accel-Redirect"] == f"/protected/{document.storage_name}"
    assert response.content == b""
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-SHA256"] == document.sha256


def test_a_clients_draft_stays_private_when_the_accountant_sends_the_same_bytes(
    client_user: User, accountant: User, dossier: Dossier
) -> None:
    upload(api(client_user), dossier, samples.pdf(text="secret"), comment="PRIVATE COMMENT")
    desk = api(accountant)
    again = upload(desk, dossier, samples.pdf(text="secret"))
    assert again.status_code == HTTPStatus.CONFLICT
    assert again.json()["error"]["code"] == "duplicate"
    assert b"PRIVATE" not in again.content
    assert Document.objects.count() == 1
    # The accountant's own upload, not sent, stays theirs to see.
    own = upload(desk, dossier, samples.pdf(text="mine")).json()
    assert desk.get(f"/api/v1/documents/{own['id']}").status_code == HTTPStatus.OK


def test_send_without_the_required_facts_stores_nothing_and_a_retry_sends(
    client_user: User, accountant: User, dossier: Dossier
) -> None:
    services.profile_update(
        actor=accountant,
        dossier=dossier,
        auto_send=False,
        require_due_date=True,
        require_amount=False,
        pre_validation=False,
        allowed_categories=[],
        email_allow_list="",
        digest_hours=24,
        notify_client=True,
    )
    client = api(client_user)
    refused = upload(client, dossier, samples.pdf(text="due"), send="true")
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json()["error"]["code"] == "facts_required"
    assert not Document.objects.exists()
    draft = upload(client, dossier, samples.pdf(text="due"), due_date="2026-12-31")
    assert draft.json()["status"] == "draft"
    retry = upload(client, dossier, samples.pdf(text="due"), due_date="2026-12-31", send="true")
    assert retry.status_code == HTTPStatus.OK
    assert (retry.json()["duplicate"], retry.json()["status"]) == (True, "sent")


def test_malformed_requests_answer_in_the_error_format(
    client_user: User, dossier: Dossier, settings
) -> None:
    client = api(client_user)
    for path in ("/api/v1/nothing", "/api/v1/me/", "/api/v1/documents/not-a-uuid"):
        response = client.get(path)
        assert response.status_code == HTTPStatus.NOT_FOUND, path
        assert response.json()["error"]["code"] == "not_found"
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    crowded = client.post(
        f"/api/v1/dossiers/{dossier.public_id}/documents", {f"f{n}": "x" for n in range(10)}
    )
    assert crowded.status_code == HTTPStatus.BAD_REQUEST
    assert crowded.json()["error"]["code"] == "invalid"
    settings.CONNECT_MAX_UPLOAD_SIZE = 10
    huge = upload(client, dossier, b"%PDF-" + b"0" * (2 * 1024 * 1024))
    assert huge.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert huge.json()["error"]["code"] == "too_large"
    assert not Document.objects.exists()
