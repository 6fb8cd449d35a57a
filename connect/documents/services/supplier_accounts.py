"""The bank accounts each supplier of a dossier was seen with, and the alert when an invoice
carries an IBAN new for a supplier already known with another one (invoice-redirection fraud:
a forged or hacked supplier asks to be paid on a new account). Such an invoice is not paid
from Connect until the dossier's accountant or its client confirms the new account
(docs/payments.md)."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connect.documents.services.memory import name_key
from connect.models import Category, Document, Source, SupplierAccount
from core.audit import audit_record
from core.errors import ServiceError
from core.models import AuditAction
from dossiers.access import connect_roles_for
from dossiers.models import Dossier, Role
from users.models import User

#: What a client pays from Connect; a sales invoice's IBAN is the client's own.
RECORDED_CATEGORIES = (Category.PURCHASE_INVOICE, Category.EXPENSE)
#: Who may confirm a new account of a supplier.
CONFIRMING_ROLES = (Role.CONNECT_ACCOUNTANT, Role.CONNECT_ENTREPRENEUR)


def iban_compact(value: Any) -> str:
    """The IBAN as it is compared: upper case, no spaces; "" when it fails its checksum."""
    from stdnum import iban as stdnum_iban

    try:
        return str(stdnum_iban.validate(str(value or ""), check_country=False))
    except Exception:  # stdnum's ValidationError subclasses: all mean "not valid"
        return ""


def iban_display(value: str) -> str:
    """An IBAN in groups of four, as it is printed on an invoice."""
    from stdnum import iban as stdnum_iban

    return str(stdnum_iban.format(value))


def supplier_key_of(facts: Mapping[str, Any]) -> str:
    """The supplier of an invoice: its VAT number, else its name (never its IBAN: the IBAN is
    what is watched). "" when neither is known."""
    vat = re.sub(r"[^A-Z0-9]", "", str(facts.get("supplier_vat") or "").upper())
    if vat:
        return f"vat:{vat}"[:250]
    name = name_key(str(facts.get("supplier_name") or ""))
    return f"name:{name}"[:250] if name else ""


class Faceted(Protocol):
    """A document as its rows know it (a model, or the inbox's ``QueueRow``)."""

    @property
    def pk(self) -> Any: ...
    @property
    def dossier_id(self) -> int: ...
    @property
    def recognized(self) -> Any: ...
    @property
    def category(self) -> str: ...
    @property
    def source(self) -> str: ...


def _recorded(document: Faceted) -> bool:
    return document.category in RECORDED_CATEGORIES and document.source != Source.SHARED


def supplier_account_record(*, document: Document, facts: Mapping[str, Any]) -> None:
    """Record the IBAN the facts of ``document`` name for its supplier (called where facts are
    read or corrected, inside that transaction). The first IBAN of a supplier is recorded
    quietly; a further one needs confirmation, unless the invoice is already paid."""
    if not _recorded(document):
        return
    iban = iban_compact(facts.get("iban"))
    key = supplier_key_of(facts)
    if not iban or not key:
        return
    accounts = SupplierAccount.objects.filter(dossier_id=document.dossier_id, supplier_key=key)
    if accounts.filter(iban=iban).exists():
        return
    known = accounts.exists()
    try:
        with transaction.atomic():
            SupplierAccount.objects.create(
                dossier_id=document.dossier_id,
                supplier_key=key,
                supplier_name=str(facts.get("supplier_name") or "")[:200],
                iban=iban,
                first_document=document,
                needs_confirmation=known and not document.paid,
            )
    except IntegrityError:  # recorded at the same moment from another invoice
        pass


@dataclass
class IbanChange:
    """An invoice whose IBAN is new for its supplier and not confirmed yet."""

    account: SupplierAccount
    previous: list[str] = field(default_factory=list)

    @property
    def new_display(self) -> str:
        return iban_display(self.account.iban)

    @property
    def previous_display(self) -> list[str]:
        return [iban_display(iban) for iban in self.previous]


def _changes(dossier_ids: Iterable[int]) -> dict[tuple[int, str, str], IbanChange]:
    pending = list(
        SupplierAccount.objects.filter(
            dossier_id__in=set(dossier_ids), needs_confirmation=True, confirmed_at__isnull=True
        )
    )
    if not pending:
        return {}
    others: dict[tuple[int, str], list[str]] = {}
    for dossier_id, key, iban in (
        SupplierAccount.objects.filter(
            dossier_id__in={a.dossier_id for a in pending},
            supplier_key__in={a.supplier_key for a in pending},
        )
        .order_by("-first_seen_at", "-id")
        .values_list("dossier_id", "supplier_key", "iban")
    ):
        others.setdefault((dossier_id, key), []).append(iban)
    return {
        (a.dossier_id, a.supplier_key, a.iban): IbanChange(
            account=a,
            previous=[i for i in others.get((a.dossier_id, a.supplier_key), []) if i != a.iban],
        )
        for a in pending
    }


def _key_of(document: Faceted) -> tuple[int, str, str] | None:
    facts = document.recognized if isinstance(document.recognized, dict) else {}
    if not _recorded(document):
        return None
    iban = iban_compact(facts.get("iban"))
    if not iban:
        return None
    key = supplier_key_of(facts)
    return (document.dossier_id, key, iban) if key else None


def unconfirmed_accounts(dossier_ids: Iterable[int]) -> set[tuple[int, str, str]]:
    """(dossier, supplier key, IBAN) of every account waiting for confirmation: one query."""
    return set(
        SupplierAccount.objects.filter(
            dossier_id__in=set(dossier_ids), needs_confirmation=True, confirmed_at__isnull=True
        ).values_list("dossier_id", "supplier_key", "iban")
    )


def iban_changes_for(documents: Iterable[Faceted]) -> dict[int, IbanChange]:
    """The unconfirmed IBAN changes of documents already reached by their reader, by pk."""
    documents = list(documents)
    keys = {document.pk: _key_of(document) for document in documents}
    if not any(keys.values()):
        return {}
    changes = _changes(document.dossier_id for document in documents)
    return {pk: changes[key] for pk, key in keys.items() if key is not None and key in changes}


def iban_changes_in(
    dossier: Dossier, documents: Iterable[Document]
) -> list[tuple[Document, IbanChange]]:
    """The documents among ``documents`` (of ``dossier``, read lazily) flagged, in their order:
    one query when the dossier has no account waiting for confirmation."""
    changes = _changes([dossier.pk])
    if not changes:
        return []
    return [
        (document, changes[key])
        for document in documents
        if (key := _key_of(document)) is not None and key in changes
    ]


def iban_change_for(document: Document) -> IbanChange | None:
    return iban_changes_for([document]).get(document.pk)


def can_confirm(actor: User, dossier: Dossier) -> bool:
    return bool(
        (connect_roles_for(actor=actor, dossier=dossier) or frozenset()) & set(CONFIRMING_ROLES)
    )


def supplier_account_confirm(*, actor: User, document: Document) -> SupplierAccount:
    """The dossier's accountant or client confirms the new bank account an invoice names: its
    supplier's invoices on that account may be paid again. Recorded in the firm's audit trail
    with the account before and after."""
    dossier = document.dossier
    if not can_confirm(actor, dossier):
        raise ServiceError(
            _("Only the dossier's accountant or client can confirm a bank account."),
            code="forbidden",
        )
    change = iban_change_for(document)
    if change is None:
        raise ServiceError(
            _("There is no new bank account to confirm on this invoice."), code="nothing"
        )
    with transaction.atomic():
        locked = SupplierAccount.objects.select_for_update().get(pk=change.account.pk)
        if not locked.pending:
            raise ServiceError(
                _("This bank account was confirmed meanwhile."), code="already_confirmed"
            )
        locked.confirmed_by = actor
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["confirmed_by", "confirmed_at"])
        audit_record(
            firm=dossier.firm,
            actor=actor,
            action=AuditAction.SUPPLIER_ACCOUNT_CONFIRMED,
            dossier=dossier,
            before={"supplier": locked.supplier_name, "iban": change.previous},
            after={
                "supplier": locked.supplier_name,
                "iban": locked.iban,
                "document": str(document.public_id),
                "confirmed_at": locked.confirmed_at.isoformat(),
            },
        )
    return locked
