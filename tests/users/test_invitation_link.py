"""The invitation link (anyone holding it), through HTTP."""

from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from dossiers.models import Dossier, Firm
from tests.factories import UserFactory
from users.models import User


def deliver_invitation(firm: Firm, actor: User, user: User, capture) -> str:
    from dossiers.invitations import invitation_send

    with capture(execute=True):
        invitation_send(actor=actor, firm=firm, user=user)
    return mail.outbox[-1].body.split("/invitation/")[1].split("/")[0]


def test_the_link_sets_the_password_logs_in_and_lands_in_the_clients_dossier(
    firm: Firm,
    licence_admin: User,
    client_user: User,
    dossier: Dossier,
    django_capture_on_commit_callbacks,
) -> None:
    token = deliver_invitation(firm, licence_admin, client_user, django_capture_on_commit_callbacks)
    client = Client()
    url = reverse("invitation_accept", args=[token])
    assert client.get(url).status_code == HTTPStatus.OK
    mismatch = client.post(url, {"password1": "Mon-Mot-De-Passe-1", "password2": "other"})
    assert mismatch.status_code == HTTPStatus.OK and mismatch.context["form"].errors
    response = client.post(
        url, {"password1": "Mon-Mot-De-Passe-1", "password2": "Mon-Mot-De-Passe-1"}
    )
    # A client with one Connect dossier lands in it; the hub stays open to them.
    assert response["Location"] == reverse("connect:dossier", args=[dossier.public_id])
    assert client.get(reverse("portal:hub")).status_code == HTTPStatus.OK
    again = Client().get(url)
    assert again.status_code == HTTPStatus.GONE
    assert "déjà été utilisée" in again.content.decode()
    assert "password1" not in again.content.decode()


@pytest.mark.django_db
def test_an_unknown_link_offers_nothing() -> None:
    response = Client().get(reverse("invitation_accept", args=["nope" * 10]))
    assert response.status_code == HTTPStatus.GONE  # like an expired link (docs/decisions.md)
    assert "password1" not in response.content.decode()


def test_a_user_deactivated_after_the_invitation_cannot_use_it(
    firm: Firm,
    licence_admin: User,
    client_user: User,
    django_capture_on_commit_callbacks,
) -> None:
    token = deliver_invitation(firm, licence_admin, client_user, django_capture_on_commit_callbacks)
    client_user.is_active = False
    client_user.save()
    response = Client().post(
        reverse("invitation_accept", args=[token]),
        {"password1": "Mon-Mot-De-Passe-1", "password2": "Mon-Mot-De-Passe-1"},
    )
    assert response.status_code == HTTPStatus.GONE
    client_user.refresh_from_db()
    assert not client_user.check_password("Mon-Mot-De-Passe-1")
    UserFactory()


def test_a_user_with_two_factor_is_sent_to_the_login_after_choosing_a_password(
    firm: Firm,
    licence_admin: User,
    client_user: User,
    django_capture_on_commit_callbacks,
) -> None:
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(
        user=client_user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    token = deliver_invitation(firm, licence_admin, client_user, django_capture_on_commit_callbacks)
    client = Client()
    response = client.post(
        reverse("invitation_accept", args=[token]),
        {"password1": "Mon-Mot-De-Passe-1", "password2": "Mon-Mot-De-Passe-1"},
    )
    assert response["Location"] == reverse("account_login")
    assert client.get(reverse("portal:hub")).status_code == HTTPStatus.FOUND  # not logged in
