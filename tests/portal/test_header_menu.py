"""The page frame: who sees "API tokens" in the menu, and where a login lands (issue 14)."""

from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dossiers.models import Dossier, Firm, FirmLevel
from tests.factories import DossierFactory, MembershipFactory, grant
from tests.users.tokens import reauthenticate
from users.models import ApiToken, User
from users.services import api_token_create

TOKENS = reverse("portal:api_tokens")


def menu(client: Client) -> str:
    page = client.get(reverse("portal:hub")).content.decode()
    return page[page.index('id="site-menu"') : page.index("</header>")]


def log_in(user: User, password: str) -> str:
    answer = Client().post(reverse("account_login"), {"login": user.email, "password": password})
    assert answer.status_code == HTTPStatus.FOUND
    return answer["Location"]


@pytest.mark.parametrize(
    ("level", "roles", "offered"),
    [
        (FirmLevel.LICENCE_ADMIN, (), True),
        (FirmLevel.POWER_USER, (), True),
        (FirmLevel.USER, ("connect.accountant",), True),
        (FirmLevel.USER, ("view.admin",), True),
        (FirmLevel.USER, ("connect.entrepreneur", "view.user"), False),
        (FirmLevel.USER, (), False),
    ],
)
def test_api_tokens_are_in_the_menu_of_the_firms_people_only(
    firm: Firm, auth_client, level: str, roles: tuple[str, ...], offered: bool
) -> None:
    user = MembershipFactory(firm=firm, level=level).user
    grant(user, DossierFactory(firm=firm), *roles)
    client = auth_client(user)
    assert (f'href="{TOKENS}"' in menu(client)) is offered
    assert client.get(TOKENS).status_code == HTTPStatus.OK  # the page stays open to all


def test_a_client_who_holds_a_token_finds_it_in_the_menu(client_user: User, auth_client) -> None:
    client = auth_client(client_user)
    assert f'href="{TOKENS}"' not in menu(client)
    reauthenticate(client)
    made = client.post(TOKENS, {"name": "Scanner", "days": "90", "scope": "read"})
    assert made.status_code == HTTPStatus.OK
    assert f'href="{TOKENS}"' in menu(client)
    token = ApiToken.objects.get(user=client_user)
    client.post(reverse("portal:api_token_revoke", args=[token.public_id]))
    assert f'href="{TOKENS}"' not in menu(client)


def test_the_menu_costs_no_query_once_the_session_knows(client_user: User, auth_client) -> None:
    client = auth_client(client_user)
    menu(client)
    with CaptureQueriesContext(connection) as first:
        menu(client)
    api_token_create(actor=client_user, name="Elsewhere")  # not through the page
    with CaptureQueriesContext(connection) as again:
        page = menu(client)
    assert len(again) == len(first)
    assert f'href="{TOKENS}"' not in page  # until the next login or a visit of the page


def test_the_menu_has_a_button_that_controls_it(client_user: User, auth_client) -> None:
    page = auth_client(client_user).get(reverse("portal:hub")).content.decode()
    assert '<button type="button" class="menu-button" aria-expanded="false"' in page
    assert 'aria-controls="site-menu"' in page
    assert "js/menu.js" in page and "css/nojs.css" in page


def test_a_client_with_one_connect_dossier_lands_in_it(
    client_user: User, dossier: Dossier, password: str
) -> None:
    assert log_in(client_user, password) == reverse("connect:dossier", args=[dossier.public_id])


def test_a_client_with_two_connect_dossiers_chooses_on_the_hub(
    client_user: User, firm: Firm, password: str
) -> None:
    grant(client_user, DossierFactory(firm=firm), "connect.entrepreneur")
    assert log_in(client_user, password) == reverse("portal:hub")


def test_a_client_without_connect_lands_on_the_hub(firm: Firm, password: str) -> None:
    user = MembershipFactory(firm=firm, level=FirmLevel.USER).user
    grant(user, DossierFactory(firm=firm), "view.user")
    assert log_in(user, password) == reverse("portal:hub")


def test_the_firms_people_land_on_the_hub(
    accountant: User, licence_admin: User, dossier: Dossier, password: str
) -> None:
    assert log_in(accountant, password) == reverse("portal:hub")
    assert log_in(licence_admin, password) == reverse("portal:hub")


def test_a_next_page_wins_and_the_hub_stays_reachable(
    client_user: User, dossier: Dossier, password: str
) -> None:
    client = Client()
    answer = client.post(
        reverse("account_login") + "?next=/view/",
        {"login": client_user.email, "password": password},
    )
    assert answer["Location"] == "/view/"
    assert client.get(reverse("portal:hub")).status_code == HTTPStatus.OK
    home = client.get(reverse("portal:home"))
    assert home["Location"] == reverse("connect:dossier", args=[dossier.public_id])
