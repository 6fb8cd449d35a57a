"""The accountant's actions on the pipeline: a document's processing mode, the review queue of
held readings and the facts corrected there or later on the document's page, the retrieval."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connect.documents.profiles import profile_of
from connect.documents.selectors import accountant_dossiers_for
from connect.documents.services.accountant import require_accountant
from connect.documents.services.memory import supplier_memory_review
from connect.documents.services.pipeline import deliver, duplicate_find, pipeline_start
from connect.documents.services.supplier_accounts import supplier_account_record
from connect.facts import FACT_KINDS
from connect.models import (
    RECOGNITION_WAITING,
    Document,
    DocumentEvent,
    EventKind,
    Recognition,
    Source,
    Status,
)
from core.errors import ServiceError
from dossiers.models import ProcessingMode
from dossiers.services import processing_mode_check
from users.models import User

#: The facts an accountant may correct in the review queue, with their kind.
REVIEW_FACTS = {
    key: "text" if kind in ("name", "number") else kind for key, kind in FACT_KINDS.items()
}


def document_mode_set(*, actor: User, document: Document, mode: str) -> Document:
    """The accountant overrides the processing mode of one document not yet retrieved."""

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
        deliver(locked, processing_mode=mode)
        DocumentEvent.objects.create(
            document=locked, actor=actor, kind=EventKind.MODE, note=f"{before} → {mode}"
        )
        if locked.status != Status.DRAFT and not locked.carries_einvoice:
            already_read = locked.recognized is not None
            if mode == ProcessingMode.TRANSPORT or already_read:
                if locked.recognition in RECOGNITION_WAITING or locked.ready_at is None:
                    pipeline_start(
                        document=locked,
                        profile=profile_of(locked.dossier),
                    )
            else:
                pipeline_start(
                    document=locked,
                    profile=profile_of(locked.dossier),
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
        deliver(
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

        supplier_memory_review(
            document=locked, machine=locked.recognized_machine or {}, corrected=corrected
        )
        duplicate = duplicate_find(locked, corrected)
        if duplicate is not None and locked.duplicate_of_id is None:
            deliver(locked, duplicate_of=duplicate)
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
        deliver(
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
            supplier_memory_review(document=locked, machine=machine, corrected=corrected)
        duplicate = duplicate_find(locked, corrected)
        if duplicate is not None and locked.duplicate_of_id is None:
            deliver(locked, duplicate_of=duplicate)
    return locked


def review_queue_for(*, actor: User) -> Any:
    """Documents waiting for the actor's review, across the dossiers they keep as accountant."""
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

    require_accountant(actor, document.dossier)
    with transaction.atomic():
        locked = Document.objects.select_for_update(of=("self",)).get(pk=document.pk)
        if locked.status in (Status.RETRIEVED, Status.BOOKED):
            return locked
        if locked.status not in (Status.SENT, Status.VALIDATED) or locked.ready_at is None:
            raise ServiceError(_("This document is not ready for retrieval."), code="not_ready")
        deliver(locked, status=Status.RETRIEVED, retrieved_at=timezone.now())
        DocumentEvent.objects.create(document=locked, actor=actor, kind=EventKind.RETRIEVED)
    return locked
