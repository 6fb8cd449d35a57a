"""Reads of supplier payments: the invoices a client may pay, their paying accounts, and the
payment batches already made. Each takes the acting user; a batch or account out of reach is a
404, like a missing one."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import F, QuerySet

from connect.models import (
    Category,
    Document,
    DocumentQuerySet,
    PayingAccount,
    PaymentBatch,
    PaymentLine,
    Source,
    Status,
)
from core.lookups import get_or_404
from dossiers.access import connect_roles_for, in_connect_reach
from dossiers.models import Dossier, Role
from users.models import User

#: What a client pays from Connect: invoices of suppliers and expense notes.
PAYABLE_CATEGORIES = (Category.PURCHASE_INVOICE, Category.EXPENSE)
#: Invoices sent to the accountant: a payment file is seen by the accountant too, and the
#: client's desk is private until sent; a rejected one was sent back because something is
#: wrong with it (not this company's, unreadable...): correct it and send it first.
PAYABLE_STATUSES = (
    Status.SENT,
    Status.VALIDATED,
    Status.RETRIEVED,
    Status.BOOKED,
)
#: SEPA credit transfers are in euro only.
PAYABLE_CURRENCY = "EUR"
#: Candidates read for one page, and rows shown (and lines in one batch) at most.
CANDIDATES_READ = 1000
ROWS_SHOWN = 200


@dataclass
class PayableInvoice:
    """An unpaid invoice with what is known to pay it: typed by the client (amount, due date)
    or read from the e-invoice or by recognition (supplier, IBAN, structured communication)."""

    document: Document
    creditor_name: str = ""
    creditor_iban: str = ""
    amount: Decimal | None = None
    due_date: date | None = None
    structured_reference: str = ""
    invoice_number: str = ""
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def label(self) -> str:
        """How the invoice is named to the client: its number, else its file name."""
        return self.invoice_number or self.document.filename


def _decimal(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return amount if amount.is_finite() and amount > 0 else None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def payable_invoice_of(document: Document) -> PayableInvoice:
    """The payment facts of one invoice. The client's typed amount and due date come first;
    then what the e-invoice or recognition read (payable amount, else the total)."""
    facts = document.recognized if isinstance(document.recognized, dict) else {}
    amount = (
        document.amount
        if document.amount is not None and document.amount > 0
        else _decimal(facts.get("payable_amount")) or _decimal(facts.get("total_incl_vat"))
    )
    row = PayableInvoice(
        document=document,
        creditor_name=str(facts.get("supplier_name") or "")[:70],
        creditor_iban=str(facts.get("iban") or ""),
        amount=amount,
        due_date=document.due_date or _date(facts.get("due_date")),
        structured_reference=str(facts.get("structured_reference") or ""),
        invoice_number=str(facts.get("invoice_number") or "")[:100],
    )
    row.missing = [
        name
        for name, value in (
            ("creditor_name", row.creditor_name),
            ("creditor_iban", row.creditor_iban),
            ("amount", row.amount),
        )
        if not value
    ]
    return row


def payable_documents(dossier: Dossier) -> DocumentQuerySet:
    """The documents of this dossier that may go into a payment batch (no access check: the
    callers check the actor)."""
    return Document.objects.filter(
        dossier=dossier,
        category__in=PAYABLE_CATEGORIES,
        status__in=PAYABLE_STATUSES,
        currency=PAYABLE_CURRENCY,
        paid=False,
        # An invoice in a payment file is paid, even if someone unticks "paid" later.
        payment_lines__isnull=True,
        # The same invoice received twice is paid once: the later copy is not offered.
        duplicate_of__isnull=True,
    ).exclude(source=Source.SHARED)


def _is_entrepreneur(actor: User, dossier: Dossier) -> bool:
    return Role.CONNECT_ENTREPRENEUR in (connect_roles_for(actor=actor, dossier=dossier) or ())


def payable_invoices_for(
    *, actor: User, dossier: Dossier, include_incomplete: bool = False
) -> list[PayableInvoice]:
    """The unpaid invoices of THIS dossier the client may pay, the earliest due first.

    By default only those whose supplier name, IBAN and amount are known (typed, from the
    e-invoice or from recognition); with ``include_incomplete`` also the others, for the client
    to type what is missing. Only the dossier's entrepreneurs pay (their desk's drafts included);
    anyone else gets an empty list."""
    if not _is_entrepreneur(actor, dossier):
        return []
    documents = payable_documents(dossier).order_by(
        F("due_date").asc(nulls_last=True), "uploaded_at", "id"
    )[:CANDIDATES_READ]
    rows = [payable_invoice_of(document) for document in documents]
    if not include_incomplete:
        rows = [row for row in rows if row.complete]
    rows.sort(key=lambda row: (not row.complete, row.due_date is None, row.due_date or date.max))
    return rows[:ROWS_SHOWN]


def paying_accounts_for(*, actor: User, dossier: Dossier) -> QuerySet[PayingAccount]:
    """The dossier's own bank accounts, for anyone with a Connect role on it."""
    accounts = in_connect_reach(PayingAccount.objects.filter(dossier=dossier), actor)
    return accounts.order_by("name", "iban")


def payment_batches_for(*, actor: User, dossier: Dossier) -> QuerySet[PaymentBatch]:
    """The payment batches of a dossier, newest first, for anyone with a Connect role on it."""
    return (
        in_connect_reach(PaymentBatch.objects.filter(dossier=dossier), actor)
        .select_related("account", "created_by")
        .order_by("-created_at", "-id")
    )


def payment_batch_get_for(*, actor: User, public_id: object) -> PaymentBatch:
    """One batch of a dossier where the actor holds a Connect role; else 404."""
    return get_or_404(
        in_connect_reach(PaymentBatch.objects.all(), actor).select_related(
            "dossier__firm", "account", "created_by"
        ),
        public_id,
    )


def payment_lines_for(*, batch: PaymentBatch) -> QuerySet[PaymentLine]:
    """The lines of a batch already reached through ``payment_batch_get_for``."""
    return batch.lines.select_related("document").order_by("id")
