"""Receiving a file: the one service every channel (web, e-mail, API) goes through."""

import contextlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connect.documents import antivirus
from connect.documents.files import inspect, refuse, safe_filename, spool
from connect.documents.profiles import profile_of
from connect.documents.selectors import document_visible_to
from connect.documents.services.pipeline import pipeline_start
from connect.documents.services.processing import PROCESS_TASK
from connect.models import (
    Binder,
    Category,
    ConnectProfile,
    Document,
    DocumentEvent,
    EventKind,
    Source,
    Status,
)
from core.errors import ServiceError
from core.queue import enqueue_on_commit
from dossiers.access import require_connect_role
from dossiers.models import LIGHT_MODES, Dossier, ProcessingMode
from users.models import User

logger = logging.getLogger(__name__)

#: What a failing storage raises: a full or read-only disk (OSError), S3 unreachable or
#: refusing (botocore, installed with django-storages[s3]).
STORAGE_ERRORS: tuple[type[Exception], ...] = (OSError, BotoCoreError, ClientError)


@dataclass(frozen=True)
class ReceiveResult:
    document: Document
    #: The same bytes were already in the dossier: nothing new was stored.
    duplicate: bool


def storage_name_for(dossier: Dossier, extension: str) -> str:
    """A generated path: nothing of the sender's file name reaches the storage."""
    now = timezone.now()
    return (
        f"documents/{dossier.firm.public_id}/{dossier.public_id}/"
        f"{now:%Y/%m}/{uuid.uuid4().hex}{extension}"
    )


def document_receive(
    *,
    dossier: Dossier,
    actor: User | None,
    filename: str,
    chunks: Iterable[bytes],
    source: str,
    category: str = Category.PURCHASE_INVOICE,
    keyword: str = "",
    due_date: date | None = None,
    amount: Decimal | None = None,
    paid: bool = False,
    comment: str = "",
    shared_into: Binder | None = None,
    hold: bool = False,
) -> ReceiveResult:
    """Check, store and record one file for ``dossier``. ``actor`` must hold a Connect role on
    it (None: a channel that identified the dossier itself, such as its e-mail address).

    The bytes are spooled to a temporary file (memory stays flat), sniffed and opened with
    limits; the same bytes already in the dossier give back the earlier document. On any
    failure no row and no stored file remain. With a virus scanner set, the bytes are scanned
    before any parser reads them (and an e-invoice's embedded files after it is read).
    ``hold``: the document stays on the client's desk whatever the channel or profile says
    (an e-mail whose sender is not verified)."""
    if actor is not None:
        require_connect_role(
            actor=actor, dossier=dossier, message=_("You cannot send documents to this dossier.")
        )
    profile = profile_of(dossier)
    allowed = profile.categories() if profile else list(Category.values)
    if category not in Category.values or (shared_into is None and category not in allowed):
        raise ServiceError(_("Choose a category."), code="category_invalid", field="category")
    name = safe_filename(filename)
    spooled = spool(chunks, max_size=settings.CONNECT_MAX_UPLOAD_SIZE)
    try:
        context = f"dossier {dossier.pk}, {source}"
        antivirus.scan_or_refuse(spooled.path, context=context)
        info = inspect(spooled, name)
        for embedded in info.embedded:
            antivirus.scan_or_refuse([embedded.content], part=embedded.filename, context=context)
        earlier = _same_bytes(dossier, spooled.sha256)
        if earlier is not None:
            return _duplicate(earlier, actor)
        target = storage_name_for(dossier, info.extension)
        try:
            with spooled.as_file() as content:
                stored = default_storage.save(target, content)
        except STORAGE_ERRORS:
            logger.exception("storage refused a write for dossier %s", dossier.pk)
            with contextlib.suppress(*STORAGE_ERRORS):
                default_storage.delete(target)  # the part a full disk let through
            raise refuse(
                _("The file could not be stored. Nothing was kept: please try again later."),
                "storage_failed",
                503,
            ) from None
        try:
            with transaction.atomic():
                document = Document.objects.create(
                    firm_id=dossier.firm_id,
                    dossier=dossier,
                    filename=name,
                    storage_name=stored,
                    content_type=info.content_type,
                    size=spooled.size,
                    sha256=spooled.sha256,
                    is_ubl=info.is_ubl,
                    embedded_invoice=safe_filename(info.hybrid.name) if info.hybrid.name else "",
                    embedded_invoice_problem=info.hybrid.problem,
                    source=source,
                    status=Status.SHARED if shared_into else Status.DRAFT,
                    binder=shared_into,
                    uploaded_by=actor,
                    category=category,
                    keyword=keyword.strip()[:100],
                    due_date=due_date,
                    amount=amount,
                    paid=paid,
                    comment=comment.strip()[:2000],
                    page_count=info.page_count,
                    processing_mode=mode_for_new_document(
                        dossier.default_processing_mode, dossier.firm.is_light
                    ),
                )
                DocumentEvent.objects.create(
                    document=document,
                    actor=actor,
                    kind=EventKind.SHARED if shared_into else EventKind.RECEIVED,
                    note=source,
                )
                # Uploading is sending: a file that came by e-mail or Peppol goes to the
                # accountant at once (nobody chose to keep it); a web upload is sent by the
                # page unless the client keeps it on the desk, or here when the profile says so.
                sends = source in (Source.EMAIL, Source.PEPPOL) or (profile and profile.auto_send)
                if sends and shared_into is None and not hold:
                    document_send_now(document=document, actor=actor, profile=profile)
                enqueue_on_commit(PROCESS_TASK, document.pk)
        except IntegrityError:
            default_storage.delete(stored)
            earlier = _same_bytes(dossier, spooled.sha256)
            if earlier is None:
                raise
            return _duplicate(earlier, actor)  # a concurrent upload won the race
        except BaseException:
            default_storage.delete(stored)
            raise
        return ReceiveResult(document, duplicate=False)
    finally:
        spooled.remove()


def _same_bytes(dossier: Dossier, sha256: str) -> Document | None:
    """The document of the dossier with these bytes; one the client took back (withdrawn)
    does not count: the same file may come again."""
    return (
        Document.objects.filter(dossier=dossier, sha256=sha256)
        .exclude(status=Status.WITHDRAWN)
        .first()
    )


def _duplicate(earlier: Document, actor: User | None) -> ReceiveResult:
    """The same bytes are already in the dossier. A client's draft stays private: someone who
    may not see it learns only that the file is there."""
    if actor is not None and not document_visible_to(actor, earlier):
        raise refuse(
            _("This file is already in the dossier, on the client's desk."), "duplicate", 409
        )
    return ReceiveResult(earlier, duplicate=True)


def mode_for_new_document(dossier_mode: str, firm_is_light: bool) -> str:
    """A new document takes its dossier's default mode (Transport on a light licence)."""
    if firm_is_light and dossier_mode not in LIGHT_MODES:
        return ProcessingMode.TRANSPORT
    return dossier_mode or ProcessingMode.TRANSPORT


def missing_facts(document: Document, profile: ConnectProfile | None) -> list[str]:
    """The facts the dossier's profile requires before sending that the document lacks."""
    missing = []
    if profile and profile.require_due_date and document.due_date is None:
        missing.append(str(_("due date")))
    if profile and profile.require_amount and document.amount is None:
        missing.append(str(_("amount")))
    return missing


def document_send_now(
    *, document: Document, actor: User | None, profile: ConnectProfile | None
) -> bool:
    """Automatic sending (the profile says so): only when the required facts are there."""
    if missing_facts(document, profile):
        return False
    document.status = Status.SENT
    document.sent_at = timezone.now()
    document.save(update_fields=["status", "sent_at"])
    DocumentEvent.objects.create(document=document, actor=actor, kind=EventKind.SENT)

    pipeline_start(document=document, profile=profile)
    return True
