"""Celery entry points of the portal shell. Tasks take ids and call services."""

import smtplib

from celery import shared_task
from django.conf import settings

from portal import services

TRANSIENT_MAIL_ERRORS = (smtplib.SMTPException, OSError, TimeoutError)


@shared_task(
    autoretry_for=TRANSIENT_MAIL_ERRORS,
    retry_backoff=settings.MAIL_RETRY_BACKOFF,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
    acks_late=True,
)
def email_deliver(outbound_id: int) -> None:
    """Deliver one outbox row; SMTP outages are retried with backoff, then by the sweeper."""
    services.outbound_email_deliver(outbound_id=outbound_id)


@shared_task
def outbound_email_sweep() -> int:
    """Beat: enqueue again the outbox rows still pending."""
    ids = services.outbound_email_sweep()
    for outbound_id in ids:
        email_deliver.delay(outbound_id)
    return len(ids)
