"""The processing modes after sending: Transport delivers the file at once; Premium reads the
invoice facts first (one credit of the firm's Premium cartouche); Optimum also holds back a
doubtful reading for the accountant to correct. An e-invoice (a UBL or CII file, or a PDF that
carries one: Factur-X, ZUGFeRD, XRechnung, Odoo) is read from its XML, whatever the mode, and
consumes no credit.

A document becomes "new" for retrieval when ``ready_at`` is set. Credits are taken in the
transaction that stores the facts, and the ledger holds one row per document at most, so a
worker killed mid-recognition consumes nothing and the next attempt consumes one."""

import dataclasses
import hashlib
import logging
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connect.documents.files import safe_filename
from connect.documents.notifications import notify_credits_exhausted
from connect.documents.services.memory import supplier_memory_recall, supplier_memory_used
from connect.documents.services.supplier_accounts import supplier_account_record
from connect.documents.storage import local_copy
from connect.einvoice import EInvoiceError, parse
from connect.einvoice.compare import disagreements
from connect.einvoice.pdf import embedded_invoice_of
from connect.einvoice.stored import preview_dump
from connect.models import (
    Category,
    ConnectProfile,
    CreditUse,
    Document,
    DocumentAttachment,
    DocumentEvent,
    DocumentText,
    EventKind,
    Recognition,
    Source,
    Status,
)
from connect.recognition import RecognitionError, extract_text, recognise_file, recognise_text
from core.numbers import as_decimal
from core.queue import enqueue_on_commit
from dossiers.models import Cartouche, ProcessingMode

logger = logging.getLogger(__name__)

#: The reading task's Celery name (``connect.tasks.document_recognise``), run after commit.
RECOGNISE_TASK = "connect.tasks.document_recognise"

#: Longer than the recognition task's time limit (600 s): a run older than this is dead.
RECOGNITION_LEASE = timedelta(minutes=11)


# --- starting the pipeline (in the transaction that sends or validates) ----------------------


def pipeline_start(*, document: Document, profile: ConnectProfile | None) -> None:
    """Called when a document leaves the desk (sent) or is validated. With pre-validation, a
    sent document waits for the accountant before anything is read."""
    if document.source == Source.SHARED:
        return
    now = timezone.now()
    if profile is not None and profile.pre_validation and document.status == Status.SENT:
        document.recognition, document.ready_at = Recognition.NONE, None
    elif document.carries_einvoice and document.recognized:
        document.recognition, document.ready_at = Recognition.DONE, now
        duplicate = duplicate_find(document, document.recognized)
        if duplicate is not None and document.duplicate_of_id is None:
            deliver(document, duplicate_of=duplicate)
    elif document.carries_einvoice or document.processing_mode != ProcessingMode.TRANSPORT:
        document.recognition, document.ready_at = Recognition.PENDING, None
        # A new reading: its own attempts and lease.
        Document.objects.filter(pk=document.pk).update(
            recognition_attempts=0, recognition_queued_at=now, recognition_started_at=None
        )
        enqueue_on_commit(RECOGNISE_TASK, document.pk)
    else:
        document.recognition, document.ready_at = Recognition.NONE, now
    Document.objects.filter(pk=document.pk).update(
        recognition=document.recognition, ready_at=document.ready_at
    )


# --- the worker's step -----------------------------------------------------------------------


def deliver(document: Document, **fields: Any) -> None:
    """Set these fields of the document, in the database and on the instance."""
    Document.objects.filter(pk=document.pk).update(**fields)
    for name, value in fields.items():
        setattr(document, name, value)


def document_recognise(*, document_id: int) -> Document | None:
    """Read the facts of a sent document according to its processing mode. Safe to run twice:
    only a document still ``pending`` is read."""
    max_attempts = settings.CONNECT_PROCESSING_MAX_ATTEMPTS
    with transaction.atomic():
        document = (
            Document.objects.select_for_update(of=("self",))
            .select_related("dossier__firm")
            .filter(pk=document_id)
            .first()
        )
        if document is None or document.recognition != Recognition.PENDING:
            return document
        now = timezone.now()
        started = document.recognition_started_at
        if started is not None and now - started < RECOGNITION_LEASE:
            return document  # another worker is reading it (a message delivered twice)
        if document.recognition_attempts >= max_attempts:
            # It kept failing (or killing the worker): deliver the file as it is.
            deliver(document, recognition=Recognition.FAILED, ready_at=timezone.now())
            DocumentEvent.objects.create(
                document=document, kind=EventKind.RECOGNISED, note="failed"
            )
            return document
        document.recognition_attempts = F("recognition_attempts") + 1
        document.recognition_started_at = now
        document.save(update_fields=["recognition_attempts", "recognition_started_at"])
    document.refresh_from_db()
    if document.carries_einvoice:
        return _recognise_einvoice(document)
    if document.processing_mode == ProcessingMode.TRANSPORT:
        deliver(document, recognition=Recognition.NONE, ready_at=timezone.now())
        return document
    if not _credit_available(document):
        return _fallback(document)

    try:
        with tempfile.TemporaryDirectory(prefix="portal-recognise-") as workdir:
            result = recognise_file(
                local_copy(document, Path(workdir)),
                document.content_type,
                not_supplier=_own_vat_numbers(document),
            )
    except (RecognitionError, OSError) as exc:
        logger.warning("recognition of document %s failed: %s", document.pk, exc)
        if document.recognition_attempts >= max_attempts:
            deliver(document, recognition=Recognition.FAILED, ready_at=timezone.now())
        else:  # the lease is given back: the sweeper tries again
            deliver(document, recognition_started_at=None)
        return document

    # The firm's memory of the supplier is read first (docs/recognition-memory.md).
    recalled = supplier_memory_recall(firm_id=document.firm_id, recognition=result)
    if recalled is not None:
        result = recalled.recognition
    facts = result.as_json()
    machine = facts
    if recalled is not None:
        facts["remembered"] = list(recalled.keys)
        machine = facts | {"memory": str(recalled.memory.public_id)}
    with transaction.atomic():
        locked = Document.objects.select_for_update(of=("self",)).get(pk=document.pk)
        if locked.recognition != Recognition.PENDING:
            return locked
        if not _credit_take(locked):
            return _fallback(locked)
        if recalled is not None:
            supplier_memory_used(recalled=recalled)
        needs_review = locked.processing_mode == ProcessingMode.OPTIMUM and Decimal(
            facts["confidence"]
        ) < Decimal(str(settings.CONNECT_REVIEW_THRESHOLD))
        _store_facts(
            locked, facts, text=result.text, method=result.method, language=result.language
        )
        deliver(
            locked,
            recognized=facts,
            recognized_machine=machine,
            recognition=Recognition.REVIEW if needs_review else Recognition.DONE,
            ready_at=None if needs_review else timezone.now(),
        )
        supplier_account_record(document=locked, facts=facts)
        DocumentEvent.objects.create(
            document=locked,
            kind=EventKind.RECOGNISED,
            note=f"{result.method} {facts['confidence']}" + (" review" if needs_review else ""),
        )
    return locked


def _own_vat_numbers(document: Document) -> frozenset[str]:
    """On what the client company buys, its own VAT number is the customer's, never the
    supplier's (on a sales invoice it is the supplier's: nothing is excluded)."""
    number = document.dossier.enterprise_number
    if not number or document.category == Category.SALES_INVOICE:
        return frozenset()
    return frozenset({f"BE{number}"})


def _recognise_einvoice(document: Document) -> Document:
    try:
        einvoice_read(document)
    except (EInvoiceError, OSError) as exc:
        logger.warning("e-invoice %s could not be read: %s", document.pk, exc)
        deliver(document, recognition=Recognition.FAILED, ready_at=timezone.now())
        return document
    deliver(document, recognition=Recognition.DONE, ready_at=timezone.now())
    return document


def _credit_available(document: Document) -> bool:
    if CreditUse.objects.filter(document=document).exists():
        return True
    return Cartouche.objects.filter(
        firm_id=document.firm_id, mode=document.processing_mode, credits__gt=0
    ).exists()


def _credit_take(document: Document) -> bool:
    """Take one credit for ``document`` (inside the caller's transaction); True when it holds
    one (taken now, or earlier)."""
    if CreditUse.objects.filter(document=document).exists():
        return True
    taken = Cartouche.objects.filter(
        firm_id=document.firm_id, mode=document.processing_mode, credits__gt=0
    ).update(credits=F("credits") - 1)
    if not taken:
        return False
    CreditUse.objects.create(
        firm_id=document.firm_id,
        mode=document.processing_mode,
        document=document,
        dossier_id=document.dossier_id,
        user=document.uploaded_by,
    )
    return True


def _fallback(document: Document) -> Document:
    """No credit left: the document goes out as Transport; the licence admins are told once
    (until credits are added)."""
    with transaction.atomic():
        deliver(document, recognition=Recognition.FALLBACK, ready_at=timezone.now())
        DocumentEvent.objects.create(
            document=document, kind=EventKind.RECOGNISED, note="no credit: transport"
        )
        told = Cartouche.objects.filter(
            firm_id=document.firm_id,
            mode=document.processing_mode,
            exhausted_notified_at__isnull=True,
        ).update(exhausted_notified_at=timezone.now())
        if told:
            notify_credits_exhausted(firm=document.firm, mode=document.processing_mode)
    return document


def credits_add(*, firm_id: int, mode: str, credits: int) -> Cartouche:
    """The operator tops up a cartouche: the next exhaustion is told again."""
    with transaction.atomic():
        cartouche = Cartouche.objects.select_for_update().get(firm_id=firm_id, mode=mode)
        cartouche.credits = F("credits") + credits
        cartouche.exhausted_notified_at = None
        cartouche.save(update_fields=["credits", "exhausted_notified_at"])
    cartouche.refresh_from_db()
    return cartouche


# --- e-invoices ------------------------------------------------------------------------------


def _einvoice_of(document: Document) -> tuple[Any, dict[str, Any], str]:
    """The e-invoice, its facts and the text to search: from the XML file itself, or from the
    XML a PDF carries (then the page's text layer is searched, and compared with the XML)."""
    if document.is_ubl:
        with default_storage.open(document.storage_name, "rb") as handle:
            invoice = parse(handle.read(settings.CONNECT_MAX_UPLOAD_SIZE + 1))
        return invoice, invoice.facts(), _einvoice_text(invoice)
    with tempfile.TemporaryDirectory(prefix="portal-einvoice-") as workdir:
        path = local_copy(document, Path(workdir))
        embedded = embedded_invoice_of(path)
        if embedded.invoice is None:
            raise EInvoiceError(_("The e-invoice inside the PDF could not be read."), "embedded")
        # The documents a Factur-X carries beside its XML are kept like the XML's own.
        invoice = dataclasses.replace(
            embedded.invoice, attachments=(*embedded.invoice.attachments, *embedded.attachments)
        )
        text, _method = extract_text(path, document.content_type, ocr=False)
    facts = invoice.facts(embedded=True)
    page = recognise_text(text) if text.strip() else None
    found = disagreements(
        facts,
        text,
        {key: (fact.value, fact.confidence) for key, fact in page.facts.items()} if page else {},
    )
    if found:
        facts["disagreements"] = found
        failed = facts["checks_failed"]
        facts["checks_failed"] = [*(failed if isinstance(failed, list) else []), "pdf_disagrees"]
    return invoice, facts, text or _einvoice_text(invoice)


def _einvoice_text(invoice: Any) -> str:
    return "\n".join(
        str(part)
        for part in (
            invoice.supplier.name,
            invoice.customer.name,
            invoice.invoice_number,
            *(line.description for line in invoice.lines),
            *invoice.notes,
        )
        if part
    )


def einvoice_read(document: Document) -> dict[str, Any]:
    """Read an e-invoice's facts and embedded files from its XML (exact, no credit), fill the
    facts the client left empty, and flag the same invoice received by another channel."""
    invoice, facts, text = _einvoice_of(document)
    # What the document page shows (its attachments are those of the XML and of the PDF).
    preview = preview_dump(invoice)
    with transaction.atomic():
        locked = Document.objects.select_for_update(of=("self",)).get(pk=document.pk)
        if not locked.attachments.exists():
            for attachment in invoice.attachments:
                _attachment_store(locked, attachment)
        # "ubl" or "cii" for an XML file; "text" for a PDF's text layer beside its XML.
        method = invoice.syntax if locked.is_ubl else "text"
        _store_facts(locked, facts, text=text, method=method, language="")
        updates: dict[str, Any] = {"recognized": facts, "einvoice_preview": preview}
        if locked.amount is None and invoice.payable_amount is not None:
            updates["amount"] = invoice.payable_amount
        if locked.due_date is None and invoice.due_date is not None:
            updates["due_date"] = invoice.due_date
        if invoice.currency:
            updates["currency"] = invoice.currency[:3]
        if invoice.document_type == "credit_note" and locked.category == "purchase_invoice":
            updates["category"] = "credit_note"  # the default category, not the sender's choice
        deliver(locked, **updates)
        document.recognized = facts
        supplier_account_record(document=locked, facts=facts)
    return facts


def _attachment_store(document: Document, attachment: Any) -> DocumentAttachment:
    content: bytes = attachment.content
    name = default_storage.save(
        f"attachments/{document.firm.public_id}/{document.public_id}/"
        f"{hashlib.sha256(content).hexdigest()[:16]}.bin",
        ContentFile(content),
    )

    return DocumentAttachment.objects.create(
        document=document,
        filename=safe_filename(attachment.filename or "attachment"),
        storage_name=name,
        declared_type=attachment.declared_type[:100],
        content_type=attachment.sniffed_type[:100],
        type_matches=attachment.type_matches,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


# --- facts, duplicates and text --------------------------------------------------------------


def _store_facts(
    document: Document, facts: dict[str, Any], *, text: str, method: str, language: str | None
) -> None:
    DocumentText.objects.update_or_create(
        document=document,
        defaults={"text": text[:200_000], "method": method, "language": language or ""},
    )
    duplicate = duplicate_find(document, facts)
    if duplicate is not None and document.duplicate_of_id is None:
        deliver(document, duplicate_of=duplicate)


def duplicate_find(document: Document, facts: dict[str, Any]) -> Document | None:
    """The same invoice received earlier in the dossier by another channel: the same supplier
    VAT number, invoice number and total."""
    vat, number = facts.get("supplier_vat"), facts.get("invoice_number")
    total = as_decimal(facts.get("payable_amount")) or as_decimal(facts.get("total_incl_vat"))
    if not vat or not number or total is None:
        return None
    candidates = (
        Document.objects.filter(
            dossier_id=document.dossier_id,
            recognized__supplier_vat=vat,
            recognized__invoice_number=number,
        )
        .exclude(pk=document.pk)
        # A client's desk is private until sent; what the client took back is no invoice.
        .exclude(status__in=(Status.DRAFT, Status.WITHDRAWN))
        .order_by("uploaded_at", "id")
    )
    for candidate in candidates:
        facts_seen = candidate.recognized or {}
        seen = as_decimal(facts_seen.get("payable_amount")) or as_decimal(
            facts_seen.get("total_incl_vat")
        )
        if seen == total:
            return candidate
    return None
