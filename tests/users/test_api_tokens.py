"""API tokens end (issue 16, item 4): made after the password is typed again, with an expiry,
a scope and an optional firm; revoked by a new password, by logging out the other sessions,
by a deactivation and by the loss of the last role; seen and revoked by the firm's staff."""

import io
from datetime import timedelta
from http import HTTPStatus

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.test import Client
from django.utils import timezone

from connect.models import Document, Status
from core.models import AuditAction, AuditEvent
from dossiers import firm_users, members
from dossiers.models import Dossier, Firm, FirmLevel
from tests.connect import samples
from tests.factories import PASSWORD, DossierFactory, MembershipFactory, grant
from tests.users.tokens import reauthenticate
from users import services
from users.models import ApiToken, TokenRevokedBecause, TokenScope, User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Horse-77"


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def upload(client: Client, dossier: Dossier, data: bytes) -> object:
    fields = {"file": io.BytesIO(data)}
    fields["file"].name = "facture.pdf"
    return client.post(f"/api/v1/dossiers/{dossier.public_id}/documents", fields)


def revoked(token: ApiToken) -> str:
    token.refresh_from_db()
    return token.revoked_because if token.revoked_at is not None else ""


# --- making a token -----------------------------------------------------------------------------


def test_making_a_token_asks_for_the_password_again(client_user: User, auth_client) -> None:
    client = auth_client(client_user)
    form = {"name": "Scanner", "days": "30", "scope": "read"}
    asked = client.post("/tokens/", form)
    assert asked.status_code == HTTPStatus.FOUND
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    assert not ApiToken.objects.exists()
    assert client.get("/tokens/").status_code == HTTPStatus.OK  # the list needs no password
    wrong = client.post("/accounts/reauthenticate/", {"password": "not-it"})
    assert wrong.status_code == HTTPStatus.OK and not ApiToken.objects.exists()
    # The right password resumes the suspended request: the token is made, shown once.
    made = client.post(
        "/accounts/reauthenticate/?next=/tokens/", {"password": PASSWORD}, follow=True
    )
    token = ApiToken.objects.get(user=client_user)
    assert 'id="new-token"' in made.content.decode()
    assert token.scope == TokenScope.READ and token.firm is None
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)


def test_the_form_keeps_the_expiry_within_a_year_and_the_firm_among_the_users_own(
    firm: Firm, other_firm: Firm, client_user: User, auth_client
) -> None:
    client = auth_client(client_user)
    reauthenticate(client)
    base = {"name": "PC", "scope": "read_upload_acknowledge"}
    assert client.post("/tokens/", base | {"days": "366"}).status_code == 422
    assert client.post("/tokens/", base | {"days": "90", "firm": other_firm.pk}).status_code == 422
    assert not ApiToken.objects.exists()
    assert client.post("/tokens/", base | {"days": "365", "firm": firm.pk}).status_code == 200
    token = ApiToken.objects.get()
    assert token.firm == firm and token.scope == TokenScope.READ_UPLOAD_ACKNOWLEDGE
    assert timedelta(days=364) < token.expires_at - timezone.now() <= timedelta(days=365)
    default, _raw = services.api_token_create(actor=client_user, name="default")
    assert timedelta(days=89) < default.expires_at - timezone.now() <= timedelta(days=90)


# --- what a token opens -------------------------------------------------------------------------


def test_an_expired_token_is_refused_and_says_so(client_user: User) -> None:
    token, raw = services.api_token_create(actor=client_user, name="old", days=1)
    assert bearer(raw).get("/api/v1/me").status_code == HTTPStatus.OK
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = bearer(raw).get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused.json()["error"]["code"] == "token_expired"
    assert refused.json()["error"]["message"]
    assert not ApiToken.objects.alive().exists()


def test_a_read_token_reads_but_neither_uploads_nor_acknowledges(
    accountant: User, client_user: User, dossier: Dossier
) -> None:
    _t, writer = services.api_token_create(actor=client_user, name="scanner")
    sent = upload(bearer(writer), dossier, samples.pdf(text="first")).json()
    Document.objects.filter(public_id=sent["id"]).update(
        status=Status.SENT, ready_at=timezone.now()
    )
    _t, reader = services.api_token_create(actor=client_user, name="r", scope=TokenScope.READ)
    refused = upload(bearer(reader), dossier, samples.pdf(text="second"))
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert refused.json()["error"]["code"] == "token_read_only"
    assert Document.objects.count() == 1
    _t, acc_reader = services.api_token_create(actor=accountant, name="r", scope=TokenScope.READ)
    listed = bearer(acc_reader).get(f"/api/v1/dossiers/{dossier.public_id}/documents")
    assert [d["id"] for d in listed.json()["results"]] == [sent["id"]]
    ack = bearer(acc_reader).post(f"/api/v1/documents/{sent['id']}/retrieved")
    assert ack.status_code == HTTPStatus.FORBIDDEN
    assert ack.json()["error"]["code"] == "token_read_only"
    assert Document.objects.get().status == Status.SENT
    _t, acc_writer = services.api_token_create(actor=accountant, name="w")
    ok = bearer(acc_writer).post(f"/api/v1/documents/{sent['id']}/retrieved")
    assert ok.status_code == HTTPStatus.OK


def test_a_token_of_one_firm_does_not_reach_the_other(
    firm: Firm, other_firm: Firm, client_user: User, dossier: Dossier, other_dossier: Dossier
) -> None:
    MembershipFactory(user=client_user, firm=other_firm)
    grant(client_user, other_dossier, "connect.entrepreneur")
    _t, everywhere = services.api_token_create(actor=client_user, name="all")
    codes = {d["code"] for d in bearer(everywhere).get("/api/v1/dossiers").json()["results"]}
    assert codes == {dossier.code, other_dossier.code}
    theirs = upload(bearer(everywhere), other_dossier, samples.pdf(text="b")).json()["id"]
    _t, raw = services.api_token_create(actor=client_user, name="alpha", firm=firm)
    client = bearer(raw)
    codes = {d["code"] for d in client.get("/api/v1/dossiers").json()["results"]}
    assert codes == {dossier.code}
    assert [f["name"] for f in client.get("/api/v1/me").json()["firms"]] == [firm.name]
    assert upload(client, other_dossier, samples.pdf(text="c")).status_code == 404
    assert client.get(f"/api/v1/documents/{theirs}").status_code == 404
    assert client.get(f"/api/v1/documents/{theirs}/content").status_code == 404
    assert Document.objects.filter(dossier=other_dossier).count() == 1
    assert upload(client, dossier, samples.pdf(text="a")).status_code == HTTPStatus.CREATED
    with pytest.raises(services.ServiceError):
        services.api_token_create(actor=client_user, name="x", firm=DossierFactory().firm)


# --- what revokes a token -----------------------------------------------------------------------


def test_a_password_change_revokes_the_tokens(client_user: User, auth_client) -> None:
    token, raw = services.api_token_create(actor=client_user, name="pc")
    client = auth_client(client_user)
    changed = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert changed.status_code == HTTPStatus.FOUND
    assert revoked(token) == TokenRevokedBecause.PASSWORD
    assert bearer(raw).get("/api/v1/me").json()["error"]["code"] == "token_revoked"


def test_a_password_reset_revokes_the_tokens(client_user: User) -> None:
    token, _raw = services.api_token_create(actor=client_user, name="pc")
    key = f"{user_pk_to_url_str(client_user)}-{default_token_generator.make_token(client_user)}"
    client = Client()
    landing = client.get(f"/accounts/password/reset/key/{key}/")
    assert landing.status_code == HTTPStatus.FOUND
    done = client.post(landing["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == HTTPStatus.FOUND
    client_user.refresh_from_db()
    assert client_user.check_password(NEW_PASSWORD)
    assert revoked(token) == TokenRevokedBecause.PASSWORD


def test_logging_out_the_other_sessions_revokes_the_tokens(client_user: User) -> None:
    token, _raw = services.api_token_create(actor=client_user, name="pc")
    elsewhere, here = Client(), Client()
    for client in (elsewhere, here):
        assert (
            client.post(
                "/accounts/login/", {"login": client_user.email, "password": PASSWORD}
            ).status_code
            == HTTPStatus.FOUND
        )
    assert here.post("/accounts/sessions/").status_code == HTTPStatus.FOUND
    assert revoked(token) == TokenRevokedBecause.SESSIONS
    assert elsewhere.get("/tokens/").status_code == HTTPStatus.FOUND  # logged out


def _update(firm: Firm, actor: User, user: User, *, active: bool, accesses: dict) -> None:
    firm_users.user_update(
        firm=firm,
        actor=actor,
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        language=user.language,
        level=FirmLevel.USER,
        active=active,
        accesses=accesses,
    )


def test_deactivation_revokes_what_reaches_the_firm_and_reactivation_revives_nothing(
    firm: Firm,
    other_firm: Firm,
    licence_admin: User,
    client_user: User,
    dossier: Dossier,
    other_dossier: Dossier,
) -> None:
    MembershipFactory(user=client_user, firm=other_firm)
    grant(client_user, other_dossier, "connect.entrepreneur")
    everywhere, raw = services.api_token_create(actor=client_user, name="all")
    alpha, _r = services.api_token_create(actor=client_user, name="alpha", firm=firm)
    beta, beta_raw = services.api_token_create(actor=client_user, name="beta", firm=other_firm)
    roles = {dossier: {"connect.entrepreneur", "view.user"}}
    _update(firm, licence_admin, client_user, active=False, accesses=roles)
    assert revoked(everywhere) == revoked(alpha) == TokenRevokedBecause.DEACTIVATED
    assert revoked(beta) == ""  # the other firm's own token is not this firm's to end
    assert bearer(beta_raw).get("/api/v1/me").status_code == HTTPStatus.OK
    _update(firm, licence_admin, client_user, active=True, accesses=roles)
    assert revoked(everywhere) == TokenRevokedBecause.DEACTIVATED
    assert bearer(raw).get("/api/v1/me").status_code == HTTPStatus.UNAUTHORIZED


def test_losing_the_last_role_revokes_the_firms_tokens_then_the_rest(
    firm: Firm,
    other_firm: Firm,
    client_user: User,
    dossier: Dossier,
    other_dossier: Dossier,
) -> None:
    MembershipFactory(user=client_user, firm=other_firm)
    grant(client_user, other_dossier, "connect.entrepreneur")
    everywhere, _r = services.api_token_create(actor=client_user, name="all")
    alpha, _r = services.api_token_create(actor=client_user, name="alpha", firm=firm)
    beta, _r = services.api_token_create(actor=client_user, name="beta", firm=other_firm)
    second = DossierFactory(firm=firm, code="ALPHA2")
    grant(client_user, second, "view.user")
    # One dossier of two goes: nothing ends.
    members.dossier_roles_set(dossier=second, user=client_user, roles=[])
    assert revoked(alpha) == revoked(everywhere) == ""
    # The last role in Alpha goes: Alpha's token ends; Beta still gives a role.
    members.dossier_roles_set(dossier=dossier, user=client_user, roles=[])
    assert revoked(alpha) == TokenRevokedBecause.ROLES_REMOVED
    assert revoked(everywhere) == revoked(beta) == ""
    # And the last anywhere: the firm-less token ends too.
    members.dossier_roles_set(dossier=other_dossier, user=client_user, roles=[])
    assert revoked(beta) == revoked(everywhere) == TokenRevokedBecause.ROLES_REMOVED
    # A role given back revives nothing.
    grant(client_user, dossier, "connect.entrepreneur")
    assert revoked(alpha) == TokenRevokedBecause.ROLES_REMOVED


def test_staff_keep_their_tokens_without_dossier_roles(
    firm: Firm, accountant: User, dossier: Dossier
) -> None:
    """A power user reaches every dossier of the firm by their level: losing a dossier role
    leaves them a role in the firm."""
    token, _r = services.api_token_create(actor=accountant, name="desktop")
    members.dossier_roles_set(dossier=dossier, user=accountant, roles=[])
    assert revoked(token) == ""


# --- the firm's page ----------------------------------------------------------------------------


def test_the_firms_staff_see_and_revoke_the_tokens_that_reach_its_dossiers(
    firm: Firm,
    other_firm: Firm,
    licence_admin: User,
    other_staff: User,
    client_user: User,
    auth_client,
) -> None:
    MembershipFactory(user=client_user, firm=other_firm)
    token, raw = services.api_token_create(actor=client_user, name="Scanner du bureau")
    _b, beta_raw = services.api_token_create(actor=client_user, name="Beta only", firm=other_firm)
    url = f"/portal/firms/{firm.public_id}/tokens/"
    page = auth_client(licence_admin).get(url).content.decode()
    assert "Scanner du bureau" in page and client_user.email in page
    assert "Beta only" not in page  # restricted to another firm: not this firm's business
    assert raw not in page and token.key_hash not in page
    assert auth_client(client_user).get(url).status_code == HTTPStatus.NOT_FOUND
    revoke = f"{url}{token.public_id}/revoke/"
    assert auth_client(other_staff).post(revoke).status_code == HTTPStatus.NOT_FOUND
    assert revoked(token) == ""
    assert auth_client(licence_admin).post(revoke).status_code == HTTPStatus.FOUND
    assert revoked(token) == TokenRevokedBecause.FIRM_STAFF
    event = AuditEvent.objects.get(action=AuditAction.API_TOKEN_REVOKED)
    assert (event.firm, event.actor, event.subject_user) == (firm, licence_admin, client_user)
    assert raw not in str(event.after)
    assert bearer(raw).get("/api/v1/me").status_code == HTTPStatus.UNAUTHORIZED
    assert bearer(beta_raw).get("/api/v1/me").status_code == HTTPStatus.OK
