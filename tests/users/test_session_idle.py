"""Sessions end after an idle time (SESSION_IDLE_SECONDS, 8 hours by default); "remember me"
at login keeps an idle session 14 days (SESSION_REMEMBER_SECONDS)."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from users.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.session_clock]

LOGIN = "/accounts/login/"


def logged_in(accountant: User, password: str, *, remember: bool = False) -> Client:
    client = Client()
    data = {"login": accountant.email, "password": password}
    if remember:
        data["remember"] = "on"
    assert client.post(LOGIN, data).status_code == HTTPStatus.FOUND
    return client


def hub_status(client: Client) -> int:
    return client.get(reverse("portal:hub")).status_code


def test_the_login_form_offers_remember_me() -> None:
    form = Client().get(LOGIN).context["form"]
    assert "remember" in form.fields


def test_a_session_idle_longer_than_the_limit_is_logged_out_at_the_next_request(
    accountant: User, password: str, time_machine
) -> None:
    time_machine.move_to("2026-03-10 08:00 +01:00", tick=False)
    client = logged_in(accountant, password)
    assert hub_status(client) == HTTPStatus.OK
    time_machine.shift(timedelta(hours=8, minutes=1))
    answer = client.get(reverse("portal:hub"))
    assert answer.status_code == HTTPStatus.FOUND
    assert answer["Location"].startswith(LOGIN)
    # Logged out for good: the session no longer holds the user.
    assert "_auth_user_id" not in client.session
    assert hub_status(client) == HTTPStatus.FOUND


def test_an_active_session_outlives_the_idle_limit(
    accountant: User, password: str, time_machine
) -> None:
    time_machine.move_to("2026-03-10 08:00 +01:00", tick=False)
    client = logged_in(accountant, password)
    for _ in range(4):  # 28 hours in all, never 8 idle
        time_machine.shift(timedelta(hours=7))
        assert hub_status(client) == HTTPStatus.OK


def test_the_idle_limit_is_a_setting(accountant: User, password: str, time_machine, settings):
    settings.SESSION_IDLE_SECONDS = 600
    time_machine.move_to("2026-03-10 08:00 +01:00", tick=False)
    client = logged_in(accountant, password)
    time_machine.shift(timedelta(minutes=9))
    assert hub_status(client) == HTTPStatus.OK
    time_machine.shift(timedelta(minutes=11))
    assert hub_status(client) == HTTPStatus.FOUND


def test_remember_me_keeps_an_idle_session_14_days(
    accountant: User, password: str, time_machine
) -> None:
    time_machine.move_to("2026-03-10 08:00 +01:00", tick=False)
    client = logged_in(accountant, password, remember=True)
    time_machine.shift(timedelta(days=13, hours=23))
    assert hub_status(client) == HTTPStatus.OK
    time_machine.shift(timedelta(days=14, minutes=1))
    assert hub_status(client) == HTTPStatus.FOUND
