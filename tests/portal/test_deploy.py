"""Production settings: `manage.py check --deploy` is clean, and a request through the full
middleware under those settings gets HSTS, the TLS redirect, secure cookies and the browser
security headers."""

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from users.models import User

ROOT = Path(__file__).resolve().parents[2]
#: Only what a deployment sets.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "DJANGO_SECRET_KEY": "a" * 20 + "-production-secret-key-0123456789-abcdefghij",
    "DJANGO_ALLOWED_HOSTS": "portal.example.be",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "PORTAL_BASE_URL": "https://portal.example.be",
}
#: The production settings a request meets in the middleware (the rest is the test's).
HEADER_SETTINGS = (
    "ALLOWED_HOSTS",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
    "LANGUAGE_COOKIE_SECURE",
    "PERMISSIONS_POLICY",
    "SECURE_",
    "SESSION_COOKIE_",
    "X_FRAME_OPTIONS",
)


def test_production_settings_pass_check_deploy(record_property) -> None:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for themselves: not a deployment's.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**inherited, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    sys.stdout.write(output + "\n")  # shown with -s or -rP; kept in the JUnit report too
    record_property("check_deploy", output)
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The security settings of portal/settings/production.py, read from the module itself
    with a deployment's environment."""
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    sys.modules.pop("portal.settings.production", None)
    module = importlib.import_module("portal.settings.production")
    sys.modules.pop("portal.settings.production", None)
    values = {
        name: getattr(module, name)
        for name in dir(module)
        if name.isupper() and name.startswith(HEADER_SETTINGS)
    }
    with override_settings(**values):
        yield values


@pytest.mark.django_db
def test_a_request_under_production_settings_gets_the_security_headers(
    production: dict[str, Any], client_user: User, password: str
) -> None:
    assert production["SECURE_SSL_REDIRECT"] is True
    browser = Client(HTTP_HOST="portal.example.be")

    # Plain HTTP is sent to HTTPS.
    response = browser.get("/accounts/login/")
    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"] == "https://portal.example.be/accounts/login/"

    # Over HTTPS (the proxy says so): HSTS and the page headers.
    https = Client(HTTP_HOST="portal.example.be", HTTP_X_FORWARDED_PROTO="https")
    page = https.get("/accounts/login/")
    assert page.status_code == HTTPStatus.OK
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self';" in page["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["X-Frame-Options"] == "DENY"
    assert page["Cross-Origin-Opener-Policy"] == "same-origin"
    assert page["Referrer-Policy"] == "same-origin"
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"

    # Logging in sets a session cookie that is Secure, HttpOnly and SameSite.
    response = https.post(
        reverse("account_login"), {"login": client_user.email, "password": password}
    )
    assert response.status_code == HTTPStatus.FOUND, response.content[:500]
    session = response.cookies["sessionid"]
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"

    # Another host name is refused.
    refused = Client(HTTP_HOST="evil.example", HTTP_X_FORWARDED_PROTO="https")
    assert refused.get("/accounts/login/").status_code == HTTPStatus.BAD_REQUEST
