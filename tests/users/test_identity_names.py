"""A shared identity's names are the person's own: written by the firm that created them until
the person confirms them (accepting an invitation, logging in, their profile), then locked for
every firm; each firm keeps its own display label; an invitation greets with the person's own
names, or those its own firm wrote, never another firm's text."""

from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from core.errors import ServiceError
from core.models import OutboundEmail
from dossiers import firm_users, invitations
from dossiers.models import Dossier, Firm, FirmLevel, FirmMembership
from tests.factories import DossierFactory
from users.models import User

pytestmark = pytest.mark.django_db


def invite(firm: Firm, actor: User, dossier: Dossier, **overrides: object) -> User:
    values: dict = {
        "email": "nina@client.be",
        "first_name": "Nina",
        "last_name": "Nouveau",
        "language": "fr",
        "level": FirmLevel.USER,
        "accesses": {dossier: {"connect.entrepreneur"}},
        "send_email": False,
    }
    values.update(overrides)
    return firm_users.user_invite(firm=firm, actor=actor, **values)


def update(firm: Firm, actor: User, user: User, dossier: Dossier, **overrides: object) -> User:
    values: dict = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "level": FirmLevel.USER,
        "active": True,
        "accesses": {dossier: {"connect.entrepreneur"}},
    }
    values.update(overrides)
    return firm_users.user_update(firm=firm, actor=actor, user=user, **values)


def delivered_invitation() -> tuple[str, str]:
    """The latest invitation mail as the worker sends it: its body and its token."""
    from core.mail import outbound_email_deliver

    row = OutboundEmail.objects.filter(kind="invitation").latest("created_at")
    outbound_email_deliver(outbound_id=row.pk)
    body = mail.outbox[-1].body
    return body, body.split("/invitation/")[1].split("/")[0]


@pytest.fixture
def beta_dossier(other_firm: Firm) -> Dossier:
    return DossierFactory(firm=other_firm, code="BETA1", name="Beta Canary SRL")


def test_the_creating_firm_writes_the_names_until_the_person_accepts(
    firm: Firm, licence_admin: User, dossier: Dossier
) -> None:
    user = invite(firm, licence_admin, dossier)
    update(firm, licence_admin, user, dossier, first_name="Nina-Maria")
    user.refresh_from_db()
    assert user.first_name == "Nina-Maria"
    invitations.invitation_send(actor=licence_admin, firm=firm, user=user)
    body, token = delivered_invitation()
    assert "Bonjour Nina-Maria Nouveau," in body
    invitations.invitation_accept(
        token=token, password="Mijn-Wachtwoord-1", first_name="Nina", last_name="Nouveau-Lee"
    )
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Nina", "Nouveau-Lee")
    assert user.names_confirmed_at is not None
    # Now the names are the person's own, even for the only firm they belong to.
    with pytest.raises(ServiceError) as refused:
        update(firm, licence_admin, user, dossier, first_name="Nina-Maria")
    assert refused.value.code == "names_own"
    user.refresh_from_db()
    assert user.first_name == "Nina"
    # The firm keeps its own wording as a display label instead.
    update(firm, licence_admin, user, dossier, display_label="Nina (comptabilité)")
    membership = FirmMembership.objects.get(user=user, firm=firm)
    assert membership.display_label == "Nina (comptabilité)"
    assert membership.display_name == "Nina (comptabilité)"


def test_another_firm_never_overwrites_names_nor_shows_its_text_in_an_invitation(
    firm: Firm,
    other_firm: Firm,
    licence_admin: User,
    other_staff: User,
    dossier: Dossier,
    beta_dossier: Dossier,
) -> None:
    # Beta creates the person first, with its own text, and never invites them.
    person = invite(other_firm, other_staff, beta_dossier, first_name="CLIENT", last_name="VIP")
    # Alpha links the same identity, typing other names: the identity keeps Beta's, Alpha's
    # typing becomes Alpha's own label; Alpha cannot write the names either.
    linked = invite(firm, licence_admin, dossier, first_name="Nina", last_name="Nouveau")
    assert linked.pk == person.pk
    linked.refresh_from_db()
    assert (linked.first_name, linked.last_name) == ("CLIENT", "VIP")
    alpha = FirmMembership.objects.get(user=linked, firm=firm)
    assert alpha.display_label == "Nina Nouveau"
    with pytest.raises(ServiceError) as refused:
        update(firm, licence_admin, linked, dossier, first_name="Other")
    assert refused.value.code == "identity_shared"
    # Alpha's invitation greets neutrally: Beta's "CLIENT VIP" is not Alpha's to show.
    invitations.invitation_send(actor=licence_admin, firm=firm, user=linked)
    body, token = delivered_invitation()
    assert "CLIENT" not in body and "VIP" not in body
    assert body.startswith("Bonjour,")
    # Nor does its acceptance page offer Beta's text.
    page = Client().get(reverse("invitation_accept", args=[token]))
    assert page.status_code == HTTPStatus.OK
    assert "CLIENT" not in page.content.decode()
    answer = Client().post(
        reverse("invitation_accept", args=[token]),
        {
            "first_name": "Nina",
            "last_name": "Nouveau",
            "password1": "Mijn-Wachtwoord-1",
            "password2": "Mijn-Wachtwoord-1",
        },
    )
    assert answer.status_code == HTTPStatus.FOUND
    linked.refresh_from_db()
    assert (linked.first_name, linked.last_name) == ("Nina", "Nouveau")
    # Beta, who wrote the names first, can no longer change them.
    with pytest.raises(ServiceError) as refused:
        update(other_firm, other_staff, linked, beta_dossier, first_name="CLIENT")
    assert refused.value.code == "names_own"


def test_names_are_locked_once_the_person_logged_in(
    firm: Firm, licence_admin: User, dossier: Dossier, password: str
) -> None:
    user = invite(firm, licence_admin, dossier)
    user.set_password(password)
    user.save()
    assert (
        Client()
        .post(reverse("account_login"), {"login": user.email, "password": password})
        .status_code
        == HTTPStatus.FOUND
    )
    user.refresh_from_db()
    assert user.names_confirmed_at is not None
    with pytest.raises(ServiceError):
        update(firm, licence_admin, user, dossier, last_name="Changed")


def test_the_person_edits_their_names_and_language_on_their_profile(
    client_user: User, auth_client
) -> None:
    client = auth_client(client_user)
    url = reverse("account_profile")
    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert client_user.first_name in page.content.decode()
    empty = client.post(url, {"first_name": "", "last_name": "", "language": "nl"})
    assert empty.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    saved = client.post(url, {"first_name": "Ann", "last_name": "Peeters", "language": "nl"})
    assert saved.status_code == HTTPStatus.FOUND
    client_user.refresh_from_db()
    assert (client_user.first_name, client_user.last_name, client_user.language) == (
        "Ann",
        "Peeters",
        "nl",
    )
    assert client_user.names_confirmed_at is not None
    assert "Mijn profiel" in client.get(url).content.decode()


def test_the_firms_list_and_form_use_its_display_label(
    firm: Firm, licence_admin: User, dossier: Dossier, client_user: User, auth_client
) -> None:
    client = auth_client(licence_admin)
    detail = reverse("portal:user", args=[firm.public_id, client_user.public_id])
    form = client.get(detail)
    assert 'name="display_label"' in form.content.decode()
    data = {
        "first_name": client_user.first_name,
        "last_name": client_user.last_name,
        "language": client_user.language,
        "display_label": "Garage Dupont (gérant)",
        "level": FirmLevel.USER,
        "active": "on",
    }
    for field in form.context["form"].fields:
        if field.startswith("role__") and form.context["form"].initial.get(field):
            data[field] = "on"
    assert client.post(detail, data).status_code == HTTPStatus.FOUND
    listing = client.get(reverse("portal:users", args=[firm.public_id])).content.decode()
    assert "Garage Dupont (gérant)" in listing
    found = client.get(reverse("portal:users", args=[firm.public_id]) + "?q=dupont")
    assert "Garage Dupont" in found.content.decode()


def test_a_firm_saves_its_label_for_a_person_whose_names_another_firm_wrote(
    firm: Firm,
    other_firm: Firm,
    licence_admin: User,
    other_staff: User,
    dossier: Dossier,
    beta_dossier: Dossier,
    auth_client,
) -> None:
    person = invite(other_firm, other_staff, beta_dossier, first_name="CLIENT", last_name="VIP")
    invite(firm, licence_admin, dossier, first_name="", last_name="")
    client = auth_client(licence_admin)
    detail = reverse("portal:user", args=[firm.public_id, person.public_id])
    form = client.get(detail)
    assert "CLIENT" not in form.content.decode()  # Beta's text is not Alpha's to show
    assert form.context["form"].fields["first_name"].disabled
    data = {
        "language": person.language,
        "display_label": "Nina N.",
        "level": FirmLevel.USER,
        "active": "on",
        "first_name": "",
        "last_name": "",
    }
    for field in form.context["form"].fields:
        if field.startswith("role__") and form.context["form"].initial.get(field):
            data[field] = "on"
    assert client.post(detail, data).status_code == HTTPStatus.FOUND
    person.refresh_from_db()
    assert (person.first_name, person.last_name) == ("CLIENT", "VIP")
    assert FirmMembership.objects.get(user=person, firm=firm).display_label == "Nina N."
    listing = client.get(reverse("portal:users", args=[firm.public_id])).content.decode()
    assert "Nina N." in listing and "CLIENT" not in listing
