"""The mail outbox: recorded with the change, delivered at most once, swept after outages."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from core.mail import email_enqueue, outbound_email_deliver, outbound_email_sweep
from core.models import OutboundEmail
from tests.fixtures_services import free_port


def message(to: str = "someone@example.be") -> EmailMessage:
    return EmailMessage("Sujet", "Corps avec un lien secret", "portal@example.be", [to])


@pytest.mark.django_db
def test_a_row_is_written_and_sent_after_commit(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        row = email_enqueue(message())
        assert mail.outbox == []  # nothing leaves before the commit
    assert [m.subject for m in mail.outbox] == ["Sujet"]
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.SENT
    assert row.attempts == 1
    assert "secret" not in str(row.payload)  # the body is not kept once sent


@pytest.mark.django_db
def test_nothing_is_sent_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                email_enqueue(message())
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_delivering_twice_sends_once() -> None:
    row = email_enqueue(message())
    assert outbound_email_deliver(outbound_id=row.pk) is True
    assert outbound_email_deliver(outbound_id=row.pk) is False
    assert outbound_email_deliver(outbound_id=row.pk + 1000) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_an_smtp_outage_is_recorded_and_the_row_stays_pending(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    row = email_enqueue(message())
    with pytest.raises((smtplib.SMTPException, OSError)):
        outbound_email_deliver(outbound_id=row.pk)
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.PENDING
    assert row.attempts == 1
    assert row.last_error
    assert row.payload["subject"] == "Sujet"  # kept for the next try


@pytest.mark.django_db
def test_the_sweeper_picks_up_what_waits_and_gives_up_after_days() -> None:
    now = timezone.now()
    fresh = email_enqueue(message("fresh@example.be"))
    lost = email_enqueue(message("lost@example.be"))  # its enqueue never reached the broker
    retried = email_enqueue(message("retried@example.be"))
    recent_try = email_enqueue(message("recent@example.be"))
    ancient = email_enqueue(message("ancient@example.be"))
    sent = email_enqueue(message("sent@example.be"))
    OutboundEmail.objects.filter(pk__in=[lost.pk, retried.pk, recent_try.pk, sent.pk]).update(
        created_at=now - timedelta(minutes=30)
    )
    OutboundEmail.objects.filter(pk=retried.pk).update(last_attempt_at=now - timedelta(minutes=11))
    OutboundEmail.objects.filter(pk=recent_try.pk).update(
        last_attempt_at=now - timedelta(minutes=2)
    )
    OutboundEmail.objects.filter(pk=ancient.pk).update(created_at=now - timedelta(days=4))
    OutboundEmail.objects.filter(pk=sent.pk).update(status=OutboundEmail.Status.SENT)

    assert sorted(outbound_email_sweep()) == sorted([lost.pk, retried.pk])
    ancient.refresh_from_db()
    assert ancient.status == OutboundEmail.Status.FAILED
    assert fresh.pk not in outbound_email_sweep()


@pytest.mark.django_db
def test_a_mail_given_up_keeps_no_body() -> None:
    row = email_enqueue(message("ancient@example.be"))
    OutboundEmail.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=4))
    outbound_email_sweep()
    row.refresh_from_db()
    assert (row.status, row.payload) == (OutboundEmail.Status.FAILED, {})
