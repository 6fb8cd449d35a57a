"""Two-factor authentication in a real browser: a staff member of a firm that requires it is
led to set up an authenticator app, then logs in with a code; a security key is registered
and used through Chromium's virtual authenticator (the WebAuthn ceremony end to end)."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)

from dossiers.models import Firm, FirmLevel
from tests.factories import PASSWORD, FirmFactory, MembershipFactory
from users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def staff_member(*, mfa_required: bool) -> User:
    firm = FirmFactory(name="Fiduciaire Alpha")
    Firm.objects.filter(pk=firm.pk).update(mfa_required_for_staff=mfa_required)
    return MembershipFactory(
        firm=firm, level=FirmLevel.POWER_USER, user__email="comptable@alpha.be"
    ).user


def submit_login(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("WinBooksID")).fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()


def csp_violations(page) -> list[str]:
    """Console reports of the Content-Security-Policy: the ceremony must run without any."""
    seen: list[str] = []

    def listen(message) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            seen.append(message.text)

    page.on("console", listen)
    return seen


def log_out(page) -> None:
    page.locator("form.logout-form button").click()
    page.wait_for_url("**/accounts/login/")


def test_staff_of_a_strict_firm_set_up_an_app_then_log_in_with_a_code(page_factory) -> None:
    user = staff_member(mfa_required=True)
    page = page_factory(locale="fr-BE")
    violations = csp_violations(page)
    submit_login(page, user.email)
    # Sent to the setup, which first asks for the password again.
    page.wait_for_url("**/accounts/reauthenticate/**")
    assert page.locator(".message").count() >= 1  # why they are here
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    assert page.locator("main img[src^='data:image/svg+xml']").is_visible()  # the QR code
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("#id_code").fill(current_code(secret))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10
    # Enrolled: the portal opens.
    page.goto("/hub/")
    assert page.url.endswith("/hub/")
    log_out(page)

    submit_login(page, user.email)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.locator("#id_code").fill(codes[0])  # a recovery code works in the same field
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/hub/")
    assert violations == []


def test_a_security_key_is_registered_and_then_opens_the_account(page_factory) -> None:
    user = staff_member(mfa_required=False)
    page = page_factory(locale="en-GB")
    violations = csp_violations(page)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    submit_login(page, user.email)
    page.wait_for_url("**/hub/")
    page.locator("header a[href='/accounts/2fa/']").click()
    page.locator("main a[href='/accounts/2fa/webauthn/add/']").click()
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/2fa/webauthn/add/")
    page.locator("#id_name").fill("Office key")
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    key = Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Office key"
    page.goto("/accounts/2fa/webauthn/")
    assert page.locator("main table").get_by_text("Office key").is_visible()
    log_out(page)

    submit_login(page, user.email)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.locator("#mfa_webauthn_authenticate").click()
    page.wait_for_url("**/hub/")
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert violations == []
