"""Outgoing mail leaves the request through an outbox: a row in the database, written in the
transaction that caused it, delivered by a Celery task after commit.

Two kinds of rows: a message rendered in the request (``email_enqueue``, e.g. allauth's
password reset, rendered in the recipient's language), or a message rendered by the worker at
delivery (``email_enqueue_rendered_later``, e.g. an invitation, whose one-time token is created
only when the mail is actually sent, so that no usable token waits in the database)."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.mail import EmailMessage, EmailMultiAlternatives

from core import db_scope
from core.queue import enqueue_on_commit

if TYPE_CHECKING:
    from portal.models import OutboundEmail

#: Renders a row at delivery; None means the mail is no longer wanted (e.g. revoked meanwhile).
Renderer = Callable[["OutboundEmail"], EmailMessage | None]
_renderers: dict[str, Renderer] = {}


def mail_renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the function that renders rows of ``kind`` at delivery time."""

    def register(function: Renderer) -> Renderer:
        _renderers[kind] = function
        return function

    return register


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


def render(row: "OutboundEmail") -> EmailMessage | None:
    renderer = _renderers.get(row.kind)
    if renderer is not None:
        return renderer(row)
    return payload_to_message(row.payload)


def _enqueue_after_commit(row: "OutboundEmail") -> None:
    from portal.tasks import email_deliver

    enqueue_on_commit(email_deliver, row.pk)


def email_enqueue(message: EmailMessage, *, kind: str = "message") -> "OutboundEmail":
    """Record ``message`` in the outbox and deliver it once the transaction commits."""
    from portal.models import OutboundEmail

    with db_scope.system():  # the outbox is the system's (docs/tenancy.md)
        row = OutboundEmail.objects.create(
            kind=kind,
            to=", ".join(message.to)[:254],
            subject=str(message.subject)[:255],
            payload=message_to_payload(message),
        )
    _enqueue_after_commit(row)
    return row


def email_enqueue_rendered_later(*, kind: str, to: str, data: dict[str, Any]) -> "OutboundEmail":
    """Record a mail that the renderer registered for ``kind`` builds at delivery from ``data``."""
    from portal.models import OutboundEmail

    if kind not in _renderers:
        raise LookupError(f"no mail renderer for {kind!r}")
    with db_scope.system():  # the outbox is the system's (docs/tenancy.md)
        row = OutboundEmail.objects.create(kind=kind, to=to, subject="", payload={"data": data})
    _enqueue_after_commit(row)
    return row
