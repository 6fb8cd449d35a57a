"""Peppol BIS Billing 3.0 e-invoices (UBL Invoice and CreditNote) read exactly and safely.

The XML is parsed by lxml with entities, DTDs and the network switched off, after a look at the
prolog that refuses any DOCTYPE or entity declaration before the parser sees it. Amounts are
``Decimal``, never float. Mandatory facts that are missing make the document unreadable
(``UblError``); inconsistencies (totals that do not add up, an invalid IBAN or VAT number, an
attachment that is not what it says) are ``Check`` results shown to the user, never refusals.
"""

import base64
import binascii
import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Literal, TypeVar

import magic
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree
from stdnum import iban as iban_number
from stdnum.be import ogm_vcs
from stdnum.be import vat as be_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.util import get_cc_module

# A module import (not ``from connect.files import ...``): connect.files imports this module too.
from connect import files

INVOICE = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
CREDIT_NOTE = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
DOCUMENT_TYPES: dict[str, Literal["invoice", "credit_note"]] = {
    INVOICE: "invoice",
    CREDIT_NOTE: "credit_note",
}
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
MAX_SIZE = 100 * 1024 * 1024
MAX_ATTACHMENT_SIZE = 20 * 1024 * 1024
PROLOG_SCAN = 64 * 1024
FORBIDDEN_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
#: xs:decimal without exponent, NaN or infinity; bounded so no huge Decimal is built.
DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
MAX_DECIMAL_LENGTH = 40
DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?")
CENT = Decimal("0.01")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
#: Attachment types Peppol BIS allows, and what libmagic may answer for each of them.
ATTACHMENT_TYPES: dict[str, frozenset[str]] = {
    "application/pdf": frozenset({"application/pdf"}),
    "image/png": frozenset({"image/png"}),
    "image/jpeg": frozenset({"image/jpeg"}),
    "text/csv": frozenset({"text/csv", "text/plain"}),
    XLSX: frozenset({XLSX, "application/zip"}),  # some libmagic versions only see the zip
    ODS: frozenset({ODS}),
}
SNIFF_BYTES = 1024 * 1024

_T = TypeVar("_T")

_interpolate = lazy(lambda message, params: str(message) % params, str)
_lazy_filesize = lazy(filesizeformat, str)


def _lazy_format(message: str | Promise, **params: object) -> str:
    """``message % params``, translated when shown rather than when the file is read."""
    return _interpolate(message, params)


class UblError(Exception):
    """The file cannot be read as an e-invoice: ``code`` is a stable slug, ``message`` a
    translatable explanation for the user."""

    def __init__(self, message: str | Promise, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


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
class UblInvoice:
    document_type: Literal["invoice", "credit_note"]
    invoice_number: str
    issue_date: date
    due_date: date | None
    currency: str
    supplier: Party
    customer: Party
    line_extension_amount: Decimal
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
    buyer_reference: str | None
    order_reference: str | None
    lines: tuple[Line, ...]
    attachments: tuple[Attachment, ...]
    notes: tuple[str, ...]
    checks: tuple[Check, ...]

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.ok)

    def facts(self) -> dict[str, object]:
        """The ``recognized`` object of the API (DESIGN.md §4), plus what only UBL tells."""
        return {
            "supplier_name": self.supplier.name,
            "supplier_vat": self.supplier.vat,
            "invoice_number": self.invoice_number,
            "issue_date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "total_excl_vat": _decimal_string(self.total_excl_vat),
            "total_vat": _decimal_string(self.total_vat),
            "total_incl_vat": _decimal_string(self.total_incl_vat),
            "payable_amount": _decimal_string(self.payable_amount),
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
                    "percent": _decimal_string(line.percent) if line.percent is not None else None,
                    "taxable_amount": _decimal_string(line.taxable_amount),
                    "tax_amount": _decimal_string(line.tax_amount),
                }
                for line in self.vat_breakdown
            ],
            "source": "ubl",
            "checks_failed": list(dict.fromkeys(check.code for check in self.failed_checks)),
        }


def _decimal_string(value: Decimal) -> str:
    return format(value, "f")


# --- Parsing -------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )


def _forbidden() -> UblError:
    return UblError(
        _("The XML file contains a DOCTYPE or entities, which are not accepted."), "xml_forbidden"
    )


def _too_large(limit: int) -> UblError:
    return UblError(
        _lazy_format(_("The file is larger than %(limit)s."), limit=_lazy_filesize(limit)),
        "xml_too_large",
    )


def parse(source: bytes | Path, *, max_size: int = MAX_SIZE) -> UblInvoice:
    """Read a Peppol UBL invoice or credit note from its bytes or its file."""
    if isinstance(source, Path):
        if source.stat().st_size > max_size:
            raise _too_large(max_size)
        with source.open("rb") as handle:
            head = handle.read(PROLOG_SCAN)
            _check_prolog(head)
            handle.seek(0)
            root = _parse_xml(handle)
    else:
        if len(source) > max_size:
            raise _too_large(max_size)
        _check_prolog(source[:PROLOG_SCAN])
        root = _parse_xml(source)
    return _read(root)


def _check_prolog(head: bytes) -> None:
    # Removing NUL bytes lets the same pattern find the declaration in UTF-16 and UTF-32 too.
    if FORBIDDEN_DECLARATION.search(head) or FORBIDDEN_DECLARATION.search(head.replace(b"\0", b"")):
        raise _forbidden()


def _parse_xml(source: bytes | BinaryIO) -> etree._Element:
    parser = _parser()
    try:
        if isinstance(source, bytes):
            root = etree.fromstring(source, parser)
        else:
            root = etree.parse(source, parser).getroot()
    except etree.XMLSyntaxError as error:
        # Without huge_tree, libxml2 stops at a text node over 10 MB or a depth over 256.
        if error.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            raise UblError(
                _("The XML file holds an element too large or too deeply nested to be read."),
                "xml_too_large",
            ) from None
        raise UblError(_("The XML file is not well-formed."), "xml_broken") from None
    if root is None:
        raise UblError(_("The XML file is not well-formed."), "xml_broken")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _forbidden()
    return root


def _nodes(node: etree._Element, path: str, **variables: str) -> list[etree._Element]:
    found = node.xpath(path, namespaces=NS, **variables)
    return (
        [item for item in found if isinstance(item, etree._Element)]
        if isinstance(found, list)
        else []
    )


def _node(node: etree._Element | None, path: str) -> etree._Element | None:
    if node is None:
        return None
    found = _nodes(node, path)
    return found[0] if found else None


def _text(node: etree._Element | None, path: str) -> str | None:
    element = _node(node, path)
    text = (element.text or "").strip() if element is not None else ""
    return text or None


def _invalid(name: str) -> UblError:
    return UblError(
        _lazy_format(_("The e-invoice has an invalid value in %(field)s."), field=name),
        "ubl_invalid",
    )


def _decimal(text: str | None, name: str) -> Decimal | None:
    if text is None:
        return None
    if len(text) > MAX_DECIMAL_LENGTH or not DECIMAL.fullmatch(text):
        raise _invalid(name)
    return Decimal(text)


def _amount(node: etree._Element | None, path: str) -> Decimal | None:
    """An amount as written, with at least two decimals (``1300`` reads ``1300.00``)."""
    value = _decimal(_text(node, path), path.rsplit(":", 1)[-1])
    if value is not None and value.as_tuple().exponent > -2:  # type: ignore[operator]
        value = value.quantize(CENT)
    return value


def _percent(node: etree._Element | None, path: str) -> Decimal | None:
    """A rate without trailing zeros (``25.0`` reads ``25``)."""
    value = _decimal(_text(node, path), "Percent")
    if value is None:
        return None
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def _date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    match = DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return date.fromisoformat(match.group(1))
    except ValueError:
        raise _invalid(name) from None


def _read(root: etree._Element) -> UblInvoice:
    document_type = DOCUMENT_TYPES.get(str(root.tag))
    if document_type is None:
        raise UblError(_("The XML file is not a Peppol UBL invoice or credit note."), "xml_not_ubl")
    currency = _text(root, "cbc:DocumentCurrencyCode") or ""
    supplier = _node(root, "cac:AccountingSupplierParty/cac:Party")
    # The VAT total in the document's currency (a second one may give it in the tax currency).
    in_currency = _nodes(
        root, "cac:TaxTotal[cbc:TaxAmount/@currencyID = $currency]", currency=currency
    )
    tax_total = in_currency[0] if in_currency else _node(root, "cac:TaxTotal[cbc:TaxAmount]")
    totals = _node(root, "cac:LegalMonetaryTotal")
    required = {
        "ID": _text(root, "cbc:ID"),
        "IssueDate": _text(root, "cbc:IssueDate"),
        "DocumentCurrencyCode": currency,
        "AccountingSupplierParty": supplier is not None,
        "RegistrationName": supplier is None or _party_name(supplier),
        "TaxTotal": tax_total is not None,
        **{
            name: _text(totals, f"cbc:{name}")
            for name in (
                "LineExtensionAmount",
                "TaxExclusiveAmount",
                "TaxInclusiveAmount",
                "PayableAmount",
            )
        },
    }
    missing = [name for name, value in required.items() if not value]
    if missing or supplier is None or tax_total is None or totals is None:
        raise _incomplete(missing)
    account = _text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID")
    payment_id = _text(root, "cac:PaymentMeans/cbc:PaymentID")
    structured = _structured_reference(payment_id)
    attachments, attachment_checks = _attachments(root)
    invoice = UblInvoice(
        document_type=document_type,
        invoice_number=_required(_text(root, "cbc:ID")),
        issue_date=_required(_date(_text(root, "cbc:IssueDate"), "IssueDate")),
        due_date=_date(
            _text(root, "cbc:DueDate") or _text(root, "cac:PaymentMeans/cbc:PaymentDueDate"),
            "DueDate",
        ),
        currency=currency,
        supplier=_party(supplier),
        customer=_party(_node(root, "cac:AccountingCustomerParty/cac:Party")),
        line_extension_amount=_required(_amount(totals, "cbc:LineExtensionAmount")),
        total_excl_vat=_required(_amount(totals, "cbc:TaxExclusiveAmount")),
        total_vat=_required(_amount(tax_total, "cbc:TaxAmount")),
        total_incl_vat=_required(_amount(totals, "cbc:TaxInclusiveAmount")),
        payable_amount=_required(_amount(totals, "cbc:PayableAmount")),
        allowance_total=_amount(totals, "cbc:AllowanceTotalAmount"),
        charge_total=_amount(totals, "cbc:ChargeTotalAmount"),
        prepaid_amount=_amount(totals, "cbc:PrepaidAmount"),
        rounding_amount=_amount(totals, "cbc:PayableRoundingAmount"),
        vat_breakdown=tuple(_vat_line(node) for node in _nodes(tax_total, "cac:TaxSubtotal")),
        iban=_iban(account),
        payee_account=account,
        structured_reference=structured,
        payment_reference=None if structured else payment_id,
        buyer_reference=_text(root, "cbc:BuyerReference"),
        order_reference=_text(root, "cac:OrderReference/cbc:ID"),
        lines=tuple(_line(node) for node in _nodes(root, "cac:InvoiceLine | cac:CreditNoteLine")),
        attachments=attachments,
        notes=tuple(
            text for node in _nodes(root, "cbc:Note") if (text := (node.text or "").strip())
        ),
        checks=(),
    )
    return replace(invoice, checks=(*_consistency_checks(invoice), *attachment_checks))


def _incomplete(missing: list[str]) -> UblError:
    return UblError(
        _lazy_format(
            _("The e-invoice lacks mandatory facts: %(missing)s."), missing=", ".join(missing)
        ),
        "ubl_incomplete",
    )


def _required(value: _T | None) -> _T:
    """A mandatory value, already known to be present (``_read`` lists what is missing)."""
    if value is None:  # pragma: no cover - guarded by the list of required facts
        raise _incomplete([])
    return value


def _party_name(party: etree._Element) -> str | None:
    return _text(party, "cac:PartyLegalEntity/cbc:RegistrationName") or _text(
        party, "cac:PartyName/cbc:Name"
    )


def _party(party: etree._Element | None) -> Party:
    vat = _vat_number(
        _text(party, "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']/cbc:CompanyID")
    )
    endpoint = _node(party, "cbc:EndpointID")
    endpoint_id = (endpoint.text or "").strip() if endpoint is not None else ""
    endpoint_scheme = (endpoint.get("schemeID") or "").strip() if endpoint is not None else ""
    legal = _node(party, "cac:PartyLegalEntity/cbc:CompanyID")
    streets = [
        text
        for text in (
            _text(party, "cac:PostalAddress/cbc:StreetName"),
            _text(party, "cac:PostalAddress/cbc:AdditionalStreetName"),
        )
        if text
    ]
    trading_name = _text(party, "cac:PartyName/cbc:Name")
    return Party(
        name=(_party_name(party) if party is not None else None) or "",
        trading_name=trading_name,
        vat=vat,
        enterprise_number=_enterprise_number(
            legal_id=(legal.text or "").strip() if legal is not None else "",
            legal_scheme=(legal.get("schemeID") or "") if legal is not None else "",
            vat=vat,
            endpoint_id=endpoint_id,
            endpoint_scheme=endpoint_scheme,
        ),
        endpoint=(
            (f"{endpoint_scheme}:{endpoint_id}" if endpoint_scheme else endpoint_id)
            if endpoint_id
            else None
        ),
        street=", ".join(streets) or None,
        city=_text(party, "cac:PostalAddress/cbc:CityName"),
        postal_code=_text(party, "cac:PostalAddress/cbc:PostalZone"),
        country=_text(party, "cac:PostalAddress/cac:Country/cbc:IdentificationCode"),
    )


def _vat_number(value: str | None) -> str | None:
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


def _vat_valid(number: str) -> bool | None:
    """Whether the VAT number is valid; None when no rule is known for its country."""
    country = number[:2].lower()
    if country in eu_vat.MEMBER_STATES or country in ("el", "xi"):
        return bool(eu_vat.is_valid(number))
    try:
        module = get_cc_module(country, "vat")
    except (ImportError, ValidationError):  # pragma: no cover - unusual prefixes
        module = None
    return bool(module.is_valid(number)) if module is not None else None


def _enterprise_number(
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


def _iban(account: str | None) -> str | None:
    if not account:
        return None
    number = iban_number.compact(account)
    return str(number) if iban_number.is_valid(number) else None


def _structured_reference(payment_id: str | None) -> str | None:
    """A Belgian structured communication (OGM/VCS) as ``+++123/4567/89002+++``."""
    if not payment_id:
        return None
    digits = ogm_vcs.compact(payment_id.strip().strip("*"))
    if not ogm_vcs.is_valid(digits):
        return None
    return f"+++{ogm_vcs.format(digits)}+++"


def _vat_line(node: etree._Element) -> VatLine:
    taxable = _amount(node, "cbc:TaxableAmount")
    tax = _amount(node, "cbc:TaxAmount")
    category = _text(node, "cac:TaxCategory/cbc:ID")
    if taxable is None or tax is None or category is None:
        raise _incomplete(["TaxSubtotal"])
    return VatLine(
        category=category,
        percent=_percent(node, "cac:TaxCategory/cbc:Percent"),
        taxable_amount=taxable,
        tax_amount=tax,
    )


def _line(node: etree._Element) -> Line:
    quantity = _node(node, "cbc:InvoicedQuantity | cbc:CreditedQuantity")
    quantity_text = (quantity.text or "").strip() if quantity is not None else ""
    return Line(
        id=_text(node, "cbc:ID") or "",
        description=_text(node, "cac:Item/cbc:Name") or "",
        quantity=_decimal(quantity_text or None, "InvoicedQuantity"),
        unit_code=(quantity.get("unitCode") or None) if quantity is not None else None,
        unit_price=_amount(node, "cac:Price/cbc:PriceAmount"),
        base_quantity=_decimal(_text(node, "cac:Price/cbc:BaseQuantity"), "BaseQuantity"),
        line_total=_amount(node, "cbc:LineExtensionAmount"),
        vat_category=_text(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
        vat_percent=_percent(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
    )


# --- Attachments ---------------------------------------------------------------------------


def _attachments(root: etree._Element) -> tuple[tuple[Attachment, ...], list[Check]]:
    attachments: list[Attachment] = []
    checks: list[Check] = []
    for reference in _nodes(root, "cac:AdditionalDocumentReference"):
        binary = _node(reference, "cac:Attachment/cbc:EmbeddedDocumentBinaryObject")
        if binary is None:
            continue
        filename = files.safe_filename(
            binary.get("filename") or _text(reference, "cbc:ID") or "attachment"
        )
        encoded = "".join((binary.text or "").split())
        content = None
        # Four base64 characters make three bytes: nothing too large is decoded.
        if len(encoded) <= (MAX_ATTACHMENT_SIZE + 2) // 3 * 4:
            try:
                content = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                checks.append(
                    Check(
                        "attachment_unreadable",
                        _lazy_format(
                            _("The attachment %(name)s cannot be decoded and was left out."),
                            name=filename,
                        ),
                        ok=False,
                    )
                )
                continue
        if content is None or len(content) > MAX_ATTACHMENT_SIZE:
            checks.append(
                Check(
                    "attachment_too_large",
                    _lazy_format(
                        _("The attachment %(name)s is larger than %(limit)s and was left out."),
                        name=filename,
                        limit=_lazy_filesize(MAX_ATTACHMENT_SIZE),
                    ),
                    ok=False,
                )
            )
            continue
        declared = (binary.get("mimeCode") or "").split(";")[0].strip().lower()
        sniffed = magic.from_buffer(content[:SNIFF_BYTES], mime=True)
        matches = sniffed in ATTACHMENT_TYPES.get(declared, frozenset())
        attachments.append(
            Attachment(
                filename=filename,
                declared_type=declared,
                content=content,
                description=_text(reference, "cbc:DocumentDescription") or "",
                sniffed_type=sniffed,
                type_matches=matches,
            )
        )
        if not matches:
            checks.append(
                Check(
                    "attachment_type",
                    _lazy_format(
                        _(
                            "The attachment %(name)s is not what it declares (%(declared)s) "
                            "or not a type Peppol allows: open it with care."
                        ),
                        name=filename,
                        declared=declared or "—",
                    ),
                    ok=False,
                )
            )
    return tuple(attachments), checks


# --- Consistency ---------------------------------------------------------------------------


def _sum_check(
    code: str, computed: Decimal | None, stated: Decimal, ok_message: Promise, failed: Promise
) -> Check:
    if computed is not None and computed == stated:
        return Check(code, ok_message, ok=True)
    return Check(
        code,
        _lazy_format(
            failed,
            computed="—" if computed is None else _decimal_string(computed),
            stated=_decimal_string(stated),
        ),
        ok=False,
    )


def _consistency_checks(invoice: UblInvoice) -> list[Check]:
    """The EN 16931 sums (BR-CO-10, 13, 14, 15, 16), the supplier's VAT number and the IBAN."""
    line_totals = [line.line_total for line in invoice.lines]
    zero = Decimal(0)
    checks = [
        _sum_check(
            "lines_total",
            None if None in line_totals else sum((t or zero for t in line_totals), zero),
            invoice.line_extension_amount,
            _("The invoice lines add up to the net total."),
            _("The invoice lines add up to %(computed)s, not to the stated net total %(stated)s."),
        ),
        _sum_check(
            "tax_exclusive_total",
            invoice.line_extension_amount
            - (invoice.allowance_total or zero)
            + (invoice.charge_total or zero),
            invoice.total_excl_vat,
            _("The net total, allowances and charges add up to the total excluding VAT."),
            _(
                "The net total less allowances plus charges is %(computed)s, not the stated "
                "total excluding VAT %(stated)s."
            ),
        ),
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
        _sum_check(
            "vat_breakdown_total",
            sum((line.tax_amount for line in invoice.vat_breakdown), zero),
            invoice.total_vat,
            _("The VAT breakdown adds up to the VAT total."),
            _("The VAT breakdown adds up to %(computed)s, not to the stated VAT total %(stated)s."),
        ),
    ]
    vat = invoice.supplier.vat
    valid = _vat_valid(vat) if vat else None
    if vat and valid is not None:
        checks.append(
            Check("supplier_vat", _("The supplier's VAT number is valid."), ok=True)
            if valid
            else Check(
                "supplier_vat",
                _lazy_format(_("The supplier's VAT number %(vat)s is not valid."), vat=vat),
                ok=False,
            )
        )
    if invoice.payee_account:
        checks.append(
            Check("iban", _("The IBAN is valid."), ok=True)
            if invoice.iban
            else Check(
                "iban",
                _lazy_format(
                    _("The bank account %(account)s is not a valid IBAN."),
                    account=invoice.payee_account,
                ),
                ok=False,
            )
        )
    return checks
