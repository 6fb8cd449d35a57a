"""Outgoing mail leaves the request through an outbox: a row in the database, written in the
transaction that caused it, delivered by a Celery task after commit.

Two kinds of rows: a message rendered in the request (``email_enqueue``, e.g. allauth's
password reset, rendered in the recipient's language), or a message rendered by the worker at
delivery (``email_enqueue_rendered_later``, e.g. an invitation, whose one-time token is created
only when the mail is actually sent, so that no usable token waits in the database).

Delivery (``outbound_email_deliver``, called by the task ``core.tasks.email_deliver``) sends a
row at most once; the sweeper (``outbound_email_sweep``) finds the rows a broker outage left."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core import db_scope
from core.models import OutboundEmail
from core.queue import enqueue_on_commit

#: The delivery task's Celery name (``core.tasks.email_deliver``; the name it had in the portal
#: app, kept for the messages already queued and the ``mail`` route).
EMAIL_DELIVER_TASK = "portal.tasks.email_deliver"

#: The worker's own retries stop after about an hour; then the sweeper tries every 10 minutes.
SWEEP_AFTER = timedelta(minutes=10)
GIVE_UP_AFTER = timedelta(days=3)

#: Renders a row at delivery; None means the mail is no longer wanted (e.g. revoked meanwhile).
Renderer = Callable[[OutboundEmail], EmailMessage | None]
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


def render(row: OutboundEmail) -> EmailMessage | None:
    renderer = _renderers.get(row.kind)
    if renderer is not None:
        return renderer(row)
    return payload_to_message(row.payload)


def _enqueue_after_commit(row: OutboundEmail) -> None:
    enqueue_on_commit(EMAIL_DELIVER_TASK, row.pk)


def email_enqueue(message: EmailMessage, *, kind: str = "message") -> OutboundEmail:
    """Record ``message`` in the outbox and deliver it once the transaction commits."""
    with db_scope.system():  # the outbox is the system's (docs/tenancy.md)
        row = OutboundEmail.objects.create(
            kind=kind,
            to=", ".join(message.to)[:254],
            subject=str(message.subject)[:255],
            payload=message_to_payload(message),
        )
    _enqueue_after_commit(row)
    return row


def email_enqueue_rendered_later(*, kind: str, to: str, data: dict[str, Any]) -> OutboundEmail:
    """Record a mail that the renderer registered for ``kind`` builds at delivery from ``data``."""
    if kind not in _renderers:
        raise LookupError(f"no mail renderer for {kind!r}")
    with db_scope.system():  # the outbox is the system's (docs/tenancy.md)
        row = OutboundEmail.objects.create(kind=kind, to=to, subject="", payload={"data": data})
    _enqueue_after_commit(row)
    return row


def outbound_email_deliver(*, outbound_id: int) -> bool:
    """Send one outbox row, at most once: the row is locked while it is sent and marked sent in
    the same transaction. SMTP and network errors are recorded on the row and re-raised (the
    task retries them). Returns whether a message left."""
    try:
        with transaction.atomic():
            row = OutboundEmail.objects.select_for_update().filter(pk=outbound_id).first()
            if row is None or row.status != OutboundEmail.Status.PENDING:
                return False
            message = render(row)
            now = timezone.now()
            if message is None:
                row.status = OutboundEmail.Status.FAILED
                row.last_error = "no longer wanted"
                row.payload = {}
                row.save(update_fields=["status", "last_error", "payload"])
                return False
            message.send(fail_silently=False)
            row.status = OutboundEmail.Status.SENT
            row.subject = str(message.subject)[:255]
            row.sent_at = row.last_attempt_at = now
            row.attempts += 1
            row.last_error = ""
            # What was sent may carry a one-time link: keep only who and what, not the body.
            row.payload = {"sent": True}
            row.save()
            return True
    except Exception as exc:
        OutboundEmail.objects.filter(pk=outbound_id, status=OutboundEmail.Status.PENDING).update(
            attempts=F("attempts") + 1,
            last_attempt_at=timezone.now(),
            last_error=f"{type(exc).__name__}: {exc}"[:500],
        )
        raise


def outbound_email_sweep() -> list[int]:
    """Ids of pending rows to enqueue again (a broker outage lost them, or the worker's retries
    ran out); rows pending for days are given up as failed."""
    now = timezone.now()
    OutboundEmail.objects.filter(
        status=OutboundEmail.Status.PENDING, created_at__lt=now - GIVE_UP_AFTER
    ).update(status=OutboundEmail.Status.FAILED, payload={})  # no reset link kept
    stale = Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=now - SWEEP_AFTER)
    return list(
        OutboundEmail.objects.filter(
            stale, status=OutboundEmail.Status.PENDING, created_at__lt=now - timedelta(minutes=1)
        ).values_list("pk", flat=True)[:500]
    )
