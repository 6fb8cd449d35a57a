"""The accountant's side of Connect: validate, reject, book, share, and the client's profile."""

import re
from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connect.documents.notifications import notify_client
from connect.documents.profiles import profile_for
from connect.documents.services.pipeline import pipeline_start
from connect.documents.services.receive import ReceiveResult, document_receive
from connect.models import (
    Binder,
    Category,
    ConnectProfile,
    Document,
    DocumentEvent,
    EventKind,
    Recognition,
    Source,
    Status,
    Task,
    TaskStatus,
)
from core.errors import ServiceError
from dossiers.access import require_connect_role
from dossiers.models import Dossier, Role
from users.models import User

#: Documents the accountant still works on (sent and not booked).
OPEN = (Status.SENT, Status.VALIDATED, Status.RETRIEVED)


def require_accountant(actor: User, dossier: Dossier) -> None:
    require_connect_role(
        actor=actor,
        dossier=dossier,
        roles=(Role.CONNECT_ACCOUNTANT,),
        message=_("Only the dossier's accountant can do this."),
    )


def _locked(document: Document) -> Document:
    return (
        Document.objects.select_for_update(of=("self",))
        .select_related("dossier")
        .get(pk=document.pk)
    )


def document_validate(*, actor: User, document: Document) -> Document:
    """Pre-validation: the accountant accepts a sent document before it is processed."""
    require_accountant(actor, document.dossier)
    with transaction.atomic():
        document = _locked(document)
        if document.status != Status.SENT or not profile_for(document.dossier).pre_validation:
            raise ServiceError(
                _("Only a document sent to the accountant can be validated."), code="state"
            )
        document.status = Status.VALIDATED
        document.save(update_fields=["status"])
        DocumentEvent.objects.create(document=document, actor=actor, kind=EventKind.VALIDATED)
        if document.ready_at is None and document.recognition == Recognition.NONE:
            pipeline_start(document=document, profile=profile_for(document.dossier))
    return document


def document_reject(*, actor: User, document: Document, reason: str) -> Document:
    """Send a document back to the client's desk with the reason; they may correct it."""
    require_accountant(actor, document.dossier)
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise ServiceError(
            _("Tell the client why the document is rejected."),
            code="reason_required",
            field="reason",
        )
    with transaction.atomic():
        document = _locked(document)
        if document.status not in OPEN:
            raise ServiceError(_("This document can no longer be rejected."), code="state")
        document.status = Status.REJECTED
        document.reject_reason = reason
        document.save(update_fields=["status", "reject_reason"])
        DocumentEvent.objects.create(
            document=document, actor=actor, kind=EventKind.REJECTED, note=reason
        )
        if profile_for(document.dossier).notify_client:
            notify_client(document=document, kind="rejected")
    return document


def document_book(*, actor: User, document: Document, booking_number: str) -> Document:
    """Mark a document booked with its booking number: it moves to the client's archive."""
    require_accountant(actor, document.dossier)
    booking_number = (booking_number or "").strip()[:50]
    if not booking_number:
        raise ServiceError(
            _("Enter the booking number."), code="booking_number_required", field="booking_number"
        )
    with transaction.atomic():
        document = _locked(document)
        if document.status not in OPEN:
            raise ServiceError(
                _("Only a document sent to the accountant can be booked."), code="state"
            )
        if profile_for(document.dossier).pre_validation and document.status == Status.SENT:
            raise ServiceError(_("Validate the document before booking it."), code="state")
        document.status = Status.BOOKED
        document.booking_number = booking_number
        document.booked_at = timezone.now()
        document.save(update_fields=["status", "booking_number", "booked_at"])
        DocumentEvent.objects.create(
            document=document, actor=actor, kind=EventKind.BOOKED, note=booking_number
        )
    return document


def document_share(
    *,
    actor: User,
    dossier: Dossier,
    binder: Binder,
    filename: str,
    chunks: Iterable[bytes],
    keyword: str = "",
    comment: str = "",
    task: Task | None = None,
) -> ReceiveResult:
    """Put a document of the firm into one of the client's binders (the client is told).
    With ``task`` (an open task of the dossier), the document closes it, in the same
    transaction: shared and closed together, or neither."""
    require_accountant(actor, dossier)
    if binder.dossier_id != dossier.pk:
        raise ServiceError(
            _("Choose a binder of this dossier."), code="binder_invalid", field="binder"
        )
    category = {
        "bank_statements": Category.BANK_STATEMENT,
        "payslips": Category.PAYSLIP,
    }.get(binder.builtin, Category.OTHER)
    result: ReceiveResult | None = None
    try:
        with transaction.atomic():
            locked = None
            if task is not None:
                locked = (
                    Task.objects.select_for_update()
                    .filter(pk=task.pk, dossier=dossier, status=TaskStatus.OPEN)
                    .first()
                )
                if locked is None:
                    raise ServiceError(
                        _("Choose an open task of this dossier."), code="task_invalid", field="task"
                    )
            result = document_receive(
                dossier=dossier,
                actor=actor,
                filename=filename,
                chunks=chunks,
                source=Source.SHARED,
                category=category,
                keyword=keyword,
                comment=comment,
                shared_into=binder,
            )
            if result.duplicate:
                return result  # nothing shared: the task stays open
            if locked is not None:
                locked.document = result.document
                locked.status = TaskStatus.DONE
                locked.done_at = timezone.now()
                locked.done_by = actor
                locked.save(update_fields=["document", "status", "done_at", "done_by"])
            if profile_for(dossier).notify_client:
                notify_client(document=result.document, kind="shared")
            return result
    except BaseException:
        # The stored file of a document whose row was rolled back goes too.
        if result is not None and not result.duplicate:
            default_storage.delete(result.document.storage_name)
        raise


def profile_update(
    *,
    actor: User,
    dossier: Dossier,
    auto_send: bool,
    require_due_date: bool,
    require_amount: bool,
    pre_validation: bool,
    allowed_categories: list[str],
    email_allow_list: str,
    digest_hours: int,
    notify_client: bool,
    reminder_days: str = "7,1,0",
    reminder_overdue_weekly: bool = True,
) -> ConnectProfile:
    require_accountant(actor, dossier)
    unknown = set(allowed_categories) - set(Category.values)
    if unknown:
        raise ServiceError(
            _("Choose a category."), code="category_invalid", field="allowed_categories"
        )
    lines = [line.strip() for line in email_allow_list.splitlines() if line.strip()]
    for line in lines:
        if " " in line or "@" not in line or len(line) > 254:
            raise ServiceError(
                _("Write one address (name@company.be) or one domain (@company.be) per line."),
                code="allow_list_invalid",
                field="email_allow_list",
            )
    if not 0 <= digest_hours <= 24 * 7:
        raise ServiceError(
            _("Choose between 0 and 168 hours."), code="digest_invalid", field="digest_hours"
        )
    days = [part.strip() for part in (reminder_days or "").split(",") if part.strip()]
    if any(not re.fullmatch(r"[0-9]{1,2}", d) for d in days) or len(days) > 6:
        raise ServiceError(
            _("Write up to 6 numbers of days between 0 and 90, separated by commas."),
            code="reminders_invalid",
            field="reminder_days",
        )
    profile = profile_for(dossier)
    released = profile.pre_validation and not pre_validation
    profile.reminder_days = ",".join(str(d) for d in sorted({int(d) for d in days}, reverse=True))
    profile.reminder_overdue_weekly = reminder_overdue_weekly
    profile.auto_send = auto_send
    profile.require_due_date = require_due_date
    profile.require_amount = require_amount
    profile.pre_validation = pre_validation
    profile.allowed_categories = sorted(set(allowed_categories))
    profile.email_allow_list = "\n".join(lines)
    profile.digest_hours = digest_hours
    profile.notify_client = notify_client
    with transaction.atomic():
        profile.save()
        if released:
            # Documents that waited for validation go on through the pipeline.
            waiting = Document.objects.select_for_update().filter(
                dossier=dossier,
                status=Status.SENT,
                ready_at__isnull=True,
                recognition=Recognition.NONE,
            )
            for document in waiting:
                pipeline_start(document=document, profile=profile)
    return profile
