"""The portal's words from the reader's side (issue 14): no colon after a checkbox, the
invitation ticked by default, nouns in table headers, dates written as the reader writes them,
"not ready yet" for a connection test waiting for its first client, the credits' heading."""

import re
from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from rest_framework import exceptions

from core.models import AuditAction, AuditEvent
from dossiers.models import ConnectionTest, Dossier, Firm
from users.models import User


def _french(user: User) -> None:
    user.language = "fr"
    user.save()


def test_a_checkbox_label_has_no_colon_and_the_invitation_is_ticked(
    firm: Firm, licence_admin: User, auth_client
) -> None:
    _french(licence_admin)
    response = auth_client(licence_admin).get(reverse("portal:user_create", args=[firm.public_id]))
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    checkbox = re.search(r'<input type="checkbox" name="send_email"[^>]*>', body)
    assert checkbox is not None and "checked" in checkbox.group(0)
    assert re.search(
        r'<label for="id_send_email">Envoyer un e-mail avec les informations à '
        r"l'utilisateur</label>",
        body.replace("&#x27;", "'"),
    )
    assert '<label for="id_active">Actif</label>' in body
    # A label above its field keeps the language's colon.
    assert '<label for="id_language">Langue\xa0:</label>' in body


def test_an_unticked_invitation_is_not_sent(firm: Firm, licence_admin: User, auth_client) -> None:
    from django.core import mail

    response = auth_client(licence_admin).post(
        reverse("portal:user_create", args=[firm.public_id]),
        {"email": "nobody@example.be", "language": "fr", "level": "power_user", "active": "on"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert not [m for m in mail.outbox if "nobody@example.be" in m.to]


@pytest.mark.parametrize(
    ("language", "header", "day"),
    [
        ("fr", "Modification", "13/12/2026"),
        ("nl", "Wijziging", "13-12-2026"),
        ("de", "Änderung", "13.12.2026"),
        ("en", "Change", "13/12/2026"),
    ],
)
def test_the_history_is_headed_by_nouns_and_writes_local_dates(
    firm: Firm, licence_admin: User, language: str, header: str, day: str
) -> None:
    event = AuditEvent.objects.create(
        firm=firm,
        actor=licence_admin,
        action=AuditAction.INVITATION_SENT,
        subject_user=licence_admin,
        after={"expires_at": datetime(2026, 12, 13, 0, 37, 5, 979719, tzinfo=UTC).isoformat()},
    )
    with translation.override(language):
        html = render_to_string("includes/audit.html", {"audit_events": [event]})
    assert f'<th scope="col">{header}</th>' in html
    assert "2026-12-13T" not in html and day in html
    verb = {"fr": "Changer", "nl": "Wijzigen", "de": "Ändern"}.get(language)
    assert verb is None or verb not in html


def _rendered(test: ConnectionTest, dossier: Dossier) -> str:
    with translation.override("en"):
        return render_to_string("partials/connection_test.html", {"test": test, "dossier": dossier})


def _done(dossier: Dossier, *results: dict) -> ConnectionTest:
    return ConnectionTest.objects.create(
        dossier=dossier,
        status=ConnectionTest.Status.DONE,
        results=list(results),
        finished_at=datetime(2026, 12, 6, 9, tzinfo=UTC),
    )


READY = (
    {"check": "accountant", "ok": True, "detail": "ok", "value": "comptable@alpha.be"},
    {"check": "inbound_email", "ok": True, "detail": "ok", "value": "x@in.example"},
    {"check": "storage", "ok": True, "detail": "ok"},
)


def test_a_connection_test_waiting_for_its_first_client_is_not_a_failure(
    dossier: Dossier,
) -> None:
    waiting = _done(
        dossier, *READY, {"check": "entrepreneur", "ok": False, "detail": "none", "value": 0}
    )
    assert waiting.waiting_for_client and not waiting.passed
    html = _rendered(waiting, dossier)
    assert "not ready yet, waiting for the first client" in html
    assert "check-fail" not in html and "failed" not in html.lower()
    assert "Not ready yet:" in html

    broken = _done(
        dossier,
        *READY[:2],
        {"check": "storage", "ok": False, "detail": "error", "value": "OSError"},
        {"check": "entrepreneur", "ok": False, "detail": "none", "value": 0},
    )
    assert not broken.waiting_for_client
    html = _rendered(broken, dossier)
    assert "Connection test failed." in html and "check-fail" in html

    ready = _done(
        dossier, *READY, {"check": "entrepreneur", "ok": True, "detail": "ok", "value": 1}
    )
    assert ready.passed and not ready.waiting_for_client


def test_the_credits_page_names_the_credits_left_per_cartouche(
    firm: Firm, licence_admin: User, auth_client
) -> None:
    _french(licence_admin)
    body = auth_client(licence_admin).get(reverse("portal:credits", args=[firm.public_id]))
    text = body.content.decode()
    assert "Crédits restants par cartouche" in text and "Cartouches de la licence" not in text


@pytest.mark.parametrize(("wait", "words"), [(1, "1 second."), (30, "30 seconds.")])
def test_the_rate_limit_counts_its_seconds(wait: int, words: str) -> None:
    from connect.api.framework import (
        _describe,  # after DRF's settings (connect.api.framework is one of them)
    )

    with translation.override("en"):
        code, message = _describe(exceptions.Throttled(wait=wait))
    assert code == "rate_limited" and str(message).endswith(words)
