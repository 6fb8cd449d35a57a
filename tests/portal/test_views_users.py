"""The Portal's users pages, through HTTP (the invitation link:
tests/users/test_invitation_link.py)."""

from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from core.models import OutboundEmail
from dossiers.models import Dossier, DossierAccess, Firm, Invitation
from portal.forms_users import role_field_name
from tests.factories import DossierFactory, MembershipFactory, grant
from users.models import User


def users_url(firm: Firm) -> str:
    return reverse("portal:users", args=[firm.public_id])


def create_url(firm: Firm) -> str:
    return reverse("portal:user_create", args=[firm.public_id])


def user_url(firm: Firm, user: User) -> str:
    return reverse("portal:user", args=[firm.public_id, user.public_id])


def form_data(
    dossier: Dossier | None = None,
    roles: tuple[str, ...] = ("connect.entrepreneur",),
    **overrides: str,
) -> dict[str, str]:
    data = {
        "email": "nieuw@klant.be",
        "first_name": "Nico",
        "last_name": "Nieuw",
        "language": "nl",
        "level": "user",
        "active": "on",
    }
    if dossier is not None:
        for role in roles:
            data[role_field_name(dossier, role)] = "on"
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("actor_name", "status"),
    [
        ("licence_admin", HTTPStatus.OK),
        ("accountant", HTTPStatus.OK),
        ("client_user", HTTPStatus.NOT_FOUND),
        ("other_staff", HTTPStatus.NOT_FOUND),
    ],
)
def test_who_reaches_the_users_pages(
    request: pytest.FixtureRequest,
    firm: Firm,
    actor_name: str,
    status: int,
    auth_client,
    client_user: User,
) -> None:
    client = auth_client(request.getfixturevalue(actor_name))
    assert client.get(users_url(firm)).status_code == status
    assert client.get(create_url(firm)).status_code == status
    assert client.get(user_url(firm, client_user)).status_code == status
    staff = reverse("portal:staff_search", args=[firm.public_id])
    assert client.get(staff).status_code == status


def test_another_firms_user_is_404_on_every_route(
    firm: Firm, other_firm: Firm, licence_admin: User, other_staff: User, auth_client
) -> None:
    client = auth_client(licence_admin)
    for url in (user_url(firm, other_staff), user_url(other_firm, other_staff)):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    for name in ("portal:user_invitation_send", "portal:user_invitation_revoke"):
        for firm_id in (firm.public_id, other_firm.public_id):
            url = reverse(name, args=[firm_id, other_staff.public_id])
            assert client.post(url).status_code == HTTPStatus.NOT_FOUND
    assert not Invitation.objects.exists()


def test_the_list_searches_and_filters(
    firm: Firm,
    licence_admin: User,
    dossier: Dossier,
    client_user: User,
    accountant: User,
    auth_client,
) -> None:
    client = auth_client(licence_admin)

    def emails(**params: str) -> set[str]:
        page = client.get(users_url(firm), params).context["page"]
        return {m.user.email for m in page.object_list}

    assert emails() == {licence_admin.email, accountant.email, client_user.email}
    assert emails(q="CLIENT@") == {client_user.email}
    assert emails(role="connect.accountant") == {accountant.email}
    assert emails(level="licence_admin") == {licence_admin.email}
    assert emails(dossier=str(dossier.public_id), role="view.user") == {client_user.email}
    assert emails(dossier=str(DossierFactory(firm=firm).public_id)) == set()


@pytest.mark.parametrize("rows", [2, 200])
def test_the_users_list_query_count_does_not_grow(
    firm: Firm,
    licence_admin: User,
    dossier: Dossier,
    auth_client,
    django_assert_max_num_queries,
    rows: int,
) -> None:
    for _ in range(rows):
        user = MembershipFactory(firm=firm).user
        grant(user, dossier, "view.user")
    client = auth_client(licence_admin)
    client.get(users_url(firm))
    with django_assert_max_num_queries(8):  # + the row-level security scope
        response = client.get(users_url(firm))
    assert len(response.context["page"].object_list) == min(rows + 2, 50)


def test_create_a_user_with_the_matrix_and_an_invitation(
    firm: Firm,
    licence_admin: User,
    dossier: Dossier,
    auth_client,
    django_capture_on_commit_callbacks,
) -> None:
    client = auth_client(licence_admin)
    data = form_data(dossier, roles=("connect.entrepreneur", "view.user"), send_email="on")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(create_url(firm), data)
    user = User.objects.get(email="nieuw@klant.be")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == user_url(firm, user)
    assert set(DossierAccess.objects.filter(user=user).values_list("role", flat=True)) == {
        "connect.entrepreneur",
        "view.user",
    }
    (message,) = mail.outbox
    assert message.to == ["nieuw@klant.be"]
    assert "nodigt u uit" in message.subject  # Dutch: the user's language, not the admin's


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no_role", "au moins un dossier"),
        ("foreign_dossier", "ne pouvez pas donner"),
        ("unknown_role", "ne pouvez pas donner"),
        ("bad_email", "adresse e-mail valide"),
    ],
)
def test_bad_user_input_is_refused_in_french_and_saves_nothing(
    firm: Firm,
    licence_admin: User,
    dossier: Dossier,
    other_dossier: Dossier,
    auth_client,
    case: str,
    message: str,
) -> None:
    data = form_data(dossier)
    if case == "no_role":
        data = form_data(None)
    elif case == "foreign_dossier":
        data[role_field_name(other_dossier, "view.user")] = "on"
    elif case == "unknown_role":
        data[f"role__{dossier.public_id.hex}__connect_owner"] = "on"
    elif case == "bad_email":
        data["email"] = "nieuw-at-klant.be"
    before = User.objects.count()
    response = auth_client(licence_admin).post(create_url(firm), data)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert message in response.content.decode().replace("&#x27;", "'")
    assert User.objects.count() == before
    assert not OutboundEmail.objects.exists()


def test_a_power_user_cannot_grant_a_staff_level(
    firm: Firm, accountant: User, dossier: Dossier, auth_client
) -> None:
    response = auth_client(accountant).post(
        create_url(firm), form_data(dossier, level="licence_admin")
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "level" in response.context["form"].errors
    assert not User.objects.filter(email="nieuw@klant.be").exists()


def test_the_plus_button_preselects_the_dossier_and_returns(
    firm: Firm, licence_admin: User, dossier: Dossier, auth_client
) -> None:
    back = reverse("portal:dossier_connect", args=[dossier.public_id])
    client = auth_client(licence_admin)
    page = client.get(
        create_url(firm),
        {"dossier": str(dossier.public_id), "role": "connect.entrepreneur", "next": back},
    )
    field = page.context["form"][role_field_name(dossier, "connect.entrepreneur")]
    assert field.value() is True
    response = client.post(create_url(firm), {**form_data(dossier), "next": back})
    assert response["Location"] == back
    evil = client.post(
        create_url(firm),
        {**form_data(dossier, email="b@klant.be"), "next": "https://evil.example/"},
    )
    assert evil["Location"].startswith("/portal/")


def test_edit_deactivate_and_the_history(
    firm: Firm, licence_admin: User, dossier: Dossier, client_user: User, auth_client, password: str
) -> None:
    client = auth_client(licence_admin)
    data = form_data(dossier, roles=("view.user",), first_name="Chloé", language="de")
    data.pop("email")
    data.pop("active")
    response = client.post(user_url(firm, client_user), data)
    assert response.status_code == HTTPStatus.FOUND
    client_user.refresh_from_db()
    assert (client_user.first_name, client_user.language, client_user.is_active) == (
        "Chloé",
        "de",
        False,
    )
    page = client.get(user_url(firm, client_user)).content.decode()
    assert "Utilisateur désactivé" in page and "Rôles dans le dossier modifiés" in page
    assert not Client().login(email=client_user.email, password=password)


def test_resend_and_revoke_from_the_users_page(
    firm: Firm, licence_admin: User, client_user: User, auth_client
) -> None:
    client = auth_client(licence_admin)
    send = reverse("portal:user_invitation_send", args=[firm.public_id, client_user.public_id])
    revoke = reverse("portal:user_invitation_revoke", args=[firm.public_id, client_user.public_id])
    client.post(send)
    client.post(send)
    assert [i.status for i in Invitation.objects.order_by("created_at")] == ["revoked", "pending"]
    client.post(revoke)
    assert {i.status for i in Invitation.objects.all()} == {"revoked"}
    assert client.get(send).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_staff_search_lists_only_the_firms_active_staff(
    firm: Firm,
    licence_admin: User,
    accountant: User,
    client_user: User,
    other_staff: User,
    auth_client,
) -> None:
    url = reverse("portal:staff_search", args=[firm.public_id])
    body = auth_client(licence_admin).get(url, {"accountant": ""}).content.decode()
    assert accountant.email in body and licence_admin.email in body
    assert client_user.email not in body and other_staff.email not in body
    narrowed = auth_client(licence_admin).get(url, {"accountant": "comptable"}).content.decode()
    assert accountant.email in narrowed and licence_admin.email not in narrowed


def test_a_shared_identity_shows_its_names_as_read_only(
    firm: Firm, other_firm: Firm, licence_admin: User, client_user: User, auth_client
) -> None:
    MembershipFactory(user=client_user, firm=other_firm)
    form = auth_client(licence_admin).get(user_url(firm, client_user)).context["form"]
    assert form.fields["first_name"].disabled and form.fields["language"].disabled
