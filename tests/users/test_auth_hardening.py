"""Authentication hardening (issue 8): two-factor authentication (TOTP, recovery codes,
WebAuthn), the firm's rule for its staff, login throttling per account and per IP (the admin
included) on the real Redis cache, answers that do not tell known from unknown accounts, the
session list, and ``next=`` kept on this site."""

import json
import re
import secrets
from datetime import timedelta
from http import HTTPStatus

import pytest
import redis
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from core.models import AuditAction, AuditEvent
from dossiers.invitations import invitation_token_hash
from dossiers.models import Dossier, Firm, FirmLevel, Invitation
from portal.forms_users import role_field_name
from tests.factories import PASSWORD, MembershipFactory
from users.models import User
from users.redirects import is_safe_next
from users.services import api_token_create

LOGIN = reverse("account_login")
HUB = reverse("portal:hub")
PORTAL_HOME = reverse("portal:portal")
TOTP_SETUP = reverse("mfa_activate_totp")
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def log_in(client: Client, email: str, password: str = PASSWORD, **data: str):
    return client.post(LOGIN, {"login": email, "password": password, **data})


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def enrol_totp(user: User) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def logged_in(client: Client) -> bool:
    return client.get(HUB).status_code == HTTPStatus.OK


def comparable(body: bytes, *typed: str) -> str:
    """A page with what legitimately differs between two answers taken out: the CSRF token
    and what the visitor typed (an address, the link's own path)."""
    text = body.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", text)
    for value in typed:
        text = text.replace(value, "TYPED")
    return text


# --- Two-factor authentication: TOTP and recovery codes ---------------------------------------


def test_totp_enrolment_then_every_login_asks_for_a_code_used_once(accountant: User) -> None:
    client = Client()
    assert log_in(client, accountant.email)["Location"] == HUB
    # Setting it up asks for the password again, then shows the secret (QR code and text).
    to_reauth = client.get(TOTP_SETUP)
    assert to_reauth["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(TOTP_SETUP)
    assert page.status_code == HTTPStatus.OK
    secret = page.context["form"].secret
    assert "data:image/svg+xml;base64," in page.content.decode()
    wrong = client.post(TOTP_SETUP, {"code": "000000" if current_code(secret) != "000000" else "1"})
    assert wrong.status_code == HTTPStatus.OK and wrong.context["form"].errors
    done = client.post(TOTP_SETUP, {"code": current_code(secret)})
    assert done["Location"] == reverse("mfa_view_recovery_codes")
    codes_page = client.get(done["Location"])
    unused = codes_page.context["unused_codes"]
    assert len(unused) == 10 and all(code in codes_page.content.decode() for code in unused)
    assert set(Authenticator.objects.filter(user=accountant).values_list("type", flat=True)) == {
        Authenticator.Type.TOTP,
        Authenticator.Type.RECOVERY_CODES,
    }

    # The password alone no longer opens the portal.
    other = Client()
    stage = log_in(other, accountant.email)
    assert stage["Location"] == reverse("mfa_authenticate")
    assert not logged_in(other)
    refused = other.post(reverse("mfa_authenticate"), {"code": "12345"})
    assert refused.status_code == HTTPStatus.OK and refused.context["form"].errors
    assert not logged_in(other)
    code = current_code(secret)
    assert other.post(reverse("mfa_authenticate"), {"code": code})["Location"] == HUB
    assert logged_in(other)

    # The same code cannot be played again in another browser.
    third = Client()
    log_in(third, accountant.email)
    replay = third.post(reverse("mfa_authenticate"), {"code": code})
    assert replay.status_code == HTTPStatus.OK and replay.context["form"].errors
    assert not logged_in(third)


def test_a_recovery_code_opens_the_account_once(accountant: User) -> None:
    enrol_totp(accountant)
    codes = RecoveryCodes.activate(accountant).generate_codes()
    first = Client()
    log_in(first, accountant.email)
    assert first.post(reverse("mfa_authenticate"), {"code": codes[0]})["Location"] == HUB
    assert logged_in(first)
    # Used: refused the second time, in another browser; another code still works.
    second = Client()
    log_in(second, accountant.email)
    again = second.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert again.status_code == HTTPStatus.OK and again.context["form"].errors
    assert not logged_in(second)
    assert second.post(reverse("mfa_authenticate"), {"code": codes[1]})["Location"] == HUB
    # The index counts what is left.
    index = first.get(reverse("mfa_index")).content.decode()
    assert re.search(r"\b8\b[^<]*\b10\b", index), index


# --- WebAuthn (security keys, passkeys) -------------------------------------------------------


def test_security_keys_are_offered_and_the_registration_options_answer(accountant: User) -> None:
    client = Client()
    log_in(client, accountant.email)
    index = client.get(reverse("mfa_index")).content.decode()
    assert reverse("mfa_add_webauthn") in index
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_add_webauthn"))
    assert page.status_code == HTTPStatus.OK
    body = page.content.decode()
    data = re.search(r'<script id="js_data" type="application/json">(.*?)</script>', body, re.S)
    assert data, body
    options = json.loads(data.group(1))["creation_options"]["publicKey"]
    assert options["rp"]["id"] == "testserver"
    assert options["user"]["name"] == accountant.email
    assert len(options["challenge"]) >= 16
    assert {p["alg"] for p in options["pubKeyCredParams"]} >= {-7}  # ES256
    # The ceremony runs from static files (the Content-Security-Policy has no inline script).
    assert "mfa/js/webauthn.js" in body
    assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", body)


def test_every_two_factor_page_renders_with_the_portals_layout(accountant: User) -> None:
    enrol_totp(accountant)
    RecoveryCodes.activate(accountant)
    client = Client()
    client.force_login(accountant)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    def renders(url: str, *, tabs: bool = True) -> str:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        body = response.content.decode()
        assert 'class="site-header"' in body, url
        assert ('class="tabs account-tabs"' in body) == tabs, url
        return body

    for name in (
        "mfa_index",
        "mfa_deactivate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_list_webauthn",
        "mfa_add_webauthn",
        "usersessions_list",
    ):
        renders(reverse(name))
    renders(reverse("mfa_reauthenticate"), tabs=False)
    # A key (its data as allauth keeps a name; no real credential is needed for these pages).
    key = Authenticator.objects.create(
        user=accountant, type=Authenticator.Type.WEBAUTHN, data={"name": "Office key"}
    )
    assert "Office key" in renders(reverse("mfa_list_webauthn"))
    renders(reverse("mfa_edit_webauthn", args=[key.pk]))
    renders(reverse("mfa_remove_webauthn", args=[key.pk]))


def test_another_users_security_key_cannot_be_seen_renamed_or_removed(
    accountant: User, licence_admin: User
) -> None:
    key = Authenticator.objects.create(
        user=licence_admin, type=Authenticator.Type.WEBAUTHN, data={"name": "Canary key"}
    )
    client = Client()
    log_in(client, accountant.email)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    for name in ("mfa_remove_webauthn", "mfa_edit_webauthn"):
        url = reverse(name, args=[key.pk])
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, name
        assert client.post(url, {"name": "Renamed"}).status_code == HTTPStatus.NOT_FOUND, name
    assert b"Canary" not in client.get(reverse("mfa_list_webauthn")).content
    key.refresh_from_db()
    assert key.data == {"name": "Canary key"}


# --- The firm's rule: two-factor authentication required for staff ---------------------------


def test_the_licence_admin_requires_two_factor_for_staff_and_it_is_audited(
    firm: Firm, licence_admin: User, auth_client
) -> None:
    enrol_totp(licence_admin)  # or the next page would send them to the setup
    client = auth_client(licence_admin)
    url = reverse("portal:firm", args=[firm.public_id])
    assert 'name="mfa_required_for_staff"' in client.get(url).content.decode()
    response = client.post(url, {"mfa_required_for_staff": "on"})
    assert response["Location"] == url
    firm.refresh_from_db()
    assert firm.mfa_required_for_staff
    event = AuditEvent.objects.get(firm=firm, action=AuditAction.FIRM_MFA_CHANGED)
    assert (event.actor, event.before, event.after) == (
        licence_admin,
        {"mfa_required_for_staff": False},
        {"mfa_required_for_staff": True},
    )
    page = client.get(url).content.decode()
    assert licence_admin.email in page  # "last changed by"
    client.post(url, {"mfa_required_for_staff": "on"})  # no change, no event
    client.post(url, {})
    firm.refresh_from_db()
    assert not firm.mfa_required_for_staff
    assert AuditEvent.objects.filter(firm=firm, action=AuditAction.FIRM_MFA_CHANGED).count() == 2


def test_a_power_user_sees_the_rule_but_cannot_change_it(
    firm: Firm, accountant: User, auth_client
) -> None:
    client = auth_client(accountant)
    url = reverse("portal:firm", args=[firm.public_id])
    assert 'name="mfa_required_for_staff"' not in client.get(url).content.decode()
    client.post(url, {"mfa_required_for_staff": "on"})
    firm.refresh_from_db()
    assert not firm.mfa_required_for_staff
    assert not AuditEvent.objects.filter(action=AuditAction.FIRM_MFA_CHANGED).exists()


def test_another_firms_staff_cannot_change_the_rule(
    firm: Firm, other_staff: User, auth_client
) -> None:
    response = auth_client(other_staff).post(
        reverse("portal:firm", args=[firm.public_id]), {"mfa_required_for_staff": "on"}
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    firm.refresh_from_db()
    assert not firm.mfa_required_for_staff


def test_staff_without_two_factor_are_sent_to_the_setup_on_every_page(
    firm: Firm, dossier: Dossier, accountant: User, auth_client
) -> None:
    Firm.objects.filter(pk=firm.pk).update(mfa_required_for_staff=True)
    client = auth_client(accountant)
    for url in (
        HUB,
        reverse("portal:firm", args=[firm.public_id]),
        reverse("portal:dossier", args=[dossier.public_id]),
        reverse("connect:inbox"),
        reverse("portal:api_tokens"),
        reverse("usersessions_list"),
        reverse("account_change_password"),
    ):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert response["Location"] == TOTP_SETUP, url
    # A POST elsewhere changes nothing either.
    client.post(reverse("portal:api_tokens"), {"name": "sneaky"})
    assert not accountant.api_tokens.exists()
    # htmx requests are sent as a whole page, not swapped into a fragment.
    fragment = client.get(
        reverse("portal:staff_search", args=[firm.public_id]), HTTP_HX_REQUEST="true"
    )
    assert fragment["HX-Redirect"] == TOTP_SETUP
    # What the setup needs stays open: the two-factor pages, the password check, the language.
    warned = client.get(HUB, follow=True)
    assert warned.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    reasons = [m for m in warned.context["messages"] if m.level == messages.WARNING]
    assert reasons and escape(str(reasons[0])) in warned.content.decode()  # the reason is shown
    assert client.get(reverse("mfa_index")).status_code == HTTPStatus.OK
    assert (
        client.post(reverse("portal:language"), {"language": "nl", "next": "/x/"})["Location"]
        == "/x/"
    )
    # Once an authenticator is there, the portal opens.
    enrol_totp(accountant)
    assert client.get(HUB).status_code == HTTPStatus.OK
    # Logout always works.
    Authenticator.objects.filter(user=accountant).delete()
    assert client.post(reverse("account_logout"))["Location"] == LOGIN
    assert client.get(HUB)["Location"].startswith(LOGIN)


def test_the_rule_leaves_clients_other_firms_and_api_tokens_alone(
    firm: Firm, other_firm: Firm, client_user: User, accountant: User, auth_client
) -> None:
    Firm.objects.filter(pk=firm.pk).update(mfa_required_for_staff=True)
    assert auth_client(client_user).get(HUB).status_code == HTTPStatus.OK
    # A client of a strict firm who is staff of a relaxed one: not forced either.
    MembershipFactory(user=client_user, firm=other_firm, level=FirmLevel.POWER_USER)
    assert auth_client(client_user).get(HUB).status_code == HTTPStatus.OK
    # The API authenticates with personal tokens; the rule is about browser sessions.
    _token, raw = api_token_create(actor=accountant, name="office PC")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(reverse("api:me")).status_code == HTTPStatus.OK


def test_the_rule_costs_a_query_only_where_it_must(
    firm: Firm, accountant: User, auth_client
) -> None:
    """Per request, against the same request without the middleware: nothing, whether the
    response renders a page, an htmx fragment or no template at all (here a redirect): the
    memberships come with the request's scope (portal/0012); the staff of a strict firm pay
    the authenticator check."""
    without_rule = [m for m in settings.MIDDLEWARE if not m.endswith("MfaRequiredMiddleware")]
    fragment = reverse("portal:staff_search", args=[firm.public_id])

    def queries(url: str, **extra: str) -> int:
        client = auth_client(accountant)  # a new client loads the middleware in force
        client.get(url, **extra)  # "last seen" written, then not again within the minute
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, **extra).status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
        return len(captured)

    def costs() -> tuple[int, ...]:
        requests = ((HUB, {}), (fragment, {"HTTP_HX_REQUEST": "true"}), (PORTAL_HOME, {}))
        with override_settings(MIDDLEWARE=without_rule):
            bare = [queries(url, **extra) for url, extra in requests]
        ruled = [queries(url, **extra) for url, extra in requests]
        return tuple(r - b for r, b in zip(ruled, bare, strict=True))

    assert costs() == (0, 0, 0)
    enrol_totp(accountant)
    Firm.objects.filter(pk=firm.pk).update(mfa_required_for_staff=True)
    assert costs() == (1, 1, 1)


def test_a_required_authenticator_cannot_be_deactivated(
    firm: Firm, accountant: User, auth_client
) -> None:
    secret = enrol_totp(accountant)
    Firm.objects.filter(pk=firm.pk).update(mfa_required_for_staff=True)
    client = Client()
    log_in(client, accountant.email)
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == HTTPStatus.OK and response.context["form"].errors
    assert Authenticator.objects.filter(user=accountant, type="totp").exists()
    # Without the rule, the same step works.
    Firm.objects.filter(pk=firm.pk).update(mfa_required_for_staff=False)
    assert client.post(reverse("mfa_deactivate_totp")).status_code == HTTPStatus.FOUND
    assert not Authenticator.objects.filter(user=accountant, type="totp").exists()


# --- Throttling per account and per IP (real Redis) --------------------------------------------


def rate_limit_keys() -> list[bytes]:
    return redis.Redis.from_url(settings.REDIS_URL).keys("*login_failed*")


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Trop de tentatives de connexion"),
        ("nl", "Te veel inlogpogingen"),
        ("de", "Zu viele gescheiterte Anmeldeversuche"),
    ],
)
def test_the_sixth_failure_for_an_account_is_refused_even_with_the_right_password(
    accountant: User, language: str, message: str
) -> None:
    assert "RedisCache" in settings.CACHES["default"]["BACKEND"]
    for attempt in range(5):  # each from another address: the bound is the account's
        client = Client(REMOTE_ADDR=f"10.0.0.{attempt + 1}", HTTP_ACCEPT_LANGUAGE=language)
        failed = log_in(client, accountant.email, "Wrong-password-1")
        assert failed.status_code == HTTPStatus.OK
        assert message not in failed.content.decode()
    assert rate_limit_keys()  # the counters are in Redis
    sixth = Client(REMOTE_ADDR="10.0.0.99", HTTP_ACCEPT_LANGUAGE=language)
    response = log_in(sixth, accountant.email)
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode()
    assert not logged_in(sixth)


def test_failures_from_one_address_are_bounded_across_accounts(accountant: User) -> None:
    attacker = Client(REMOTE_ADDR="192.0.2.7")
    for n in range(20):
        assert log_in(attacker, f"guess{n}@alpha.be", "Wrong-password-1").status_code == 200
    refused = log_in(attacker, accountant.email)
    assert "Trop de tentatives de connexion" in refused.content.decode()
    assert not logged_in(attacker)
    # The same account from another address is not punished for the attacker's guesses.
    colleague = Client(REMOTE_ADDR="198.51.100.4")
    assert log_in(colleague, accountant.email)["Location"] == HUB


def test_an_unknown_address_is_throttled_the_same_way(accountant: User) -> None:
    answers = {}
    for email in (accountant.email, "nobody@alpha.be"):
        for _attempt in range(5):
            log_in(Client(REMOTE_ADDR="10.1.1.1"), email, "Wrong-password-1")
        sixth = log_in(Client(REMOTE_ADDR="10.1.1.2"), email, "Wrong-password-1")
        answers[email] = (sixth.status_code, comparable(sixth.content, email))
    assert answers[accountant.email] == answers["nobody@alpha.be"]
    assert "Trop de tentatives" in answers[accountant.email][1]


def test_the_admin_login_goes_through_the_sites_login_and_its_limits(
    licence_admin: User, auth_client
) -> None:
    operator = User.objects.create_superuser("operator@platform.be", PASSWORD)
    anonymous = Client()
    to_login = anonymous.get("/admin/login/?next=/admin/")
    assert to_login.status_code == HTTPStatus.FOUND
    assert to_login["Location"].startswith(LOGIN) and "next=" in to_login["Location"]
    # The admin's own form authenticates no one, whatever it is sent.
    posted = anonymous.post(
        "/admin/login/", {"username": operator.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert posted["Location"].startswith(LOGIN)
    assert anonymous.get("/admin/").status_code == HTTPStatus.FOUND
    # The site's login throttles the operator's account like any other.
    for _attempt in range(5):
        log_in(Client(), operator.email, "Wrong-password-1", next="/admin/")
    blocked = Client()
    assert log_in(blocked, operator.email, next="/admin/").status_code == HTTPStatus.OK
    assert blocked.get("/admin/").status_code == HTTPStatus.FOUND
    # Firm staff, logged in, get no admin login form either.
    assert auth_client(licence_admin).get("/admin/login/").status_code == HTTPStatus.FORBIDDEN


@pytest.mark.django_db
def test_the_admin_opens_after_the_sites_login() -> None:
    User.objects.create_superuser("operator@platform.be", PASSWORD)
    client = Client()
    assert log_in(client, "operator@platform.be", next="/admin/")["Location"] == "/admin/"
    assert client.get("/admin/").status_code == HTTPStatus.OK


def test_password_reset_requests_are_throttled_alike_for_known_and_unknown(
    accountant: User, django_capture_on_commit_callbacks
) -> None:
    url = reverse("account_reset_password")
    answers = {}
    with django_capture_on_commit_callbacks(execute=True):
        for email in (accountant.email, "nobody@alpha.be"):
            statuses = [
                Client(REMOTE_ADDR=f"10.2.0.{n}").post(url, {"email": email}).status_code
                for n in range(5)
            ]
            assert statuses == [HTTPStatus.FOUND] * 5
            sixth = Client(REMOTE_ADDR="10.2.0.9").post(url, {"email": email})
            answers[email] = (sixth.status_code, comparable(sixth.content, email))
    assert answers[accountant.email] == answers["nobody@alpha.be"]
    assert answers[accountant.email][0] == HTTPStatus.TOO_MANY_REQUESTS
    # The portal's own page (templates/429.html), with the way back to the login.
    assert f'href="{LOGIN}"' in answers[accountant.email][1]
    assert len(mail.outbox) == 5 and {m.to[0] for m in mail.outbox} == {accountant.email}


# --- The same answer for known and unknown accounts --------------------------------------------


def test_a_failed_login_reads_the_same_for_known_and_unknown_addresses(accountant: User) -> None:
    known = log_in(Client(), accountant.email, "Wrong-password-1")
    unknown = log_in(Client(), "nobody@alpha.be", "Wrong-password-1")
    assert known.status_code == unknown.status_code == HTTPStatus.OK
    assert comparable(known.content, accountant.email) == comparable(
        unknown.content, "nobody@alpha.be"
    )


def test_a_reset_request_reads_the_same_for_known_and_unknown_addresses(
    accountant: User, django_capture_on_commit_callbacks
) -> None:
    url = reverse("account_reset_password")
    with django_capture_on_commit_callbacks(execute=True):
        known = Client().post(url, {"email": accountant.email}, follow=True)
        unknown = Client().post(url, {"email": "nobody@alpha.be"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert known.status_code == unknown.status_code == HTTPStatus.OK
    assert comparable(known.content, accountant.email) == comparable(
        unknown.content, "nobody@alpha.be"
    )
    assert len(mail.outbox) == 1


def invitation_link(firm: Firm, user: User, **fields: object) -> str:
    token = secrets.token_urlsafe(32)
    Invitation.objects.create(
        user=user,
        firm=firm,
        token_hash=invitation_token_hash(token),
        expires_at=fields.pop("expires_at", timezone.now() + timedelta(days=7)),
        **fields,
    )
    return reverse("invitation_accept", args=[token])


def test_unusable_invitation_links_all_read_alike_but_a_used_one_says_so(
    firm: Firm, client_user: User
) -> None:
    now = timezone.now()
    links = {
        "unknown": reverse("invitation_accept", args=[secrets.token_urlsafe(32)]),
        "expired": invitation_link(firm, client_user, expires_at=now - timedelta(minutes=1)),
        "revoked": invitation_link(firm, client_user, revoked_at=now),
    }
    inactive = MembershipFactory(firm=firm).user
    links["user deactivated"] = invitation_link(firm, inactive)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    answers = {name: Client().get(url) for name, url in links.items()}
    assert {a.status_code for a in answers.values()} == {HTTPStatus.GONE}
    bodies = {name: comparable(a.content, links[name]) for name, a in answers.items()}
    assert len(set(bodies.values())) == 1, bodies.keys()
    assert "password1" not in bodies["unknown"]
    used_link = invitation_link(firm, client_user, accepted_at=now)
    used = Client().get(used_link)
    assert used.status_code == HTTPStatus.GONE
    assert "déjà été utilisée" in used.content.decode()
    assert comparable(used.content, used_link) != bodies["unknown"]


# --- Sessions: list, "log out other sessions" --------------------------------------------------


def test_the_session_list_shows_each_device_and_logs_out_the_others(accountant: User) -> None:
    office = Client(HTTP_USER_AGENT=FIREFOX_WINDOWS, REMOTE_ADDR="203.0.113.10")
    phone = Client(HTTP_USER_AGENT=SAFARI_IPHONE, REMOTE_ADDR="203.0.113.20")
    log_in(office, accountant.email)
    log_in(phone, accountant.email)
    page = office.get(reverse("usersessions_list"))
    body = page.content.decode()
    assert len(page.context["sessions"]) == 2
    for text in ("Firefox on Windows", "Safari on iOS", "203.0.113.10", "203.0.113.20"):
        assert text.replace(" on ", " sur ") in body or text in body, text
    assert body.count('aria-current="true"') == 1
    response = office.post(reverse("usersessions_list"))
    assert response["Location"] == reverse("usersessions_list")
    assert logged_in(office)
    assert phone.get(HUB)["Location"].startswith(LOGIN)
    assert list(UserSession.objects.filter(user=accountant).values_list("ip", flat=True)) == [
        "203.0.113.10"
    ]


@pytest.mark.session_clock
def test_last_seen_is_written_at_most_once_a_minute(accountant: User) -> None:
    client = Client(REMOTE_ADDR="203.0.113.1")
    with time_machine.travel("2026-03-02 09:00:00 +0100", tick=False) as clock:
        log_in(client, accountant.email)
        session = UserSession.objects.get(user=accountant)
        client.get(HUB)
        clock.shift(30)
        client.get(HUB, REMOTE_ADDR="203.0.113.2")
        session.refresh_from_db()
        assert session.ip == "203.0.113.1"
        clock.shift(31)
        client.get(HUB, REMOTE_ADDR="203.0.113.2")
        session.refresh_from_db()
        assert session.ip == "203.0.113.2"
        assert session.last_seen_at == timezone.now()


def test_the_account_pages_are_linked_from_the_header(accountant: User, auth_client) -> None:
    client = auth_client(accountant)
    assert f'href="{reverse("mfa_index")}"' in client.get(HUB).content.decode()
    security = client.get(reverse("mfa_index")).content.decode()
    assert f'href="{reverse("usersessions_list")}"' in security
    assert f'href="{reverse("account_change_password")}"' in security


# --- next= stays on this site ------------------------------------------------------------------

HOSTILE_NEXT = [
    "//evil.com",
    "https://evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "javascript:alert(1)",
    "%2F%2Fevil.com",
    "/%2F%2Fevil.com",
    "/%5Cevil.com",
    "https:evil.com",
    "http://testserver@evil.com",
    " //evil.com",
    "/\t/evil.com",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_hostile_next_values_are_refused(target: str) -> None:
    request = RequestFactory().get("/")
    assert not is_safe_next(target, request=request)


@pytest.mark.parametrize("target", ["/portal/", "/connect/inbox/?page=2&q=a%20b", "/hub/#top"])
def test_local_next_values_are_kept(target: str) -> None:
    assert is_safe_next(target, request=RequestFactory().get("/"))


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_logout_and_language_ignore_a_hostile_next(accountant: User, target: str) -> None:
    client = Client()
    assert log_in(client, accountant.email, next=target)["Location"] == HUB
    switched = client.post(reverse("portal:language"), {"language": "nl", "next": target})
    assert switched["Location"] == "/"
    assert client.post(reverse("account_logout"), {"next": target})["Location"] == LOGIN
    login_page = client.get(LOGIN, {"next": target}).content.decode()
    kept = re.findall(r'name="next" value="([^"]*)"', login_page)
    assert all(value.startswith(f"{LOGIN}?") for value in kept), kept  # the language form's


def test_a_local_next_is_followed(accountant: User, firm: Firm) -> None:
    client = Client()
    target = reverse("portal:firm", args=[firm.public_id])
    assert log_in(client, accountant.email, next=target)["Location"] == target
    assert (
        client.post(reverse("portal:language"), {"language": "fr", "next": target})["Location"]
        == target
    )


@pytest.mark.parametrize("target", ["//evil.com", "/\\evil.com", "https:evil.com"])
def test_the_user_form_ignores_a_hostile_next(
    firm: Firm, dossier: Dossier, licence_admin: User, auth_client, target: str
) -> None:
    client = auth_client(licence_admin)
    response = client.post(
        reverse("portal:user_create", args=[firm.public_id]),
        {
            "email": "new@alpha.be",
            "language": "fr",
            "level": "user",
            "active": "on",
            role_field_name(dossier, "connect.entrepreneur"): "on",
            "next": target,
        },
    )
    assert response.status_code == HTTPStatus.FOUND, response.context["form"].errors
    assert response["Location"].startswith(f"/portal/firms/{firm.public_id}/users/")
