"""Celery entry points of the portal shell."""

import smtplib
from typing import Any

from celery import shared_task

from portal.mail import payload_to_message


@shared_task(
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=12,
    acks_late=True,
)
def email_send(payload: dict[str, Any]) -> None:
    """Deliver one rendered message; SMTP outages are retried with backoff."""
    payload_to_message(payload).send(fail_silently=False)
