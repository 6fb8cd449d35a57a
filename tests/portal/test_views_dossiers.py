from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from dossiers.models import Dossier, Firm
from tests.factories import DossierFactory
from users.models import User


def foreign_urls(other_dossier: Dossier) -> list[str]:
    firm_id, dossier_id = other_dossier.firm.public_id, other_dossier.public_id
    return [
        reverse("portal:firm", args=[firm_id]),
        reverse("portal:dossier_create", args=[firm_id]),
        reverse("portal:dossier", args=[dossier_id]),
        reverse("connect:dossier", args=[dossier_id]),
        reverse("portal:view_dossier", args=[dossier_id]),
    ]


@pytest.mark.parametrize("actor_name", ["licence_admin", "accountant", "client_user"])
def test_any_url_of_another_firms_dossier_answers_404(
    request: pytest.FixtureRequest,
    other_dossier: Dossier,
    actor_name: str,
    auth_client,
    dossier: Dossier,
) -> None:
    client = auth_client(request.getfixturevalue(actor_name))
    for url in foreign_urls(other_dossier):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url
        assert client.post(url, {"name": "x", "code": "X"}).status_code == HTTPStatus.NOT_FOUND
    other_dossier.refresh_from_db()
    assert other_dossier.name == "Beta Canary SRL"
    assert not Dossier.objects.filter(firm=other_dossier.firm, code="X").exists()


def test_anonymous_visitors_are_sent_to_login_from_dossier_urls(other_dossier: Dossier) -> None:
    for url in foreign_urls(other_dossier):
        response = Client().get(url)
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith(reverse("account_login"))


def test_a_client_has_no_portal(client_user: User, dossier: Dossier, auth_client) -> None:
    client = auth_client(client_user)
    assert client.get(reverse("portal:portal")).status_code == HTTPStatus.NOT_FOUND
    assert client.get(reverse("portal:dossier", args=[dossier.public_id])).status_code == 404
    assert client.get(reverse("portal:firm", args=[dossier.firm.public_id])).status_code == 404


def test_staff_create_a_dossier_from_the_portal(
    firm: Firm, licence_admin: User, auth_client
) -> None:
    client = auth_client(licence_admin)
    assert client.get(reverse("portal:portal"))["Location"] == reverse(
        "portal:firm", args=[firm.public_id]
    )
    url = reverse("portal:dossier_create", args=[firm.public_id])
    response = client.post(
        url,
        {
            "code": "new-1",
            "name": "Nouvelle SRL",
            "enterprise_number": "BE 0477.472.701",
            "language": "nl",
        },
    )
    created = Dossier.objects.get(firm=firm, code="NEW-1")
    assert response["Location"] == reverse("portal:dossier", args=[created.public_id])
    assert (created.enterprise_number, created.language) == ("0477472701", "nl")
    page = client.get(response["Location"])
    assert "0477.472.701" in page.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "french"),
    [
        ({"code": "ALPHA1"}, "code", "a déjà un dossier avec le code ALPHA1"),
        ({"enterprise_number": "0403.170.702"}, "enterprise_number", "numéro d'entreprise"),
        ({"code": "bad code"}, "code", "code de dossier"),
    ],
)
def test_bad_dossier_input_is_refused_in_the_users_language(
    firm: Firm,
    licence_admin: User,
    dossier: Dossier,
    auth_client,
    data: dict,
    field: str,
    french: str,
) -> None:
    before = Dossier.objects.count()
    values = {"code": "OK1", "name": "Nom", "enterprise_number": "", "language": "fr", **data}
    response = auth_client(licence_admin).post(
        reverse("portal:dossier_create", args=[firm.public_id]), values
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    errors = response.context["form"].errors
    assert field in errors
    assert french in " ".join(errors[field])
    assert Dossier.objects.count() == before


def test_dossier_information_is_edited_by_staff(
    dossier: Dossier, accountant: User, auth_client
) -> None:
    url = reverse("portal:dossier", args=[dossier.public_id])
    response = auth_client(accountant).post(
        url,
        {
            "code": "ALPHA1",
            "name": "Alpha Renamed",
            "enterprise_number": "0403170701",
            "language": "de",
            "default_processing_mode": "premium",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    dossier.refresh_from_db()
    assert (dossier.name, dossier.enterprise_number, dossier.language) == (
        "Alpha Renamed",
        "0403170701",
        "de",
    )
    assert dossier.default_processing_mode == "premium"


def test_the_firm_dossier_list_searches_and_paginates(
    firm: Firm, licence_admin: User, auth_client
) -> None:
    DossierFactory.create_batch(60, firm=firm, accountant=licence_admin)
    DossierFactory(firm=firm, code="ZZTOP", name="Findable Bakery", accountant=licence_admin)
    client = auth_client(licence_admin)
    url = reverse("portal:firm", args=[firm.public_id])
    first = client.get(url)
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.num_pages == 2
    found = client.get(url, {"q": "findable"})
    assert [d.code for d in found.context["page"].object_list] == ["ZZTOP"]


@pytest.mark.parametrize("rows", [2, 200])
def test_the_firm_dossier_list_query_count_does_not_grow_with_rows(
    firm: Firm, licence_admin: User, auth_client, django_assert_max_num_queries, rows: int
) -> None:
    DossierFactory.create_batch(rows, firm=firm, accountant=licence_admin)
    client = auth_client(licence_admin)
    url = reverse("portal:firm", args=[firm.public_id])
    client.get(url)
    with django_assert_max_num_queries(7):  # + the row-level security scope
        client.get(url)


@pytest.mark.parametrize("rows", [2, 200])
def test_the_hub_query_count_does_not_grow_with_dossiers(
    firm: Firm, accountant: User, auth_client, django_assert_max_num_queries, rows: int
) -> None:
    from tests.factories import grant

    for created in DossierFactory.create_batch(rows, firm=firm, accountant=accountant):
        grant(accountant, created, "connect.accountant", "view.user")
    client = auth_client(accountant)
    client.get(reverse("portal:hub"))
    with django_assert_max_num_queries(5):  # + the row-level security scope
        client.get(reverse("portal:hub"))
