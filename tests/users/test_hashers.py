"""Passwords are stored as Argon2id at OWASP's setting; older hashes are rewritten at login
(users/hashers.py). The test settings hash with MD5 for speed: these tests put the portal's
own list back."""

from http import HTTPStatus

import pytest
from argon2 import PasswordHasher
from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import Client, override_settings

from portal.settings import base
from users.models import User

PORTAL_HASHERS = override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)


@PORTAL_HASHERS
def test_a_new_password_is_stored_as_argon2id_with_owasp_settings() -> None:
    encoded = make_password("Comptable-2026!")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("Comptable-2026!", encoded)
    assert not check_password("Comptable-2026?", encoded)
    # The encoded form is the reference library's own: it verifies outside Django too.
    assert PasswordHasher().verify(encoded.removeprefix("argon2"), "Comptable-2026!")


@PORTAL_HASHERS
@pytest.mark.django_db
def test_a_pbkdf2_password_of_before_logs_in_and_is_rewritten_as_argon2id(
    accountant: User, password: str
) -> None:
    accountant.password = make_password(password, hasher="pbkdf2_sha256")
    accountant.save(update_fields=["password"])
    assert identify_hasher(accountant.password).algorithm == "pbkdf2_sha256"

    response = Client().post("/accounts/login/", {"login": accountant.email, "password": password})

    assert response.status_code == HTTPStatus.FOUND
    accountant.refresh_from_db()
    assert accountant.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert (
        Client()
        .post("/accounts/login/", {"login": accountant.email, "password": password})
        .status_code
        == HTTPStatus.FOUND
    )


@PORTAL_HASHERS
@pytest.mark.django_db
def test_a_wrong_password_rewrites_nothing(accountant: User, password: str) -> None:
    accountant.password = make_password(password, hasher="pbkdf2_sha256")
    accountant.save(update_fields=["password"])
    before = accountant.password

    Client().post("/accounts/login/", {"login": accountant.email, "password": "Not-the-one-42"})

    accountant.refresh_from_db()
    assert accountant.password == before


def test_the_test_settings_alone_use_a_fast_hasher() -> None:
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert base.PASSWORD_HASHERS[0] == "users.hashers.Argon2idPasswordHasher"
