"""The supplier memory of a firm (issue 13, part 4; docs/recognition-memory.md).

- **Learn**: when the accountant corrects facts in the review queue, the review enqueues
  ``supplier_memory_learn`` after commit; the task reads the document's words again from the
  stored file and remembers, for the supplier (VAT number, else IBAN, else name) and the
  dossier's firm, where each corrected value stood (``recognition.memory.learn``).
- **Recall**: when a document of that supplier is read, ``supplier_memory_recall`` reads the
  remembered places first (``recognition.memory.apply``); ``supplier_memory_used`` counts the
  use in the transaction that stores the facts.
- **Confirm**: when a document read with the memory is reviewed, each remembered fact the
  accountant left as it was *held*, each one they changed *missed*
  (``supplier_memory_review``), and the memory's confidence follows.
- **Forget**: the firm's accountants delete a supplier's memory (``supplier_memory_forget``).
"""

import dataclasses
import logging
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connect.documents.selectors import supplier_memory_firms_for
from connect.documents.storage import local_copy
from connect.facts import FACT_KEYS
from connect.models import (
    Document,
    DocumentEvent,
    EventKind,
    RememberedFact,
    SupplierMemory,
)
from connect.recognition import Recognition, RecognitionError, words_of
from connect.recognition.facts import overall_confidence
from connect.recognition.labels import LEGAL_FORM
from connect.recognition.layout import fold
from connect.recognition.memory import Placement, apply, learn, recall
from core.errors import ServiceError
from core.queue import enqueue_on_commit
from users.models import User

logger = logging.getLogger(__name__)

#: The learning task's Celery name (``connect.tasks.supplier_memory_learn``), run after commit.
LEARN_TASK = "connect.tasks.supplier_memory_learn"


# --- who the supplier is -----------------------------------------------------------------------


@dataclass(frozen=True)
class Supplier:
    key: str
    name: str
    vat: str
    iban: str


def name_key(name: str) -> str:
    """A supplier's name as it is compared: folded, legal form and punctuation dropped."""
    text = LEGAL_FORM.sub(" ", fold(name).replace(".", ""))
    return " ".join(re.findall(r"[a-z0-9]+", text))[:200]


def supplier_of(facts: Mapping[str, Any]) -> Supplier | None:
    """The supplier of a reading: its VAT number, else its IBAN, else its name."""
    vat = str(facts.get("supplier_vat") or "").upper()
    iban = str(facts.get("iban") or "").upper()
    name = str(facts.get("supplier_name") or "")[:200]
    if vat:
        key = f"vat:{vat}"
    elif iban:
        key = f"iban:{iban}"
    elif name_key(name):
        key = f"name:{name_key(name)}"
    else:
        return None
    return Supplier(key=key[:250], name=name, vat=vat[:20], iban=iban[:40])


def _memory_find(firm_id: int, facts: Mapping[str, Any]) -> SupplierMemory | None:
    """The firm's memory of the supplier a reading names: by its VAT number first, then its
    IBAN (a supplier remembered by VAT number is found by its IBAN too), then its name."""
    vat = str(facts.get("supplier_vat") or "").upper()
    iban = str(facts.get("iban") or "").upper()
    name = name_key(str(facts.get("supplier_name") or ""))
    keys = {f"vat:{vat}": 0} if vat else {}
    if iban:
        keys[f"iban:{iban}"] = 1
    if name:
        keys[f"name:{name}"] = 3
    if not keys:
        return None
    condition = Q(key__in=list(keys))
    if iban:
        condition |= Q(iban=iban)
    found = list(SupplierMemory.objects.filter(condition, firm_id=firm_id)[:5])
    if not found:
        return None

    def rank(memory: SupplierMemory) -> int:
        if memory.key in keys:
            return keys[memory.key]
        return 2  # the same IBAN, remembered under its VAT number

    # A memory under another VAT number than the one read is another supplier.
    found = [m for m in found if not (vat and m.vat and m.vat != vat)]
    return min(found, key=rank) if found else None


# --- recall, at recognition ------------------------------------------------------------------


@dataclass(frozen=True)
class Recalled:
    """A reading with the memory's facts put first, and which facts came from it."""

    recognition: Recognition
    memory: SupplierMemory
    keys: tuple[str, ...]


def supplier_memory_recall(*, firm_id: int, recognition: Recognition) -> Recalled | None:
    """Read the firm's memory of the document's supplier on its words and put its facts first
    (``recognition.memory.recall``). Reads only: ``supplier_memory_used`` counts the use."""
    if not recognition.words:
        return None
    facts = {key: fact.value for key, fact in recognition.facts.items()}
    memory = _memory_find(firm_id, facts)
    if memory is None:
        return None
    rows = list(memory.facts.all())
    remembered = apply(list(recognition.words), [row.placement() for row in rows])
    if not remembered:
        return None
    merged = recall(recognition.facts, remembered)
    return Recalled(
        recognition=dataclasses.replace(
            recognition, facts=merged, confidence=overall_confidence(merged)
        ),
        memory=memory,
        keys=tuple(sorted(remembered)),
    )


def supplier_memory_used(*, recalled: Recalled) -> None:
    """Count one use of each remembered fact (in the transaction that stores the facts)."""
    RememberedFact.objects.filter(memory=recalled.memory, fact__in=recalled.keys).update(
        used=F("used") + 1
    )
    SupplierMemory.objects.filter(pk=recalled.memory.pk).update(last_used_at=timezone.now())


# --- review: confirm, and learn --------------------------------------------------------------


def supplier_memory_review(
    *, document: Document, machine: Mapping[str, Any], corrected: Mapping[str, Any]
) -> None:
    """In the review's transaction: each fact the memory gave either held (the accountant left
    it) or missed (they changed it); when facts were corrected, learning is enqueued."""
    remembered = machine.get("remembered") or []
    memory_id = machine.get("memory")
    if memory_id and remembered:
        held = [key for key in remembered if corrected.get(key) == machine.get(key)]
        missed = [key for key in remembered if key not in held]
        facts = RememberedFact.objects.filter(
            memory__public_id=memory_id, memory__firm_id=document.firm_id
        )
        if held:
            facts.filter(fact__in=held).update(held=F("held") + 1)
        if missed:
            facts.filter(fact__in=missed).update(missed=F("missed") + 1)
    if _corrections(machine, corrected) and supplier_of(corrected) is not None:
        enqueue_on_commit(LEARN_TASK, document.pk)


def _corrections(machine: Mapping[str, Any], corrected: Mapping[str, Any]) -> list[str]:
    """The facts the accountant gave a value that the machine did not read."""
    return [
        key
        for key in FACT_KEYS  # the facts the accountant corrects in the review queue
        if corrected.get(key) not in (None, "") and corrected.get(key) != machine.get(key)
    ]


def _words_of(document: Document) -> list[Any]:
    try:
        with tempfile.TemporaryDirectory(prefix="portal-memory-") as workdir:
            words, _method = words_of(
                local_copy(document, Path(workdir)), document.content_type, ocr=True
            )
    except (RecognitionError, OSError) as exc:
        logger.warning("words of document %s could not be read: %s", document.pk, exc)
        return []
    return words


def supplier_memory_learn(*, document_id: int) -> SupplierMemory | None:
    """Remember where the facts the accountant corrected stood on a reviewed document, for its
    supplier and its dossier's firm. Idempotent: a document teaches once (its ``remembered``
    event)."""
    document = Document.objects.filter(pk=document_id, reviewed_at__isnull=False).first()
    if document is None or document.carries_einvoice:
        return None
    if DocumentEvent.objects.filter(document=document, kind=EventKind.REMEMBERED).exists():
        return None
    corrected = document.recognized or {}
    keys = _corrections(document.recognized_machine or {}, corrected)
    supplier = supplier_of(corrected)
    if not keys or supplier is None:
        return None
    words = _words_of(document)  # outside the transaction: OCR may take a while
    placements = {key: learn(words, key, str(corrected[key])) for key in keys}
    learned = {key: placement for key, placement in placements.items() if placement is not None}
    with transaction.atomic():
        locked = Document.objects.select_for_update(of=("self",)).get(pk=document.pk)
        if DocumentEvent.objects.filter(document=locked, kind=EventKind.REMEMBERED).exists():
            return None
        memory = _memory_for(locked.firm_id, supplier) if learned else None
        if memory is not None:
            for key, placement in learned.items():
                _fact_learn(memory, key, placement)
        DocumentEvent.objects.create(
            document=locked,
            kind=EventKind.REMEMBERED,
            note=", ".join(sorted(learned))[:500],
        )
    return memory


def _memory_for(firm_id: int, supplier: Supplier) -> SupplierMemory:
    """The firm's memory of ``supplier``, locked; made when there is none."""
    memory = (
        SupplierMemory.objects.select_for_update().filter(firm_id=firm_id, key=supplier.key).first()
    )
    if memory is None:
        try:
            with transaction.atomic():
                memory = SupplierMemory.objects.create(
                    firm_id=firm_id,
                    key=supplier.key,
                    name=supplier.name,
                    vat=supplier.vat,
                    iban=supplier.iban,
                )
        except IntegrityError:  # made meanwhile by another review of the same supplier
            memory = SupplierMemory.objects.select_for_update().get(
                firm_id=firm_id, key=supplier.key
            )
        return memory
    # What the accountant last confirmed of the supplier.
    memory.name = supplier.name or memory.name
    memory.vat = supplier.vat or memory.vat
    memory.iban = supplier.iban or memory.iban
    memory.save(update_fields=["name", "vat", "iban", "updated_at"])
    return memory


def _fact_learn(memory: SupplierMemory, key: str, placement: Placement) -> None:
    """A lesson: the same place as before counts once more; another place starts afresh (the
    old place's record says nothing of the new one)."""
    current = RememberedFact.objects.filter(memory=memory, fact=key).first()
    if current is None:
        current = RememberedFact(memory=memory, fact=key, taught=0)
    if current.pk is not None and current.placement().same_place(placement):
        current.taught += 1
    else:
        current.taught, current.used, current.held, current.missed = 1, 0, 0, 0
    current.place(placement)
    current.save()


# --- forget ------------------------------------------------------------------------------------


def supplier_memory_forget(*, actor: User, memory: SupplierMemory) -> None:
    """Delete a supplier's memory (its facts go with it). ``memory`` comes from
    ``supplier_memory_get_for``: the actor may manage it."""
    with transaction.atomic():
        if not supplier_memory_firms_for(actor=actor).filter(pk=memory.firm_id).exists():
            raise ServiceError(_("Only the firm's accountants can do this."), code="forbidden")
        SupplierMemory.objects.filter(pk=memory.pk).delete()
    logger.info("supplier memory %s forgotten by user %s", memory.public_id, actor.pk)
