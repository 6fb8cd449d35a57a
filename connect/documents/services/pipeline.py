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
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connect.documents.services.processing import local_copy
from connect.models import (
    RECOGNITION_WAITING,
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
from core.errors import ServiceError
from core.numbers import as_decimal
from core.queue import enqueue_on_commit
from dossiers.models import Cartouche, ProcessingMode
from dossiers.services import processing_mode_check
from users.models import User

logger = logging.getLogger(__name__)

#: Longer than the recognition task's time limit (600 s): a run older than this is dead.
RECOGNITION_LEASE = timedelta(minutes=11)

#: The facts an accountant may correct in the review queue, with their kind.
REVIEW_FACTS = {
    "supplier_name": "text",
    "supplier_vat": "vat",
    "invoice_number": "text",
    "issue_date": "date",
    "due_date": "date",
    "total_excl_vat": "amount",
    "total_vat": "amount",
    "total_incl_vat": "amount",
    "payable_amount": "amount",
    "currency": "currency",
    "iban": "iban",
    "structured_reference": "reference",
}


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
            _deliver(document, duplicate_of=duplicate)
    elif document.carries_einvoice or document.processing_mode != ProcessingMode.TRANSPORT:
        document.recognition, document.ready_at = Recognition.PENDING, None
        # A new reading: its own attempts and lease.
        Document.objects.filter(pk=document.pk).update(
            recognition_attempts=0, recognition_queued_at=now, recognition_started_at=None
        )
        from connect.tasks import document_recognise

        enqueue_on_commit(document_recognise, document.pk)
    else:
        document.recognition, document.ready_at = Recognition.NONE, now
    Document.objects.filter(pk=document.pk).update(
        recognition=document.recognition, ready_at=document.ready_at
    )


# --- the worker's step -----------------------------------------------------------------------


def _deliver(document: Document, **fields: Any) -> None:
    Document.objects.filter(pk=document.pk).update(**fields)
    for name, value in fields.items():
        setattr(document, name, value)


def supplier_account_record(*, document: Document, facts: dict[str, Any]) -> None:
    """Each IBAN read is recorded for its supplier (services/supplier_accounts.py)."""
    from connect.documents.services.supplier_accounts import supplier_account_record as record

    record(document=document, facts=facts)


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
            _deliver(document, recognition=Recognition.FAILED, ready_at=timezone.now())
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
        _deliver(document, recognition=Recognition.NONE, ready_at=timezone.now())
        return document
    if not _credit_available(document):
        return _fallback(document)
    from connect.recognition import RecognitionError, recognise_file

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
            _deliver(document, recognition=Recognition.FAILED, ready_at=timezone.now())
        else:  # the lease is given back: the sweeper tries again
            _deliver(document, recognition_started_at=None)
        return document
    from connect.documents.services.memory import supplier_memory_recall, supplier_memory_used

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
        _deliver(
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
    from connect.einvoice import EInvoiceError

    try:
        einvoice_read(document)
    except (EInvoiceError, OSError) as exc:
        logger.warning("e-invoice %s could not be read: %s", document.pk, exc)
        _deliver(document, recognition=Recognition.FAILED, ready_at=timezone.now())
        return document
    _deliver(document, recognition=Recognition.DONE, ready_at=timezone.now())
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
        _deliver(document, recognition=Recognition.FALLBACK, ready_at=timezone.now())
        DocumentEvent.objects.create(
            document=document, kind=EventKind.RECOGNISED, note="no credit: transport"
        )
        told = Cartouche.objects.filter(
            firm_id=document.firm_id,
            mode=document.processing_mode,
            exhausted_notified_at__isnull=True,
        ).update(exhausted_notified_at=timezone.now())
        if told:
            from connect.documents.notifications import notify_credits_exhausted

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
    from connect.einvoice import EInvoiceError, parse
    from connect.einvoice.compare import disagreements
    from connect.einvoice.pdf import embedded_invoice_of
    from connect.recognition import extract_text, recognise_text

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
    from connect.einvoice.stored import preview_dump

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
        _deliver(locked, **updates)
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
    from connect.documents.files import safe_filename

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
        _deliver(document, duplicate_of=duplicate)


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


# --- the accountant's actions ----------------------------------------------------------------


def document_mode_set(*, actor: User, document: Document, mode: str) -> Document:
    """The accountant overrides the processing mode of one document not yet retrieved."""
    from connect.documents.services.accountant import require_accountant

    require_accountant(actor, document.dossier)
    processing_mode_check(document.dossier.firm, mode, field="processing_mode")
    with transaction.atomic():
        locked = Document.objects.select_for_update(of=("self",)).get(pk=document.pk)
        if locked.status not in (Status.DRAFT, Status.SENT, Status.VALIDATED) or (
            locked.source == Source.SHARED
        ):
            raise ServiceError(
                _("The processing mode can no longer be changed for this document."),
                code="state",
            )
        if locked.processing_mode == mode:
            return locked
        before = locked.processing_mode
        _deliver(locked, processing_mode=mode)
        DocumentEvent.objects.create(
            document=locked, actor=actor, kind=EventKind.MODE, note=f"{before} → {mode}"
        )
        if locked.status != Status.DRAFT and not locked.carries_einvoice:
            already_read = locked.recognized is not None
            if mode == ProcessingMode.TRANSPORT or already_read:
                if locked.recognition in RECOGNITION_WAITING or locked.ready_at is None:
                    pipeline_start(
                        document=locked,
                        profile=ConnectProfile.objects.filter(dossier=locked.dossier).first(),
                    )
            else:
                pipeline_start(
                    document=locked,
                    profile=ConnectProfile.objects.filter(dossier=locked.dossier).first(),
                )
    return locked


def _clean_fact(key: str, kind: str, value: str) -> str | None:
    from stdnum import iban as stdnum_iban
    from stdnum.be import ogm_vcs
    from stdnum.eu import vat

    value = (value or "").strip()
    if not value:
        return None
    errors = {
        "vat": _("Enter a valid VAT number (for example BE0123456749)."),
        "iban": _("Enter a valid IBAN."),
        "reference": _("Enter a valid structured communication (+++123/4567/89002+++)."),
        "date": _("Enter a valid date."),
        "amount": _("Enter an amount (for example 1234.56)."),
        "currency": _("Enter a currency code (for example EUR)."),
    }
    try:
        if kind == "vat":
            compact = vat.compact(value)
            if not vat.is_valid(compact):
                raise ValueError
            return compact
        if kind == "iban":
            # The IBAN checksum (mod 97); some real Belgian accounts fail stdnum's national check.
            return stdnum_iban.validate(value, check_country=False)
        if kind == "reference":
            return "+++" + ogm_vcs.format(ogm_vcs.validate(value)).strip("+") + "+++"
        if kind == "date":
            from datetime import date

            return date.fromisoformat(value).isoformat()
        if kind == "amount":
            amount = Decimal(value.replace(",", "."))
            if not amount.is_finite() or abs(amount) >= Decimal("1e12"):
                raise ValueError
            return str(amount.quantize(Decimal("0.01")))
        if kind == "currency":
            if len(value) != 3 or not value.isalpha():
                raise ValueError
            return value.upper()
    except Exception:  # stdnum raises its own ValidationError; all mean "not valid"
        raise ServiceError(errors[kind], code="fact_invalid", field=key) from None
    return value[:200]


def _clean_facts(facts: dict[str, str]) -> dict[str, Any]:
    """Every fact the accountant may correct, checked (a VAT number, an IBAN and a structured
    communication by their checksums) before anything is written."""
    return {key: _clean_fact(key, kind, facts.get(key, "")) for key, kind in REVIEW_FACTS.items()}


def document_review(*, actor: User, document: Document, facts: dict[str, str]) -> Document:
    """Optimum: the accountant corrects a doubtful reading; what the machine read is kept, the
    corrected facts are delivered and the document becomes new for retrieval."""
    from connect.documents.services.accountant import require_accountant

    require_accountant(actor, document.dossier)
    cleaned = _clean_facts(facts)
    with transaction.atomic():
        locked = Document.objects.select_for_update(of=("self",)).get(pk=document.pk)
        if locked.recognition != Recognition.REVIEW:
            raise ServiceError(_("This document is not waiting for review."), code="state")
        corrected = dict(locked.recognized or {})
        changed = [key for key in REVIEW_FACTS if corrected.get(key) != cleaned[key]]
        corrected.update(cleaned)
        corrected["confidence"] = "1.00"
        corrected["reviewed"] = True
        _deliver(
            locked,
            recognized=corrected,
            recognition=Recognition.DONE,
            reviewed_by=actor,
            reviewed_at=timezone.now(),
            ready_at=timezone.now(),
        )
        DocumentEvent.objects.create(
            document=locked, actor=actor, kind=EventKind.REVIEWED, note=", ".join(changed)[:500]
        )
        supplier_account_record(document=locked, facts=corrected)
        from connect.documents.services.memory import supplier_memory_review

        supplier_memory_review(
            document=locked, machine=locked.recognized_machine or {}, corrected=corrected
        )
        duplicate = duplicate_find(locked, corrected)
        if duplicate is not None and locked.duplicate_of_id is None:
            _deliver(locked, duplicate_of=duplicate)
    return locked


#: The statuses in which the accountant may correct the facts read from a document: sent to
#: them and not closed (booked) or taken back by the client (withdrawn).
CORRECTABLE = (Status.SENT, Status.VALIDATED, Status.RETRIEVED, Status.REJECTED)


def facts_correctable(document: Document) -> bool:
    """Whether the facts read from ``document`` may be corrected now (by its accountant): sent
    to them, not booked or withdrawn, not being read, not waiting for review (the review
    queue's form corrects those and delivers the document)."""
    return (
        document.source != Source.SHARED
        and document.sent_at is not None
        and document.status in CORRECTABLE
        and document.recognition not in (Recognition.PENDING, Recognition.REVIEW)
    )


def _refuse_correction(document: Document) -> None:
    if facts_correctable(document):
        return
    if document.status == Status.BOOKED:
        message = _("This document is booked: its facts can no longer be corrected.")
    elif document.status == Status.WITHDRAWN:
        message = _("The client withdrew this document: its facts can no longer be corrected.")
    elif document.recognition == Recognition.PENDING and document.sent_at is not None:
        message = _("This document is being read: correct its facts once the reading is done.")
    elif document.recognition == Recognition.REVIEW:
        message = _("This document waits for review: correct its facts in the review form.")
    else:
        message = _("The facts of this document cannot be corrected.")
    raise ServiceError(message, code="state")


def document_correct_facts(*, actor: User, document: Document, facts: dict[str, str]) -> Document:
    """The dossier's accountant corrects the facts read from a document sent to them, in any
    processing mode, until it is booked. Every fact is checked as in the review
    (``document_review``) before anything is written; the machine's first reading is kept
    (``recognized_machine``); a corrected fact counts as certain and no longer as remembered;
    who corrected and when is recorded, with an event naming the facts changed. The first
    correction tells the supplier memory what held and what missed, as a review does. The
    document's place in the retrieval queue does not change."""
    from connect.documents.services.accountant import require_accountant

    require_accountant(actor, document.dossier)
    cleaned = _clean_facts(facts)
    with transaction.atomic():
        locked = Document.objects.select_for_update(of=("self",)).get(pk=document.pk)
        _refuse_correction(locked)
        before = dict(locked.recognized or {})
        changed = [key for key in REVIEW_FACTS if before.get(key) != cleaned[key]]
        if not changed:
            return locked
        corrected = before | cleaned
        confidences = dict(before.get("confidences") or {})
        confidences.update(dict.fromkeys(changed, "1.00"))
        corrected["confidences"] = confidences
        if before.get("remembered"):
            corrected["remembered"] = [k for k in before["remembered"] if k not in changed]
        corrected["corrected"] = True
        first = locked.reviewed_at is None
        machine = locked.recognized_machine if locked.recognized_machine is not None else before
        _deliver(
            locked,
            recognized=corrected,
            recognized_machine=machine,
            reviewed_by=actor,
            reviewed_at=timezone.now(),
        )
        DocumentEvent.objects.create(
            document=locked, actor=actor, kind=EventKind.REVIEWED, note=", ".join(changed)[:500]
        )
        supplier_account_record(document=locked, facts=corrected)
        if first:
            from connect.documents.services.memory import supplier_memory_review

            supplier_memory_review(document=locked, machine=machine, corrected=corrected)
        duplicate = duplicate_find(locked, corrected)
        if duplicate is not None and locked.duplicate_of_id is None:
            _deliver(locked, duplicate_of=duplicate)
    return locked


def review_queue_for(*, actor: User) -> Any:
    """Documents waiting for the actor's review, across the dossiers they keep as accountant."""
    from connect.documents.selectors import accountant_dossiers_for

    return (
        Document.objects.filter(
            dossier__in=accountant_dossiers_for(actor=actor).values("id"),
            recognition=Recognition.REVIEW,
        )
        .filter(Q(status__in=(Status.SENT, Status.VALIDATED)))
        .select_related("dossier")
        .order_by("sent_at", "id")
    )


def document_retrieved(*, actor: User, document: Document) -> Document:
    """The accountant's desktop tool took the document. Idempotent: asking twice answers the
    same state."""
    from connect.documents.services.accountant import require_accountant

    require_accountant(actor, document.dossier)
    with transaction.atomic():
        locked = Document.objects.select_for_update(of=("self",)).get(pk=document.pk)
        if locked.status in (Status.RETRIEVED, Status.BOOKED):
            return locked
        if locked.status not in (Status.SENT, Status.VALIDATED) or locked.ready_at is None:
            raise ServiceError(_("This document is not ready for retrieval."), code="not_ready")
        _deliver(locked, status=Status.RETRIEVED, retrieved_at=timezone.now())
        DocumentEvent.objects.create(document=locked, actor=actor, kind=EventKind.RETRIEVED)
    return locked
