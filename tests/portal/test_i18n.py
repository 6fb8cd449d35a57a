from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from users.models import User

HUB_TITLE = {
    "fr": "Outils numériques",
    "nl": "Digitale tools",
    "de": "Digitale Werkzeuge",
    "en": "Digital tools",
}
LOGIN_TITLE = {"fr": "Se connecter", "nl": "Aanmelden", "de": "Anmelden", "en": "Log in"}


@pytest.mark.parametrize("language", ["fr", "nl", "de", "en"])
def test_the_ui_follows_the_users_language(client_user: User, auth_client, language: str) -> None:
    client_user.language = language
    client_user.save()
    client = auth_client(client_user)
    # The browser asks for another language: the user's own choice wins.
    response = client.get(
        reverse("portal:hub"), HTTP_ACCEPT_LANGUAGE="en" if language != "en" else "fr"
    )
    body = response.content.decode()
    assert f'<html lang="{language}">' in body
    assert HUB_TITLE[language] in body
    assert response["Content-Language"] == language


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "language"),
    [
        ("nl-BE,nl;q=0.9", "nl"),
        ("de-DE", "de"),
        ("en-GB,en;q=0.8", "en"),
        ("fr-BE", "fr"),
        ("es-ES", "fr"),
    ],
)
def test_before_login_the_browser_language_is_used(accept: str, language: str) -> None:
    body = Client().get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert f'<html lang="{language}">' in body
    assert LOGIN_TITLE[language] in body


def test_the_language_switch_saves_the_users_language(client_user: User, auth_client) -> None:
    client = auth_client(client_user)
    response = client.post(reverse("portal:language"), {"language": "nl", "next": "/hub/"})
    assert response["Location"] == "/hub/"
    client_user.refresh_from_db()
    assert client_user.language == "nl"
    assert HUB_TITLE["nl"] in client.get("/hub/").content.decode()


@pytest.mark.django_db
def test_the_language_switch_works_before_login_with_a_cookie() -> None:
    client = Client()
    client.post(reverse("portal:language"), {"language": "de", "next": "/accounts/login/"})
    assert LOGIN_TITLE["de"] in client.get(reverse("account_login")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_the_language_switch_never_redirects_off_site(target: str) -> None:
    response = Client().post(reverse("portal:language"), {"language": "en", "next": target})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/"


def test_an_unknown_language_changes_nothing(client_user: User, auth_client) -> None:
    auth_client(client_user).post(reverse("portal:language"), {"language": "xx"})
    client_user.refresh_from_db()
    assert client_user.language == "fr"


def test_the_language_switch_refuses_get(client_user: User, auth_client) -> None:
    response = auth_client(client_user).get(reverse("portal:language"))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
