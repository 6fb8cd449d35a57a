"""Invitations through a real Celery worker and Redis to a real SMTP server, including an SMTP
outage: retried with backoff, recorded in the database, delivered once when SMTP returns."""

import time

import pytest

from core.models import OutboundEmail
from dossiers import firm_users, invitations
from dossiers.models import FirmLevel
from tests.factories import DossierFactory, FirmFactory, MembershipFactory

pytestmark = pytest.mark.integration


def create_client(send_email: bool = True):
    firm = FirmFactory(name="Fiduciaire Intégration")
    admin = MembershipFactory(
        firm=firm, level=FirmLevel.LICENCE_ADMIN, user__first_name="Anne", user__last_name="Admin"
    ).user
    dossier = DossierFactory(firm=firm, code="GARAGE", name="Garage SA")
    user = firm_users.user_invite(
        firm=firm,
        actor=admin,
        email="client@garage.be",
        first_name="Gaston",
        last_name="Garage",
        language="fr",
        level=FirmLevel.USER,
        accesses={dossier: {"connect.entrepreneur", "view.user"}},
        send_email=send_email,
    )
    return firm, admin, user


def wait_until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_the_invitation_goes_through_the_worker_in_the_users_language(celery_worker, smtp):
    _firm, _admin, user = create_client()
    (message,) = smtp.wait_for(1)
    assert message["To"] == "client@garage.be"
    # (Django folds encoded subjects: the parsed header starts with the fold's space)
    assert (
        message["Subject"].strip() == "Fiduciaire Intégration vous invite à ses outils numériques"
    )
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Anne Admin de Fiduciaire Intégration" in body
    assert "GARAGE · Garage SA (Connect, View)" in body
    token = body.split("/invitation/")[1].split("/")[0]
    # The worker commits the token's row just after the mail has left (a failed send rolls it
    # back): under load the message can arrive a moment before that commit.
    wait_until(lambda: invitations.invitation_for_token(token) is not None)
    assert invitations.invitation_for_token(token).user == user
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"/invitation/{token}/" in html


def test_an_smtp_outage_is_retried_and_the_mail_delivered_once(celery_worker, smtp):
    smtp.down()
    create_client()
    row = OutboundEmail.objects.get(kind="invitation")
    wait_until(lambda: OutboundEmail.objects.get(pk=row.pk).attempts >= 2)
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.PENDING
    assert row.last_error  # the refusal is recorded
    assert smtp.messages == []

    smtp.up()
    try:
        (message,) = smtp.wait_for(1, timeout=60)
    except AssertionError:
        row.refresh_from_db()
        raise AssertionError(
            f"row={row.status}/{row.attempts}/{row.last_error} "
            f"worker={''.join(celery_worker.log[-30:])}"
        ) from None
    # The worker marks the row sent in the transaction that follows the SMTP answer.
    wait_until(lambda: OutboundEmail.objects.get(pk=row.pk).status == OutboundEmail.Status.SENT)
    row.refresh_from_db()
    assert row.attempts >= 3
    time.sleep(3)  # nothing else arrives: delivered exactly once
    assert len(smtp.messages) == 1, [m["Subject"] for m in smtp.messages]
    assert message["To"] == "client@garage.be"
