"""Celery tasks of the kernel: the outbox delivery and its sweeper. They keep the names they had
in the portal app (`portal.tasks.*`): messages already queued, the routes and the beat schedule
in settings use those names. Tasks take ids and call the kernel."""

import smtplib

from celery import shared_task
from django.conf import settings

from core import mail

TRANSIENT_MAIL_ERRORS = (smtplib.SMTPException, OSError, TimeoutError)


@shared_task(
    autoretry_for=TRANSIENT_MAIL_ERRORS,
    retry_backoff=settings.MAIL_RETRY_BACKOFF,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
    acks_late=True,
    name=mail.EMAIL_DELIVER_TASK,
)
def email_deliver(outbound_id: int) -> None:
    """Deliver one outbox row; SMTP outages are retried with backoff, then by the sweeper."""
    mail.outbound_email_deliver(outbound_id=outbound_id)


@shared_task(name="portal.tasks.outbound_email_sweep")
def outbound_email_sweep() -> int:
    """Beat: enqueue again the outbox rows still pending."""
    ids = mail.outbound_email_sweep()
    for outbound_id in ids:
        email_deliver.delay(outbound_id)
    return len(ids)
