"""The facts of an e-invoice, one model whatever its syntax (UBL or CII), and the checks a user
is shown: the EN 16931 sums, the supplier's VAT number, the IBAN, the attachments.

Mandatory facts that are missing make the document unreadable (``EInvoiceError``);
inconsistencies are ``Check`` results shown to the user, never refusals.
"""

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

import magic
from django.utils import formats
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _
from stdnum import iban as iban_number
from stdnum.be import ogm_vcs
from stdnum.be import vat as be_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.util import get_cc_module

from connect.einvoice.xml import lazy_filesize, lazy_format

MAX_ATTACHMENT_SIZE = 20 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
#: Attachment types Peppol BIS (and EN 16931) allow, and what libmagic may answer for each.
ATTACHMENT_TYPES: dict[str, frozenset[str]] = {
    "application/pdf": frozenset({"application/pdf"}),
    "image/png": frozenset({"image/png"}),
    "image/jpeg": frozenset({"image/jpeg"}),
    "text/csv": frozenset({"text/csv", "text/plain"}),
    XLSX: frozenset({XLSX, "application/zip"}),  # some libmagic versions only see the zip
    ODS: frozenset({ODS}),
}
SNIFF_BYTES = 1024 * 1024


@dataclass(frozen=True)
class VatLine:
    category: str
    percent: Decimal | None
    taxable_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class Attachment:
    filename: str
    declared_type: str
    content: bytes = field(repr=False)
    description: str
    sniffed_type: str
    type_matches: bool


@dataclass(frozen=True)
class Party:
    name: str
    trading_name: str | None
    vat: str | None
    enterprise_number: str | None
    endpoint: str | None
    street: str | None
    city: str | None
    postal_code: str | None
    country: str | None


@dataclass(frozen=True)
class Line:
    id: str
    description: str
    quantity: Decimal | None
    unit_code: str | None
    unit_price: Decimal | None
    base_quantity: Decimal | None
    line_total: Decimal | None
    vat_category: str | None
    vat_percent: Decimal | None


@dataclass(frozen=True)
class Check:
    code: str
    message: str | Promise
    ok: bool


@dataclass(frozen=True, kw_only=True)
class EInvoice:
    """One invoice or credit note with its facts, whatever the syntax it was written in."""

    syntax: Literal["ubl", "cii"]
    document_type: Literal["invoice", "credit_note"]
    invoice_number: str
    issue_date: date
    due_date: date | None
    currency: str
    supplier: Party
    customer: Party
    #: Optional in CII's MINIMUM profile, mandatory in UBL.
    line_extension_amount: Decimal | None
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    payable_amount: Decimal
    allowance_total: Decimal | None
    charge_total: Decimal | None
    prepaid_amount: Decimal | None
    rounding_amount: Decimal | None
    vat_breakdown: tuple[VatLine, ...]
    iban: str | None
    payee_account: str | None
    structured_reference: str | None
    payment_reference: str | None
    #: The payment terms as written (BT-20), e.g. "Zahlbar netto bis 11.03.2026".
    payment_terms: str | None
    buyer_reference: str | None
    order_reference: str | None
    lines: tuple[Line, ...]
    attachments: tuple[Attachment, ...]
    notes: tuple[str, ...]
    checks: tuple[Check, ...]

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.ok)

    def facts(self, *, embedded: bool = False) -> dict[str, object]:
        """The ``recognized`` object of the API (DESIGN.md §4), plus what only an e-invoice
        tells. ``source`` names the syntax, prefixed ``embedded_`` when the XML came out of a
        PDF (Factur-X, ZUGFeRD, an Odoo PDF)."""
        return {
            "supplier_name": self.supplier.name,
            "supplier_vat": self.supplier.vat,
            "invoice_number": self.invoice_number,
            "issue_date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "total_excl_vat": decimal_string(self.total_excl_vat),
            "total_vat": decimal_string(self.total_vat),
            "total_incl_vat": decimal_string(self.total_incl_vat),
            "payable_amount": decimal_string(self.payable_amount),
            "currency": self.currency,
            "iban": self.iban,
            "structured_reference": self.structured_reference,
            "confidence": "1.00",
            "document_type": self.document_type,
            "supplier_enterprise_number": self.supplier.enterprise_number,
            "supplier_endpoint": self.supplier.endpoint,
            "customer_name": self.customer.name,
            "customer_vat": self.customer.vat,
            "payment_reference": self.payment_reference,
            "vat_breakdown": [
                {
                    "category": line.category,
                    "percent": decimal_string(line.percent) if line.percent is not None else None,
                    "taxable_amount": decimal_string(line.taxable_amount),
                    "tax_amount": decimal_string(line.tax_amount),
                }
                for line in self.vat_breakdown
            ],
            "source": f"embedded_{self.syntax}" if embedded else self.syntax,
            "checks_failed": list(dict.fromkeys(check.code for check in self.failed_checks)),
        }


def decimal_string(value: Decimal) -> str:
    return format(value, "f")


def _amount_text(value: Decimal) -> str:
    """An amount as the reader writes it ("1.234,56" in French), at least two decimals."""
    exponent = value.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return formats.number_format(value, places, use_l10n=True, force_grouping=True)


#: An amount in a message, formatted in the language active when the message is shown.
lazy_amount = lazy(_amount_text, str)


def vat_number(value: str | None) -> str | None:
    """A VAT number without separators, its country prefix upper case; a Belgian number with
    its ten digits (``BE 0123.456.749`` and ``BE123456749`` read ``BE0123456749``)."""
    if not value:
        return None
    number = re.sub(r"[\s.\-/]", "", value).upper()
    if number.startswith("BE"):
        digits = be_vat.compact(number)
        if len(digits) == 10 and digits.isdigit():
            return f"BE{digits}"
    return number or None


def vat_valid(number: str) -> bool | None:
    """Whether the VAT number is valid; None when no rule is known for its country."""
    country = number[:2].lower()
    if country in eu_vat.MEMBER_STATES or country in ("el", "xi"):
        return bool(eu_vat.is_valid(number))
    try:
        module = get_cc_module(country, "vat")
    except (ImportError, ValidationError):  # pragma: no cover - unusual prefixes
        module = None
    return bool(module.is_valid(number)) if module is not None else None


def enterprise_number(
    *, legal_id: str, legal_scheme: str, vat: str | None, endpoint_id: str, endpoint_scheme: str
) -> str | None:
    """The Belgian enterprise (KBO/BCE) number: the legal registration with scheme 0208, or
    the ten digits of a Belgian VAT number (legal registration, VAT, or a 0208/9925 endpoint)."""
    candidates = []
    if legal_id and (legal_scheme == "0208" or legal_id.upper().startswith("BE")):
        candidates.append(legal_id)
    if vat and vat.startswith("BE"):
        candidates.append(vat)
    if endpoint_scheme in ("0208", "9925"):
        candidates.append(endpoint_id)
    for candidate in candidates:
        digits = be_vat.compact(candidate)
        if be_vat.is_valid(digits):
            return str(digits)
    return None


def party(
    *,
    name: str | None,
    trading_name: str | None,
    vat: str | None,
    legal: tuple[str, str],
    endpoint: tuple[str, str],
    streets: list[str | None],
    city: str | None,
    postal_code: str | None,
    country: str | None,
) -> Party:
    """A party from what its syntax says: ``legal`` and ``endpoint`` are (identifier, scheme)."""
    number = vat_number(vat)
    endpoint_id, endpoint_scheme = endpoint
    return Party(
        name=name or "",
        trading_name=trading_name,
        vat=number,
        enterprise_number=enterprise_number(
            legal_id=legal[0],
            legal_scheme=legal[1],
            vat=number,
            endpoint_id=endpoint_id,
            endpoint_scheme=endpoint_scheme,
        ),
        endpoint=(
            (f"{endpoint_scheme}:{endpoint_id}" if endpoint_scheme else endpoint_id)
            if endpoint_id
            else None
        ),
        street=", ".join(street for street in streets if street) or None,
        city=city,
        postal_code=postal_code,
        country=country,
    )


def iban_or_none(account: str | None) -> str | None:
    if not account:
        return None
    number = iban_number.compact(account)
    return str(number) if iban_number.is_valid(number) else None


def structured_reference(payment_id: str | None) -> str | None:
    """A Belgian structured communication (OGM/VCS) as ``+++123/4567/89002+++``."""
    if not payment_id:
        return None
    digits = ogm_vcs.compact(payment_id.strip().strip("*"))
    if not ogm_vcs.is_valid(digits):
        return None
    return f"+++{ogm_vcs.format(digits)}+++"


_TERMS_DUE = re.compile(
    r"\b(?:netto|net|nett|due|fällig|zahlbar|payable|à payer|te betalen|vervalt)\b[^.\d]{0,40}?"
    r"(?:(\d{1,2})[./](\d{1,2})[./](\d{4})|(\d{4})-(\d{2})-(\d{2}))(?!\d)",
    re.IGNORECASE,
)


def due_date_from_terms(terms: str | None) -> date | None:
    """The net due date that CII payment terms state in words when the invoice gives no due
    date (BT-9): a date right after "netto", "net", "due", "zahlbar", "payable"… ("3 % Skonto
    bis 21.02.2026, netto bis 11.03.2026" gives 11.03.2026; a discount date alone, nothing)."""
    found = []
    for match in _TERMS_DUE.finditer(terms or ""):
        day, month, year = (
            (match.group(1), match.group(2), match.group(3))
            if match.group(1)
            else (match.group(6), match.group(5), match.group(4))
        )
        try:
            found.append(date(int(year), int(month), int(day)))
        except ValueError:
            continue
    return max(found, default=None)


# --- Attachments ---------------------------------------------------------------------------


def clean_name(name: str) -> str:
    """A name fit to show in a message: no path, no control or bidi characters, bounded (the
    receiving side makes it a safe file name before anything is stored)."""
    name = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    return " ".join(name.split())[:150]


def attachments_decode(
    found: Iterable[tuple[str, str, str, str]],
) -> tuple[tuple[Attachment, ...], list[Check]]:
    """Each attachment of an e-invoice, given as (base64 text, file name, declared type,
    description), decoded; the checks of those left out or not what they declare."""
    attachments: list[Attachment] = []
    checks: list[Check] = []
    for encoded, filename, declared, description in found:
        attachment, failed = attachment_decode(
            encoded=encoded, filename=filename, declared=declared, description=description
        )
        checks += failed
        if attachment is not None:
            attachments.append(attachment)
    return tuple(attachments), checks


def attachment_decode(
    *, encoded: str, filename: str, declared: str, description: str
) -> tuple[Attachment | None, list[Check]]:
    """A base64 attachment of an e-invoice, decoded within the limit and sniffed; what cannot
    be decoded or is too large is left out with a failed check."""
    filename = clean_name(filename) or "attachment"
    encoded = "".join(encoded.split())
    content = None
    # Four base64 characters make three bytes: nothing too large is decoded.
    if len(encoded) <= (MAX_ATTACHMENT_SIZE + 2) // 3 * 4:
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            message = _("The attachment %(name)s cannot be decoded and was left out.")
            return None, [
                Check("attachment_unreadable", lazy_format(message, name=filename), ok=False)
            ]
    if content is None or len(content) > MAX_ATTACHMENT_SIZE:
        message = _("The attachment %(name)s is larger than %(limit)s and was left out.")
        limit = lazy_filesize(MAX_ATTACHMENT_SIZE)
        return None, [
            Check(
                "attachment_too_large", lazy_format(message, name=filename, limit=limit), ok=False
            )
        ]
    declared = declared.split(";")[0].strip().lower()
    sniffed = magic.from_buffer(content[:SNIFF_BYTES], mime=True)
    matches = sniffed in ATTACHMENT_TYPES.get(declared, frozenset())
    attachment = Attachment(
        filename=filename,
        declared_type=declared,
        content=content,
        description=description,
        sniffed_type=sniffed,
        type_matches=matches,
    )
    if matches:
        return attachment, []
    message = _(
        "The attachment %(name)s is not what it declares (%(declared)s) "
        "or not a type Peppol allows: open it with care."
    )
    return attachment, [
        Check(
            "attachment_type",
            lazy_format(message, name=filename, declared=declared or "—"),
            ok=False,
        )
    ]


# --- Consistency ---------------------------------------------------------------------------


def _sum_check(
    code: str, computed: Decimal | None, stated: Decimal, ok_message: Promise, failed: Promise
) -> Check:
    if computed is not None and computed == stated:
        return Check(code, ok_message, ok=True)
    return Check(
        code,
        lazy_format(
            failed,
            computed="—" if computed is None else lazy_amount(computed),
            stated=lazy_amount(stated),
        ),
        ok=False,
    )


def consistency_checks(invoice: EInvoice) -> list[Check]:
    """The EN 16931 sums (BR-CO-10, 13, 14, 15, 16), the supplier's VAT number and the IBAN."""
    line_totals = [line.line_total for line in invoice.lines]
    zero = Decimal(0)
    checks = []
    net = invoice.line_extension_amount
    # CII's MINIMUM and BASIC WL profiles carry no lines, MINIMUM not even their net total.
    if net is not None and invoice.lines:
        checks.append(
            _sum_check(
                "lines_total",
                None if None in line_totals else sum((t or zero for t in line_totals), zero),
                net,
                _("The invoice lines add up to the net total."),
                _(
                    "The invoice lines add up to %(computed)s, not to the stated net total "
                    "%(stated)s."
                ),
            )
        )
    if net is not None:
        checks.append(
            _sum_check(
                "tax_exclusive_total",
                net - (invoice.allowance_total or zero) + (invoice.charge_total or zero),
                invoice.total_excl_vat,
                _("The net total, allowances and charges add up to the total excluding VAT."),
                _(
                    "The net total less allowances plus charges is %(computed)s, not the stated "
                    "total excluding VAT %(stated)s."
                ),
            )
        )
    checks += [
        _sum_check(
            "tax_inclusive_total",
            invoice.total_excl_vat + invoice.total_vat,
            invoice.total_incl_vat,
            _("The total excluding VAT plus VAT is the total including VAT."),
            _(
                "The total excluding VAT plus VAT is %(computed)s, not the stated total "
                "including VAT %(stated)s."
            ),
        ),
        _sum_check(
            "payable_amount",
            invoice.total_incl_vat
            - (invoice.prepaid_amount or zero)
            + (invoice.rounding_amount or zero),
            invoice.payable_amount,
            _("The amount due follows from the total including VAT."),
            _(
                "The total including VAT less prepaid amounts plus rounding is %(computed)s, "
                "not the stated amount due %(stated)s."
            ),
        ),
    ]
    if invoice.vat_breakdown:  # none in CII's MINIMUM profile
        checks.append(
            _sum_check(
                "vat_breakdown_total",
                sum((line.tax_amount for line in invoice.vat_breakdown), zero),
                invoice.total_vat,
                _("The VAT breakdown adds up to the VAT total."),
                _(
                    "The VAT breakdown adds up to %(computed)s, not to the stated VAT total "
                    "%(stated)s."
                ),
            )
        )
    vat = invoice.supplier.vat
    valid = vat_valid(vat) if vat else None
    if vat and valid is not None:
        checks.append(
            Check("supplier_vat", _("The supplier's VAT number is valid."), ok=True)
            if valid
            else Check(
                "supplier_vat",
                lazy_format(_("The supplier's VAT number %(vat)s is not valid."), vat=vat),
                ok=False,
            )
        )
    if invoice.payee_account:
        checks.append(
            Check("iban", _("The IBAN is valid."), ok=True)
            if invoice.iban
            else Check(
                "iban",
                lazy_format(
                    _("The bank account %(account)s is not a valid IBAN."),
                    account=invoice.payee_account,
                ),
                ok=False,
            )
        )
    return checks
