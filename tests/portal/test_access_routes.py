"""Portal, Connect and API routes, for the actors that must not reach another firm's or another
role's pages: anonymous visitors go to the login page, everyone else gets 404, nothing changes.
The generated matrix over every route and actor is tests/security/test_access_matrix.py (a
route without a rule there fails)."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from dossiers.models import ConnectionTest, Dossier, DossierAccess, Firm, FirmMembership, Invitation
from users.models import User

# Route name -> which ids it takes. "public" routes are open to anyone by design.
PORTAL_ROUTES = {
    "portal:firm": "firm",
    "portal:dossier_create": "firm",
    "portal:users": "firm",
    "portal:credits": "firm",
    "portal:user_create": "firm",
    "portal:staff_search": "firm",
    "portal:firm_api_tokens": "firm",
    "portal:user": "firm_user",
    "portal:user_invitation_send": "firm_user",
    "portal:user_invitation_revoke": "firm_user",
    "portal:dossier": "dossier",
    "portal:dossier_connect": "dossier",
    "portal:dossier_connection_test": "dossier",
    "portal:dossier_connection_test_run": "dossier",
}
# Connect routes: only users holding a Connect role on the dossier (and its documents).
CONNECT_ROUTES = {
    "connect:dossier": "dossier",
    "connect:upload": "dossier",
    "connect:send": "dossier",
    "connect:binder_create": "dossier",
    "connect:section": "section",
    "connect:document": "document",
    "connect:thumbnail": "document",
    "connect:download": "document",
    "connect:document_action": "action",
    "connect:share": "dossier",
    "connect:profile": "dossier",
    "connect:inbound_address": "dossier",
    "connect:attachment": "attachment",
}
# API v1: a Bearer token of someone who holds a Connect role on the dossier.
API_ROUTES = {
    "api:dossier_documents": "dossier",
    "api:dossier_documents_zip": "dossier",
    "api:document": "document",
    "api:document_content": "document",
    "api:document_retrieved": "document",
}


def urls_for(firm: Firm, dossier: Dossier, user: User) -> list[tuple[str, str]]:
    args = {
        "firm": [firm.public_id],
        "firm_user": [firm.public_id, user.public_id],
        "dossier": [dossier.public_id],
    }
    return [(name, reverse(name, args=args[kind])) for name, kind in PORTAL_ROUTES.items()]


def snapshot() -> tuple:
    return tuple(
        m.objects.count()
        for m in (
            User,
            FirmMembership,
            DossierAccess,
            Dossier,
            Invitation,
            ConnectionTest,
            AuditEvent,
        )
    )


@pytest.mark.parametrize("actor_name", ["anonymous", "client_user", "other_staff", "deactivated"])
def test_portal_routes_refuse_who_must_not_reach_them(
    request: pytest.FixtureRequest,
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    licence_admin: User,
    other_staff: User,
    actor_name: str,
) -> None:
    client = Client()
    if actor_name == "deactivated":
        FirmMembership.objects.filter(user=licence_admin).update(is_active=False)
        client.force_login(licence_admin)
    elif actor_name != "anonymous":
        client.force_login(request.getfixturevalue(actor_name))
    before = snapshot()
    attempts = 0
    for name, url in urls_for(firm, dossier, client_user):
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"connect_enabled": "on", "name": "Canary"})
            attempts += 1
            if actor_name == "anonymous":
                assert response.status_code == HTTPStatus.FOUND, (name, method)
                assert response["Location"].startswith(reverse("account_login")), name
            else:
                assert response.status_code in (
                    HTTPStatus.NOT_FOUND,
                    HTTPStatus.METHOD_NOT_ALLOWED,
                ), (name, method)
                assert dossier.name.encode() not in response.content
    assert snapshot() == before
    assert attempts == 2 * len(PORTAL_ROUTES)


@pytest.fixture
def document(dossier: Dossier, client_user: User, settings, tmp_path):
    from connect.documents.services import document_receive
    from connect.documents.services.processing import document_process
    from tests.connect.samples import pdf

    settings.MEDIA_ROOT = str(tmp_path)
    received = document_receive(
        dossier=dossier, actor=client_user, filename="canary.pdf", chunks=[pdf()], source="web"
    ).document
    document_process(document_id=received.pk)
    received.refresh_from_db()
    return received


def connect_urls(dossier: Dossier, document) -> list[tuple[str, str]]:
    args = {
        "dossier": [dossier.public_id],
        "section": [dossier.public_id, "invoices"],
        "document": [document.public_id],
        "action": [document.public_id, "reject"],
        "attachment": [document.public_id, document.public_id],
    }
    return [(name, reverse(name, args=args[kind])) for name, kind in CONNECT_ROUTES.items()]


@pytest.mark.parametrize(
    "actor_name",
    ["anonymous", "neighbour", "licence_admin", "other_staff", "deactivated", "role_removed"],
)
def test_connect_routes_refuse_who_must_not_reach_them(
    request: pytest.FixtureRequest,
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    document,
    actor_name: str,
) -> None:
    from connect.models import Binder, Document
    from tests.factories import DossierFactory, UserFactory, grant

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
    before = (
        Document.objects.count(),
        Binder.objects.count(),
        list(Document.objects.values_list("status", "filename")),
    )
    for name, url in connect_urls(dossier, document):
        for method in ("get", "post"):
            data = {
                "documents": [str(document.public_id)],
                "name": "Intruder",
                "filename": "hacked.pdf",
                "category": "other",
            }
            response = getattr(client, method)(url, data)
            if actor_name == "anonymous":
                assert response.status_code == HTTPStatus.FOUND, (name, method)
                assert response["Location"].startswith(reverse("account_login")), name
            else:
                assert response.status_code in (
                    HTTPStatus.NOT_FOUND,
                    HTTPStatus.METHOD_NOT_ALLOWED,
                ), (name, method)
                assert b"canary" not in response.content
    assert (
        Document.objects.count(),
        Binder.objects.count(),
        list(Document.objects.values_list("status", "filename")),
    ) == before


def test_the_client_reaches_every_connect_route(
    client_user: User, dossier: Dossier, document, auth_client
) -> None:
    client = auth_client(client_user)
    for name, url in connect_urls(dossier, document):
        if name in (
            "connect:upload",
            "connect:send",
            "connect:binder_create",
            "connect:document_action",
            "connect:share",
            "connect:profile",
            "connect:attachment",
        ):
            continue  # POST only, or the accountant's: tested with their effects
        response = client.get(url)
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND), name


def api_urls(dossier: Dossier, document) -> list[tuple[str, str]]:
    args = {"dossier": [dossier.public_id], "document": [document.public_id]}
    return [(name, reverse(name, args=args[kind])) for name, kind in API_ROUTES.items()]


@pytest.mark.parametrize(
    "actor_name",
    [
        "anonymous",
        "neighbour",
        "licence_admin",
        "other_staff",
        "deactivated",
        "role_removed",
        "left_the_firm",
        "revoked",
    ],
)
def test_api_routes_refuse_who_must_not_reach_them(
    request: pytest.FixtureRequest,
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    document,
    actor_name: str,
) -> None:
    """401 without a live token, 404 for a token that must not see the dossier; no change and
    no canary in any answer."""
    from connect.documents.services import documents_send
    from connect.models import Document
    from tests.factories import DossierFactory, UserFactory, grant
    from users.models import ApiToken
    from users.services import api_token_create

    documents_send(actor=client_user, dossier=dossier, documents=[document])
    expected = HTTPStatus.NOT_FOUND
    if actor_name == "neighbour":
        actor = UserFactory()
        grant(actor, DossierFactory(firm=firm), "connect.accountant")
    elif actor_name in ("deactivated", "role_removed", "left_the_firm", "revoked"):
        actor = client_user
    elif actor_name != "anonymous":
        actor = request.getfixturevalue(actor_name)
    client = Client()
    if actor_name != "anonymous":
        _token, raw = api_token_create(actor=actor, name="probe")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    if actor_name == "anonymous":
        expected = HTTPStatus.UNAUTHORIZED
    elif actor_name == "deactivated":
        User.objects.filter(pk=client_user.pk).update(is_active=False)
        expected = HTTPStatus.UNAUTHORIZED
    elif actor_name == "revoked":
        ApiToken.objects.filter(user=client_user).update(revoked_at=document.uploaded_at)
        expected = HTTPStatus.UNAUTHORIZED
    elif actor_name == "role_removed":
        DossierAccess.objects.filter(user=client_user).delete()
    elif actor_name == "left_the_firm":
        FirmMembership.objects.filter(user=client_user).update(is_active=False)
    before = list(Document.objects.values_list("status", "filename", "retrieved_at"))
    for name, url in api_urls(dossier, document):
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"file": "", "send": "true"})
            if response.status_code == HTTPStatus.METHOD_NOT_ALLOWED and actor_name not in (
                "anonymous",
                "deactivated",
                "revoked",
            ):
                continue
            assert response.status_code == expected, (name, method, response.content)
            assert set(response.json()["error"]) == {"code", "message"}
            assert b"canary" not in response.content
    listed = client.get(reverse("api:dossiers"))
    assert b"canary" not in listed.content and dossier.name.encode() not in listed.content
    assert list(Document.objects.values_list("status", "filename", "retrieved_at")) == before
