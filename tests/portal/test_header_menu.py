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


# --- the kept header (portal/templatetags/page_header.py) --------------------------------------


def header(page: str) -> str:
    return page[page.index('<header class="site-header">') : page.index("</header>")]


def csrf_of(page: str) -> str:
    marker = 'name="csrfmiddlewaretoken" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_the_kept_header_is_each_users_own_with_this_requests_token_and_address(
    firm: Firm, dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    accountant.first_name, accountant.last_name = "Anne", "Comptable"
    accountant.save()
    client_user.first_name, client_user.last_name = "Bruno", "Client"
    client_user.save()
    theirs, mine = auth_client(accountant), auth_client(client_user)
    for _ in range(2):  # the second time from what the process keeps
        anne = header(theirs.get(reverse("portal:hub") + "?x=1").content.decode())
        bruno = header(mine.get(reverse("portal:hub") + "?x=2").content.decode())
        assert "Anne Comptable" in anne and "Bruno" not in anne
        assert "Bruno Client" in bruno and "Anne" not in bruno
        assert f'name="next" value="{reverse("portal:hub")}?x=1"' in anne
        assert f'name="next" value="{reverse("portal:hub")}?x=2"' in bruno and "?x=1" not in bruno
    # Each page carries the token of its own session, which the language form posts back.
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(client_user)
    page = csrf_client.get(reverse("portal:hub")).content.decode()
    token = csrf_of(header(page))
    changed = csrf_client.post(
        reverse("portal:language"),
        {"language": "nl", "next": reverse("portal:hub"), "csrfmiddlewaretoken": token},
    )
    assert changed.status_code == HTTPStatus.FOUND
    assert 'lang="nl"' in csrf_client.get(reverse("portal:hub")).content.decode()


def test_the_kept_header_follows_the_unread_count_the_page_and_the_language(
    firm: Firm, dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    from connect.collaboration.messages.services import thread_create

    client = auth_client(client_user)
    before = header(client.get(reverse("portal:hub")).content.decode())
    assert "unread" not in before
    thread_create(actor=accountant, dossier=dossier, subject="TVA", body="Bonjour")
    after = header(client.get(reverse("portal:hub")).content.decode())
    assert '<span class="tag" aria-hidden="true">1</span>' in after
    # The page the user is on is marked in the menu, and only that one.
    security = header(client.get(reverse("mfa_index")).content.decode())
    assert f'href="{reverse("mfa_index")}" aria-current="page"' in security
    assert f'href="{reverse("portal:hub")}" aria-current="page"' not in security
    assert f'href="{reverse("portal:hub")}" aria-current="page"' in after
    assert f'href="{reverse("mfa_index")}" aria-current="page"' not in after
    client.post(reverse("portal:language"), {"language": "de", "next": "/"})
    assert "Abmelden" in header(client.get(reverse("portal:hub")).content.decode())
