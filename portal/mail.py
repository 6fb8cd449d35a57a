"""Outgoing mail leaves the request: messages are rendered in the recipient's language, then
handed to a Celery task once the surrounding transaction has committed."""

from functools import partial
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction


def message_to_payload(message: EmailMessage) -> dict[str, Any]:
    """A JSON-safe description of a rendered message (the task serializer is JSON only)."""
    alternatives = getattr(message, "alternatives", [])
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "content_subtype": message.content_subtype,
        "alternatives": [[str(content), mimetype] for content, mimetype in alternatives],
    }


def payload_to_message(payload: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload.get("from_email"),
        to=payload.get("to", []),
        cc=payload.get("cc", []),
        bcc=payload.get("bcc", []),
        reply_to=payload.get("reply_to", []),
        headers=payload.get("headers", {}),
    )
    message.content_subtype = payload.get("content_subtype", "plain")
    for content, mimetype in payload.get("alternatives", []):
        message.attach_alternative(content, mimetype)
    return message


def email_enqueue(message: EmailMessage) -> None:
    """Send ``message`` through the mail queue after the current transaction commits."""
    from portal.tasks import email_send

    transaction.on_commit(partial(email_send.delay, message_to_payload(message)))
