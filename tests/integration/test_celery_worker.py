"""A task sent through Redis to a real Celery worker process completes: the password-reset mail
leaves the request, crosses the broker, and reaches a real SMTP server in the user's language."""

import os
import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from dossiers.models import FirmLevel
from tests.factories import MembershipFactory

pytestmark = pytest.mark.integration


def test_password_reset_mail_goes_through_the_worker_to_smtp(celery_worker, smtp) -> None:
    user = MembershipFactory(
        level=FirmLevel.USER, user__email="reset@example.be", user__language="de"
    ).user
    response = Client().post(reverse("account_reset_password"), {"email": "Reset@Example.be"})
    assert response.status_code == 302

    (message,) = smtp.wait_for(1)
    assert message["To"] == user.email
    with translation.override("de"):
        german = translation.gettext("Password Reset Email")
    with translation.override("fr"):
        french = translation.gettext("Password Reset Email")
    assert german != french
    assert german in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "/accounts/password/reset/key/" in body


def test_a_task_sent_to_the_worker_completes(celery_worker, smtp) -> None:
    from django.core.mail import EmailMessage

    from core.mail import email_enqueue
    from core.models import OutboundEmail

    row = email_enqueue(EmailMessage("Ping", "Pong", "portal@example.be", ["ops@example.be"]))
    (message,) = smtp.wait_for(1)
    assert message["Subject"] == "Ping"
    # The row is marked sent in the worker's transaction, just after the SMTP answer.
    deadline = time.monotonic() + 10
    while OutboundEmail.objects.get(pk=row.pk).status != OutboundEmail.Status.SENT:
        assert time.monotonic() < deadline, "the row was never marked sent"
        time.sleep(0.05)
    row.refresh_from_db()
    assert row.attempts == 1


def _niceness(pid: int) -> int:
    text = Path(f"/proc/{pid}/stat").read_text()
    return int(text.rsplit(")", 1)[1].split()[16])  # field 19 of proc(5)


def test_the_worker_yields_the_cpu_to_pages(celery_worker) -> None:
    """Background work runs at niceness WORKER_NICENESS (10), its pool processes too: on a
    busy host the pages people wait for go first (docs/operations.md)."""
    from django.conf import settings

    from tests.fixtures_services import children_of

    wanted = max(settings.WORKER_NICENESS, os.nice(0))
    assert _niceness(celery_worker.pid) == wanted
    pool = children_of(celery_worker.pid)
    assert pool and all(_niceness(pid) == wanted for pid in pool)
    if os.nice(0) < settings.WORKER_NICENESS:  # a run started under `nice` proves nothing
        assert _niceness(os.getpid()) < wanted  # the test run itself is left as it was
