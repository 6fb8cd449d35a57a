"""The preview of a document (its thumbnail, and then its page images): whether it is ready,
still being made, or failed, and making it again when it failed.

Processing runs in the worker, or inline in the request under `make run` (no broker): there a
preview still "pending" once the upload's request has answered will never be made (a crash or
a locked database interrupted it) and no sweeper comes by. A preview pending longer than the
worker's sweeper waits (a minute inline) is shown as failed and may be retried."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connect.documents.services.processing import PROCESS_TASK, SWEEP_AFTER
from connect.models import Document, Processing
from core.errors import ServiceError
from core.queue import enqueue_on_commit
from dossiers.access import connect_roles_for
from dossiers.models import Role
from users.models import User

READY = "ready"
PENDING = "pending"
FAILED = "failed"
NONE = "none"

#: Inline tasks end with the request that queued them.
STALE_INLINE = timedelta(minutes=1)


def preview_stale_after() -> timedelta:
    return STALE_INLINE if settings.CELERY_TASK_ALWAYS_EAGER else SWEEP_AFTER


def preview_state(document: Document) -> str:
    """ready (a thumbnail), pending (being made), failed (may be retried), or none (an XML
    e-invoice, or no tool to make one)."""
    if document.thumbnail_name:
        return READY
    if document.processing in (Processing.FAILED, Processing.QUARANTINED):
        return FAILED
    if document.processing == Processing.PENDING:
        since = document.processing_queued_at or document.uploaded_at
        if since is not None and since < timezone.now() - preview_stale_after():
            return FAILED
        return PENDING
    return NONE


def document_preview_retry(*, actor: User, document: Document) -> Document:
    """Queue the making of a failed preview again (one more attempt for a quarantined file:
    each retry of a file that kills the worker costs one attempt, not a loop). ``document``
    comes from a selector that checked the actor may see it."""
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if preview_state(locked) != FAILED:
            raise ServiceError(_("The preview is not in error: nothing to retry."), code="state")
        if locked.processing == Processing.QUARANTINED and Role.CONNECT_ACCOUNTANT not in (
            connect_roles_for(actor=actor, dossier=locked.dossier) or ()
        ):
            # A file put aside after crashing the worker is tried again by the firm only:
            # otherwise each click would replay it.
            raise ServiceError(
                _("This file was put aside after failing: your accountant can try it again."),
                code="quarantined",
            )
        locked.processing = Processing.PENDING
        locked.processing_error = ""
        locked.processing_queued_at = timezone.now()
        locked.processing_attempts = min(
            locked.processing_attempts, settings.CONNECT_PROCESSING_MAX_ATTEMPTS - 1
        )
        locked.save(
            update_fields=[
                "processing",
                "processing_error",
                "processing_queued_at",
                "processing_attempts",
            ]
        )
        enqueue_on_commit(PROCESS_TASK, locked.pk)
    return locked
