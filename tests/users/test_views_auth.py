import re
from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client
from django.urls import NoReverseMatch, reverse

from users.models import User

LOGIN = "/accounts/login/"


def login(client: Client, email: str, password: str):
    return client.post(LOGIN, {"login": email, "password": password})


def test_login_with_the_winbooks_id_lands_on_the_hub(accountant: User, password: str) -> None:
    client = Client()
    response = login(client, "Comptable@ALPHA.be", password)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("portal:hub")
    assert client.get(reverse("portal:hub")).status_code == HTTPStatus.OK


def test_unknown_email_and_wrong_password_get_the_same_answer(accountant: User) -> None:
    unknown = login(Client(), "nobody@alpha.be", "Whatever-123456")
    wrong = login(Client(), accountant.email, "Whatever-123456")
    assert unknown.status_code == wrong.status_code == HTTPStatus.OK
    assert unknown.context["form"].errors == wrong.context["form"].errors
    assert unknown.context["form"].non_field_errors()


def test_the_sixth_failure_in_a_row_for_one_account_is_throttled(
    accountant: User, password: str
) -> None:
    for _ in range(5):
        response = login(Client(), accountant.email, "Wrong-password-1")
        assert "Location" not in response
    sixth = login(Client(), accountant.email, password)  # even the right password now
    assert sixth.status_code in (HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS)
    assert "Location" not in sixth
    assert not sixth.wsgi_request.user.is_authenticated


def test_a_deactivated_user_cannot_log_in(accountant: User, password: str) -> None:
    accountant.is_active = False
    accountant.save()
    client = Client()
    login(client, accountant.email, password)
    assert client.get(reverse("portal:hub")).status_code == HTTPStatus.FOUND


def test_logout_ends_the_session(accountant: User, auth_client) -> None:
    client = auth_client(accountant)
    response = client.post(reverse("account_logout"))
    assert response.status_code == HTTPStatus.FOUND
    hub = client.get(reverse("portal:hub"))
    assert hub.status_code == HTTPStatus.FOUND
    assert hub["Location"].startswith(LOGIN)


def test_there_is_no_sign_up_route() -> None:
    with pytest.raises(NoReverseMatch):
        reverse("account_signup")
    assert Client().get("/accounts/signup/").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.django_db
def test_the_login_page_offers_no_sign_up() -> None:
    body = Client().get(LOGIN).content.decode()
    assert "signup" not in body


def test_password_reset_mail_is_in_the_users_language_and_the_link_works(
    accountant: User, django_capture_on_commit_callbacks
) -> None:
    accountant.language = "nl"
    accountant.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": accountant.email})
    assert response.status_code == HTTPStatus.FOUND
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [accountant.email]
    assert "wachtwoord" in (message.subject + message.body).lower()
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+/)", message.body)
    assert link, message.body
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == HTTPStatus.OK
    new_password = "Nieuw-Wachtwoord-2026"
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": new_password, "password2": new_password},
    )
    assert done.status_code == HTTPStatus.FOUND
    accountant.refresh_from_db()
    assert accountant.check_password(new_password)
    # The link is single-use.
    again = client.get(link.group(1), follow=True)
    assert "password1" not in again.content.decode()


def test_password_reset_answers_the_same_for_unknown_addresses(
    accountant: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        known = Client().post(reverse("account_reset_password"), {"email": accountant.email})
        unknown = Client().post(reverse("account_reset_password"), {"email": "nobody@x.be"})
    assert known.status_code == unknown.status_code == HTTPStatus.FOUND
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in mail.outbox] == [[accountant.email]]


def test_password_change_applies_the_password_rules(
    accountant: User, password: str, auth_client
) -> None:
    client = auth_client(accountant)
    url = reverse("account_change_password")
    weak = client.post(
        url,
        {
            "oldpassword": password,
            "password1": "alllowercaseletters",
            "password2": "alllowercaseletters",
        },
    )
    assert weak.status_code == HTTPStatus.OK
    assert weak.context["form"].errors
    strong = client.post(
        url,
        {
            "oldpassword": password,
            "password1": "Sterk-Wachtwoord-9",
            "password2": "Sterk-Wachtwoord-9",
        },
    )
    assert strong.status_code == HTTPStatus.FOUND
    accountant.refresh_from_db()
    assert accountant.check_password("Sterk-Wachtwoord-9")


def test_mfa_setup_is_offered_to_a_logged_in_user(accountant: User, auth_client) -> None:
    response = auth_client(accountant).get(reverse("mfa_index"))
    assert response.status_code == HTTPStatus.OK
