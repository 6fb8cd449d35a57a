"""Supplier payments: a batch of invoices of a dossier to pay, checked line by line, its
pain.001 file (``connect.payments.sepa``) kept and downloadable again, the invoices marked paid."""

import logging
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypedDict

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from connect.documents.services.supplier_accounts import (
    IbanChange,
    iban_changes_for,
    supplier_key_of,
    unconfirmed_accounts,
)
from connect.models import (
    Document,
    DocumentEvent,
    EventKind,
    PayingAccount,
    PaymentBatch,
)
from connect.models import PaymentLine as PaymentLineRow
from connect.payments.accounts import (
    iban_clean,
    reference_clean,
    require_entrepreneur,
    text_clean,
)
from connect.payments.selectors import ROWS_SHOWN, payable_documents
from connect.payments.sepa import PAIN_DEFAULT, PAIN_VERSIONS, SepaLine, pain_build, sepa_text
from core.errors import ServiceError
from dossiers.models import Dossier
from users.models import User

logger = logging.getLogger(__name__)

MAX_AMOUNT = Decimal("999999999.99")
MAX_LINES = ROWS_SHOWN
#: How far ahead a bank takes an execution date.
MAX_DAYS_AHEAD = 365


class LineInput(TypedDict):
    """One invoice to pay, as the client confirmed it."""

    document: uuid.UUID
    amount: Decimal | None
    execution_date: date | None
    creditor_name: str
    creditor_iban: str
    structured_reference: str
    remittance: str


class LineError(ServiceError):
    """A refusal about one line of a batch: ``line`` is its index in the lines given."""

    def __init__(self, message: Any, *, line: int, code: str, field: str | None = None) -> None:
        super().__init__(message, code=code, field=field)
        self.line = line


def _invoice_label(document: Document) -> str:
    return str((document.recognized or {}).get("invoice_number") or "") or document.filename


def _line_check(index: int, raw: LineInput, document: Document, today: date) -> SepaLine:
    label = _invoice_label(document)

    def refuse(message: Any, code: str, field: str) -> LineError:
        return LineError(message % {"invoice": label}, line=index, code=code, field=field)

    amount = raw["amount"]
    if (
        not isinstance(amount, Decimal)
        or not amount.is_finite()
        or amount <= 0
        or amount > MAX_AMOUNT
    ):
        raise refuse(
            _("Invoice %(invoice)s: enter an amount between 0.01 and 999999999.99."),
            "amount_invalid",
            "amount",
        )
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise refuse(
            _("Invoice %(invoice)s: enter the amount with at most 2 decimals."),
            "amount_invalid",
            "amount",
        )
    when = raw["execution_date"]
    if not isinstance(when, date) or when < today:
        raise refuse(
            _("Invoice %(invoice)s: choose an execution date from today on."),
            "date_past",
            "execution_date",
        )
    if when > today + timedelta(days=MAX_DAYS_AHEAD):
        raise refuse(
            _("Invoice %(invoice)s: choose an execution date within a year."),
            "date_far",
            "execution_date",
        )
    name = text_clean(raw["creditor_name"])
    if not name:
        raise refuse(
            _("Invoice %(invoice)s: enter the name of the supplier."),
            "name_required",
            "creditor_name",
        )
    if len(name) > 70:
        raise refuse(
            _("Invoice %(invoice)s: enter at most 70 characters for the supplier's name."),
            "name_too_long",
            "creditor_name",
        )
    if not sepa_text(name, 70):
        raise refuse(
            _("Invoice %(invoice)s: write the supplier's name in Latin letters."),
            "name_invalid",
            "creditor_name",
        )
    iban = iban_clean(raw["creditor_iban"])
    if iban is None:
        raise refuse(
            _("Invoice %(invoice)s: the IBAN of the supplier is not valid."),
            "iban_invalid",
            "creditor_iban",
        )
    structured = ""
    remittance = ""
    if text_clean(raw["structured_reference"]):
        checked = reference_clean(raw["structured_reference"])
        if checked is None:
            raise refuse(
                _(
                    "Invoice %(invoice)s: the structured communication is not valid "
                    "(+++123/4567/89002+++)."
                ),
                "reference_invalid",
                "structured_reference",
            )
        structured = checked
    else:
        remittance = text_clean(raw["remittance"])
        if len(remittance) > 140:
            raise refuse(
                _("Invoice %(invoice)s: enter at most 140 characters for the communication."),
                "remittance_too_long",
                "remittance",
            )
        if not sepa_text(remittance, 140):
            raise refuse(
                _("Invoice %(invoice)s: enter a structured communication or a free communication."),
                "remittance_required",
                "remittance",
            )
    return SepaLine(
        document=document,
        amount=amount,
        execution_date=when,
        creditor_name=name,
        creditor_iban=iban,
        structured_reference=structured,
        remittance=remittance,
    )


def _iban_confirmed_check(
    index: int,
    line: SepaLine,
    changes: dict[int, IbanChange],
    unconfirmed: set[tuple[int, str, str]],
) -> None:
    """An invoice whose IBAN is new for its supplier, or a line paying to such an account,
    waits until the accountant or the client confirms the account (docs/payments.md)."""
    document = line.document
    facts = document.recognized if isinstance(document.recognized, dict) else {}
    key = supplier_key_of(facts)
    if document.pk in changes or (
        key and (document.dossier_id, key, line.creditor_iban) in unconfirmed
    ):
        raise LineError(
            _(
                "Invoice %(invoice)s: new bank account for this supplier. It cannot be paid "
                "until the accountant or the client confirms the account."
            )
            % {"invoice": _invoice_label(document)},
            line=index,
            code="iban_unconfirmed",
            field="creditor_iban",
        )


def storage_name_for(dossier: Dossier, batch_id: uuid.UUID) -> str:
    return f"payments/{dossier.firm.public_id}/{dossier.public_id}/{batch_id}.xml"


def batch_create(
    *,
    actor: User,
    dossier: Dossier,
    account: PayingAccount,
    lines: list[LineInput],
    pain_version: str = PAIN_DEFAULT,
) -> PaymentBatch:
    """Make a SEPA credit-transfer file from invoices of THIS dossier and keep it: the file is
    validated against the pain.001 XSD and stored, the batch and its lines are written and the
    invoices are marked paid, all or nothing."""
    require_entrepreneur(actor, dossier)
    if account.dossier_id != dossier.pk:
        raise ServiceError(
            _("Choose one of the dossier's accounts."), code="account_invalid", field="account"
        )
    if pain_version not in PAIN_VERSIONS:
        raise ServiceError(
            _("Choose a version of the payment file."), code="version_invalid", field="pain_version"
        )
    if not lines:
        raise ServiceError(_("Choose at least one invoice to pay."), code="lines_required")
    if len(lines) > MAX_LINES:
        raise ServiceError(
            ngettext(
                "Pay at most %(count)d invoice in one file.",
                "Pay at most %(count)d invoices in one file.",
                MAX_LINES,
            )
            % {"count": MAX_LINES},
            code="lines_too_many",
        )
    ids = [raw["document"] for raw in lines]
    if len(set(ids)) != len(ids):
        raise ServiceError(_("Each invoice can be paid once in a file."), code="lines_duplicate")
    # Every document must be one of THIS dossier: another dossier's id is unknown here.
    documents = {
        document.public_id: document
        for document in Document.objects.visible_to(actor).filter(
            dossier=dossier, public_id__in=ids
        )
    }
    if len(documents) != len(ids):
        raise ServiceError(
            _("One of the chosen invoices is not in this dossier."), code="document_unknown"
        )
    payable = set(payable_documents(dossier).filter(pk__in=[d.pk for d in documents.values()]))
    changes = iban_changes_for(documents.values())
    unconfirmed = unconfirmed_accounts(d.dossier_id for d in documents.values())
    today = timezone.localdate()
    checked: list[SepaLine] = []
    for index, raw in enumerate(lines):
        document = documents[raw["document"]]
        if document not in payable:
            raise LineError(
                _(
                    "Invoice %(invoice)s cannot be paid here: it is already paid, or it is "
                    "not a bill in euro."
                )
                % {"invoice": _invoice_label(document)},
                line=index,
                code="not_payable",
            )
        checked.append(_line_check(index, raw, document, today))
        _iban_confirmed_check(index, checked[-1], changes, unconfirmed)

    batch_id = uuid.uuid4()
    message_id = f"CNX{today:%Y%m%d}{batch_id.hex[:24]}".upper()
    content = pain_build(
        account=account, lines=checked, version=pain_version, message_id=message_id
    )
    try:
        stored = default_storage.save(storage_name_for(dossier, batch_id), ContentFile(content))
    except OSError:
        logger.exception("storage refused a payment file for dossier %s", dossier.pk)
        raise ServiceError(
            _("The payment file could not be stored. Nothing was kept: please try again later."),
            code="storage_failed",
        ) from None
    try:
        with transaction.atomic():
            locked = list(
                Document.objects.select_for_update(of=("self",))
                .filter(pk__in=[line.document.pk for line in checked])
                .order_by("pk")
            )
            # Checked again under the lock: paid, rejected or re-filed meanwhile.
            still_payable = set(
                payable_documents(dossier)
                .filter(pk__in=[document.pk for document in locked])
                .values_list("pk", flat=True)
            )
            if any(document.pk not in still_payable for document in locked):
                raise ServiceError(
                    _("One of the chosen invoices was paid meanwhile. Nothing was kept."),
                    code="paid_meanwhile",
                )
            batch = PaymentBatch.objects.create(
                public_id=batch_id,
                dossier=dossier,
                account=account,
                message_id=message_id,
                pain_version=pain_version,
                storage_name=stored,
                total=sum((line.amount for line in checked), Decimal("0.00")),
                count=len(checked),
                created_by=actor,
            )
            PaymentLineRow.objects.bulk_create(
                PaymentLineRow(
                    batch=batch,
                    document=line.document,
                    creditor_name=line.creditor_name,
                    creditor_iban=line.creditor_iban,
                    amount=line.amount,
                    execution_date=line.execution_date,
                    structured_reference=line.structured_reference,
                    remittance=line.remittance,
                )
                for line in checked
            )
            Document.objects.filter(pk__in=[document.pk for document in locked]).update(paid=True)
            DocumentEvent.objects.bulk_create(
                DocumentEvent(
                    document=document,
                    actor=actor,
                    kind=EventKind.CHANGED,
                    note=f"paid: {message_id}",
                )
                for document in locked
            )
    except BaseException:
        default_storage.delete(stored)
        raise
    return batch


def batch_content(*, batch: PaymentBatch) -> bytes:
    """The stored file of a batch (reached through ``payment_batch_get_for``)."""
    with default_storage.open(batch.storage_name, "rb") as handle:
        data: bytes = handle.read()
    return data
