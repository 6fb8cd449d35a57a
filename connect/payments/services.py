"""Supplier payments: the client's paying accounts, and SEPA credit-transfer files (pain.001)
made from the invoices of a dossier, kept and downloadable again.

The XML is built by sepaxml (a maintained library; its XSDs ship with it). sepaxml writes the
remittance as unstructured text only; the Belgian structured communication goes, as Febelfin
asks, in the structured remittance: ``RmtInf/Strd/CdtrRefInf`` with ``Tp/CdOrPrtry/Cd`` SCOR,
``Tp/Issr`` BBA and the 12 digits in ``Ref`` (see docs/payments.md)."""

import functools
import logging
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from sepaxml import SepaTransfer

from connect.documents.services.supplier_accounts import iban_changes_for, supplier_key_of
from connect.models import (
    Document,
    DocumentEvent,
    EventKind,
    PayingAccount,
    PaymentBatch,
    SupplierAccount,
)
from connect.models import PaymentLine as PaymentLineRow
from connect.payments.selectors import ROWS_SHOWN, payable_documents
from core.errors import ServiceError
from dossiers.members import roles_on_dossier_for
from dossiers.models import Dossier, Role
from dossiers.selectors import dossier_connect_list_for
from users.models import User

logger = logging.getLogger(__name__)

#: pain.001.001.03 is what every Belgian bank takes (Febelfin's guidelines are written for it);
#: pain.001.001.09 is offered for banks that already take the 2019 version.
PAIN_DEFAULT = "pain.001.001.03"
PAIN_VERSIONS = ("pain.001.001.03", "pain.001.001.09")
MAX_AMOUNT = Decimal("999999999.99")
MAX_LINES = ROWS_SHOWN
#: How far ahead a bank takes an execution date.
MAX_DAYS_AHEAD = 365
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: The Latin characters of the SEPA rulebook; anything else is transliterated or replaced.
SEPA_TEXT = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


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


def require_entrepreneur(actor: User, dossier: Dossier) -> None:
    """Payments are the client company's: only its entrepreneurs make them."""
    if not dossier_connect_list_for(actor=actor).filter(pk=dossier.pk).exists() or (
        Role.CONNECT_ENTREPRENEUR not in roles_on_dossier_for(actor=actor, dossier=dossier)
    ):
        raise ServiceError(_("Only the client of the dossier can make payments."), code="forbidden")


def _text(value: str) -> str:
    return " ".join(CONTROL.sub(" ", value or "").split())


def iban_clean(value: str) -> str | None:
    """The IBAN in its compact form, or None when its checksum (mod 97) fails. The same rule as
    the facts read from invoices: some real Belgian accounts fail stdnum's national check."""
    from stdnum import iban as stdnum_iban

    try:
        return str(stdnum_iban.validate(_text(value), check_country=False))
    except Exception:  # stdnum raises its own ValidationError subclasses: all mean "not valid"
        return None


def bic_clean(value: str) -> str | None:
    from stdnum import bic as stdnum_bic

    try:
        return str(stdnum_bic.validate(_text(value)))
    except Exception:  # stdnum's ValidationError: not valid
        return None


def reference_clean(value: str) -> str | None:
    """A Belgian structured communication as +++123/4567/89002+++, or None when its checksum
    (mod 97) fails."""
    from stdnum.be import ogm_vcs

    try:
        digits = ogm_vcs.validate(_text(value))
    except Exception:  # stdnum's ValidationError: not valid
        return None
    return "+++" + str(ogm_vcs.format(digits)).strip("+") + "+++"


def paying_account_add(
    *, actor: User, dossier: Dossier, name: str, iban: str, bic: str = ""
) -> PayingAccount:
    """Record a bank account of the client company to pay suppliers from."""
    require_entrepreneur(actor, dossier)
    name = _text(name)
    if not name:
        raise ServiceError(_("Enter the account holder."), code="name_required", field="name")
    if len(name) > 70:
        raise ServiceError(
            _("Enter at most 70 characters for the account holder."),
            code="name_too_long",
            field="name",
        )
    compact = iban_clean(iban)
    if compact is None:
        raise ServiceError(
            _("Enter a valid IBAN (for example BE71 0961 2345 6769)."),
            code="iban_invalid",
            field="iban",
        )
    bic_value = ""
    if _text(bic):
        bic_checked = bic_clean(bic)
        if bic_checked is None:
            raise ServiceError(
                _("Enter a valid BIC (for example GKCCBEBB), or leave it empty."),
                code="bic_invalid",
                field="bic",
            )
        bic_value = bic_checked
    if PayingAccount.objects.filter(dossier=dossier, iban=compact).exists():
        raise ServiceError(
            _("This account is already recorded for the dossier."),
            code="account_exists",
            field="iban",
        )
    try:
        with transaction.atomic():
            return PayingAccount.objects.create(
                dossier=dossier, name=name, iban=compact, bic=bic_value
            )
    except IntegrityError:  # recorded at the same moment by another request
        raise ServiceError(
            _("This account is already recorded for the dossier."),
            code="account_exists",
            field="iban",
        ) from None


# --- the SEPA file ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    document: Document
    amount: Decimal
    execution_date: date
    creditor_name: str
    creditor_iban: str
    structured_reference: str
    remittance: str


class _BelgianTransfer(SepaTransfer):
    """sepaxml's credit transfer with the Belgian structured communication and, when the
    paying account has no BIC, the debtor agent as ``Othr/Id`` NOTPROVIDED (the EPC rule for
    IBAN-only payments)."""

    def _add_to_batch_list(self, TX: dict[str, Any], payment: dict[str, Any]) -> None:
        reference = payment.get("bba_reference")
        if reference:
            remittance = TX["RmtInfNode"]
            remittance.remove(TX["UstrdNode"])
            creditor_reference = ET.SubElement(ET.SubElement(remittance, "Strd"), "CdtrRefInf")
            kind = ET.SubElement(creditor_reference, "Tp")
            ET.SubElement(ET.SubElement(kind, "CdOrPrtry"), "Cd").text = "SCOR"
            ET.SubElement(kind, "Issr").text = "BBA"
            ET.SubElement(creditor_reference, "Ref").text = reference
        super()._add_to_batch_list(TX, payment)

    def _finalize_batch(self) -> None:
        super()._finalize_batch()
        for agent in self._xml.iter("DbtrAgt"):
            institution = agent.find("FinInstnId")
            if institution is not None and len(institution) == 0:
                ET.SubElement(ET.SubElement(institution, "Othr"), "Id").text = "NOTPROVIDED"

    def message_id_set(self, message_id: str) -> None:
        self.msg_id = message_id
        node = self._xml.find("CstmrCdtTrfInitn/GrpHdr/MsgId")
        if node is not None:
            node.text = message_id


@functools.cache
def _schema(version: str) -> Any:
    """The pain.001 XSD shipped with sepaxml, loaded once per process."""
    import sepaxml
    import xmlschema  # imported late, as sepaxml does: it patches ElementTree on import

    return xmlschema.XMLSchema(str(Path(sepaxml.__file__).parent / "schemas" / f"{version}.xsd"))


def xml_validate(content: bytes, version: str) -> None:
    """Raise ServiceError unless ``content`` is valid against the pain.001 XSD."""
    errors = list(_schema(version).iter_errors(content.decode()))
    if errors:
        logger.error("pain file invalid against %s: %s", version, errors[0])
        raise ServiceError(
            _("The payment file could not be made valid. Nothing was kept: check the lines."),
            code="xml_invalid",
        )


def _sepa_text(value: str, size: int) -> str:
    """Text as the SEPA Latin character set carries it: accents dropped, others replaced."""
    from text_unidecode import unidecode

    text = str(unidecode(_text(value))).replace("&", "+")
    return " ".join(SEPA_TEXT.sub(" ", text).split())[:size]


def _end_to_end(document: Document) -> str:
    """The invoice number as the end-to-end reference the supplier's bank passes on."""
    number = str((document.recognized or {}).get("invoice_number") or "")
    cleaned = re.sub(r"[^A-Za-z0-9.\-]", "", number)[:35]
    return cleaned or "NOTPROVIDED"


def pain_build(
    *, account: PayingAccount, lines: list[_Line], version: str, message_id: str
) -> bytes:
    """The pain.001 file, one payment block per execution date, validated against the XSD."""
    config: dict[str, Any] = {
        "name": _sepa_text(account.name, 70) or "NOTPROVIDED",
        "IBAN": account.iban,
        "batch": True,
        "currency": "EUR",
    }
    if account.bic:
        config["BIC"] = account.bic
    transfer = _BelgianTransfer(config, schema=version, clean=False)
    transfer.message_id_set(message_id)
    for line in lines:
        reference = line.structured_reference.strip("+").replace("/", "")
        transfer.add_payment(
            {
                "name": _sepa_text(line.creditor_name, 70),
                "IBAN": line.creditor_iban,
                "amount": int(line.amount * 100),
                "execution_date": line.execution_date,
                "description": _sepa_text(line.remittance, 140) or reference,
                "endtoend_id": _end_to_end(line.document),
                "bba_reference": reference,
            }
        )
    content: bytes = transfer.export(validate=False)
    xml_validate(content, version)
    return content


# --- the batch --------------------------------------------------------------------------------


def _invoice_label(document: Document) -> str:
    return str((document.recognized or {}).get("invoice_number") or "") or document.filename


def _line_check(index: int, raw: LineInput, document: Document, today: date) -> _Line:
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
    name = _text(raw["creditor_name"])
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
    if not _sepa_text(name, 70):
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
    if _text(raw["structured_reference"]):
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
        remittance = _text(raw["remittance"])
        if len(remittance) > 140:
            raise refuse(
                _("Invoice %(invoice)s: enter at most 140 characters for the communication."),
                "remittance_too_long",
                "remittance",
            )
        if not _sepa_text(remittance, 140):
            raise refuse(
                _("Invoice %(invoice)s: enter a structured communication or a free communication."),
                "remittance_required",
                "remittance",
            )
    return _Line(
        document=document,
        amount=amount,
        execution_date=when,
        creditor_name=name,
        creditor_iban=iban,
        structured_reference=structured,
        remittance=remittance,
    )


def _iban_confirmed_check(index: int, line: _Line, changes: dict[int, Any]) -> None:
    """An invoice whose IBAN is new for its supplier, or a line paying to such an account,
    waits until the accountant or the client confirms the account (docs/payments.md)."""
    document = line.document
    facts = document.recognized if isinstance(document.recognized, dict) else {}
    key = supplier_key_of(facts)
    if document.pk in changes or (
        key
        and SupplierAccount.objects.filter(
            dossier_id=document.dossier_id,
            supplier_key=key,
            iban=line.creditor_iban,
            needs_confirmation=True,
            confirmed_at__isnull=True,
        ).exists()
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
        for document in Document.objects.filter(dossier=dossier, public_id__in=ids)
    }
    if len(documents) != len(ids):
        raise ServiceError(
            _("One of the chosen invoices is not in this dossier."), code="document_unknown"
        )
    payable = set(payable_documents(dossier).filter(pk__in=[d.pk for d in documents.values()]))
    changes = iban_changes_for(documents.values())
    today = timezone.localdate()
    checked: list[_Line] = []
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
        _iban_confirmed_check(index, checked[-1], changes)

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
