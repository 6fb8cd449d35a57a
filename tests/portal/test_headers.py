"""Browser security headers on every page (portal/middleware.py): a strict
Content-Security-Policy, Permissions-Policy, COOP/CORP, nosniff, no framing; and the HTML the
pages send holds nothing that policy would refuse (inline scripts, event handler attributes,
style attributes). The real browser check is tests/e2e/test_csp.py."""

import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from connect.documents.services import document_receive
from connect.models import Document
from dossiers.models import Dossier, Firm
from tests.connect import samples
from users.models import User

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: What a strict policy refuses in a page's markup.
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def document(dossier: Dossier, client_user: User, django_capture_on_commit_callbacks) -> Document:
    with django_capture_on_commit_callbacks(execute=True):
        result = document_receive(
            dossier=dossier,
            actor=client_user,
            filename="facture.pdf",
            chunks=[samples.pdf(1)],
            source="web",
        )
    return result.document


def assert_page_headers(response) -> None:
    assert response["Content-Security-Policy"] == CSP
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def assert_markup_is_strict(url: str, html: str) -> None:
    assert not INLINE_SCRIPT.search(html), f"inline <script> in {url}"
    assert not HANDLER_ATTRIBUTE.search(html), f"on…= handler attribute in {url}"
    assert not STYLE_ATTRIBUTE.search(html), f"style= attribute in {url}"


def test_every_page_of_a_sample_sends_the_headers_and_strict_markup(
    firm: Firm,
    dossier: Dossier,
    accountant: User,
    licence_admin: User,
    client_user: User,
    document: Document,
    auth_client,
) -> None:
    pages: list[tuple[Client, str, int]] = [
        (Client(), reverse("account_login"), HTTPStatus.OK),
        (Client(), reverse("account_reset_password"), HTTPStatus.OK),
        (Client(), "/no-such-page/", HTTPStatus.NOT_FOUND),
    ]
    staff = auth_client(licence_admin)
    pages += [
        (staff, reverse("portal:hub"), HTTPStatus.OK),
        (staff, reverse("portal:firm", args=[firm.public_id]), HTTPStatus.OK),
        (staff, reverse("portal:users", args=[firm.public_id]), HTTPStatus.OK),
        (staff, reverse("portal:dossier", args=[dossier.public_id]), HTTPStatus.OK),
        (staff, reverse("portal:dossier_connect", args=[dossier.public_id]), HTTPStatus.OK),
        (staff, reverse("portal:credits", args=[firm.public_id]), HTTPStatus.OK),
    ]
    keeper = auth_client(accountant)
    pages += [
        (keeper, reverse("connect:inbox"), HTTPStatus.OK),
        (keeper, reverse("portal:view_dossier", args=[dossier.public_id]), HTTPStatus.OK),
    ]
    client = auth_client(client_user)
    pages += [
        (client, reverse("connect:dossier", args=[dossier.public_id]), HTTPStatus.OK),
        (client, reverse("connect:document", args=[document.public_id]), HTTPStatus.OK),
        (client, reverse("connect:tasks", args=[dossier.public_id]), HTTPStatus.OK),
        (client, reverse("connect:threads", args=[dossier.public_id]), HTTPStatus.OK),
        (client, reverse("portal:api_tokens"), HTTPStatus.OK),
    ]
    for browser, url, status in pages:
        response = browser.get(url, follow=True)
        assert response.status_code == status, url
        assert response["Content-Type"].startswith("text/html"), url
        assert_page_headers(response)
        assert_markup_is_strict(url, response.content.decode())


def test_downloads_keep_their_own_sandboxed_policy(
    client_user: User, document: Document, auth_client
) -> None:
    response = auth_client(client_user).get(reverse("connect:download", args=[document.public_id]))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_json_endpoints_get_the_headers_too(client_user: User, dossier: Dossier, auth_client):
    response = auth_client(client_user).get(
        reverse("portal:view_dossier_data", args=[dossier.public_id, "top_suppliers"])
    )
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Security-Policy"] == CSP
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_markup_checks_catch_what_the_policy_refuses() -> None:
    with pytest.raises(AssertionError):
        assert_markup_is_strict("x", "<p><script>alert(1)</script></p>")
    with pytest.raises(AssertionError):
        assert_markup_is_strict("x", '<button type="button" onclick="go()">')
    with pytest.raises(AssertionError):
        assert_markup_is_strict("x", '<div class="a" style="color: red">')
    assert_markup_is_strict(
        "x",
        '<script src="/static/a.js" defer></script><script type="application/json">{}</script>'
        '<p data-style="x" title="onclick=">',
    )
