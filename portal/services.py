"""Writes of the portal shell: mail delivery and the audit trail."""

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core import db_scope
from dossiers.models import Dossier, Firm
from portal.mail import render
from portal.models import AuditEvent, OutboundEmail
from users.models import User

logger = logging.getLogger(__name__)

#: The worker's own retries stop after about an hour; then the sweeper tries every 10 minutes.
SWEEP_AFTER = timedelta(minutes=10)
GIVE_UP_AFTER = timedelta(days=3)


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


def audit_record(
    *,
    firm: Firm,
    actor: User | None,
    action: str,
    dossier: Dossier | None = None,
    subject_user: User | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the firm's audit trail (call it inside the change's transaction).
    Appending is the system's act (docs/tenancy.md): a visitor accepting an invitation writes
    one too, and the row security of the trail is for reading it."""
    with db_scope.system():
        return AuditEvent.objects.create(
            firm=firm,
            actor=actor,
            action=action,
            dossier=dossier,
            subject_user=subject_user,
            before=before or {},
            after=after or {},
        )


def audit_changes(
    *,
    firm: Firm,
    actor: User | None,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    dossier: Dossier | None = None,
    subject_user: User | None = None,
) -> AuditEvent | None:
    """Record the keys of ``after`` whose value differs from ``before``; nothing if none."""
    changed = [key for key in after if before.get(key) != after[key]]
    if not changed:
        return None
    return audit_record(
        firm=firm,
        actor=actor,
        action=action,
        dossier=dossier,
        subject_user=subject_user,
        before={key: before.get(key) for key in changed},
        after={key: after[key] for key in changed},
    )
