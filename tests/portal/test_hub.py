from http import HTTPStatus

import pytest
from django.urls import reverse

from dossiers.models import Dossier, Firm, FirmLevel
from portal.selectors import tools_for
from tests.factories import DossierFactory, MembershipFactory, UserFactory, grant
from users.models import User


def tool_keys(user: User) -> list[str]:
    return [tool.key for tool in tools_for(actor=user)]


@pytest.mark.parametrize(
    ("level", "roles", "connect_enabled", "expected"),
    [
        (FirmLevel.LICENCE_ADMIN, (), True, ["portal"]),
        (FirmLevel.POWER_USER, (), True, ["portal"]),
        (
            FirmLevel.POWER_USER,
            ("connect.accountant", "view.admin"),
            True,
            ["connect", "portal", "view"],
        ),
        (FirmLevel.USER, ("connect.entrepreneur",), True, ["connect"]),
        (FirmLevel.USER, ("connect.entrepreneur",), False, []),
        (FirmLevel.USER, ("connect.entrepreneur", "view.user"), False, ["view"]),
        (FirmLevel.USER, ("view.user",), True, ["view"]),
        (FirmLevel.USER, ("view.admin",), True, ["view"]),
        (FirmLevel.USER, ("connect.entrepreneur", "view.user"), True, ["connect", "view"]),
        (FirmLevel.USER, (), True, []),
    ],
)
def test_the_hub_lists_exactly_the_tools_the_user_may_open(
    firm: Firm, level: str, roles: tuple[str, ...], connect_enabled: bool, expected: list[str]
) -> None:
    user = MembershipFactory(firm=firm, level=level).user
    dossier = DossierFactory(firm=firm, connect_enabled=connect_enabled)
    grant(user, dossier, *roles)
    assert tool_keys(user) == expected


def test_accounting_and_on_web_appear_only_when_the_firm_sets_them(
    firm: Firm, licence_admin: User, client_user: User
) -> None:
    assert "accounting" not in tool_keys(licence_admin)
    assert "onweb" not in tool_keys(client_user)
    firm.accounting_url = "https://accounting.example.be/"
    firm.onweb_url = "https://onweb.example.be/"
    firm.save()
    assert tool_keys(licence_admin)[:2] == ["accounting", "onweb"]
    # Accounting is the firm's own software: staff only. On Web is for everyone of the firm.
    assert "accounting" not in tool_keys(client_user)
    assert "onweb" in tool_keys(client_user)


def test_a_member_of_two_firms_sees_tools_of_both(firm: Firm, other_firm: Firm) -> None:
    person = UserFactory()
    MembershipFactory(user=person, firm=firm, level=FirmLevel.USER)
    MembershipFactory(user=person, firm=other_firm, level=FirmLevel.POWER_USER)
    grant(person, DossierFactory(firm=firm), "connect.entrepreneur")
    other_firm.onweb_url = "https://beta.example.be/"
    other_firm.save()
    tools = tools_for(actor=person)
    assert [t.key for t in tools] == ["onweb", "connect", "portal"]
    assert tools[0].firm_name == other_firm.name


def test_the_hub_page_shows_the_tools_and_the_header(
    client_user: User, dossier: Dossier, auth_client
) -> None:
    response = auth_client(client_user).get(reverse("portal:hub"))
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert reverse("connect:home") in body
    assert reverse("portal:view") in body
    assert reverse("portal:portal") not in body
    assert client_user.display_name in body
    assert dossier.firm.name in body
    assert 'for="header-language"' in body
    assert reverse("account_logout") in body


def test_anonymous_visitors_are_sent_to_login() -> None:
    from django.test import Client

    response = Client().get(reverse("portal:hub"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))


def test_a_user_with_one_connect_dossier_lands_in_it(
    client_user: User, dossier: Dossier, auth_client
) -> None:
    response = auth_client(client_user).get(reverse("connect:home"))
    assert response["Location"] == reverse("connect:dossier", args=[dossier.public_id])
