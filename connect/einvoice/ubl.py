"""Peppol BIS Billing 3.0 e-invoices (UBL 2.1 Invoice and CreditNote) read exactly: the UBL
reader of the e-invoice package. The XML comes through ``connect.einvoice.xml`` (no DOCTYPE,
entities or network); the facts go into the shared model (``connect.einvoice.model``)."""

from dataclasses import replace
from typing import Literal, TypeVar

from lxml import etree

from connect.einvoice.attachments import attachments_decode
from connect.einvoice.checks import consistency_checks
from connect.einvoice.model import Attachment, Check, EInvoice, Line, Party, VatLine
from connect.einvoice.values import iban_or_none, party, structured_reference
from connect.einvoice.xml import Reader, decimal, incomplete, iso_date

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
X = Reader(NS)

_T = TypeVar("_T")


def is_ubl(root: etree._Element) -> bool:
    return str(root.tag) in DOCUMENT_TYPES


def read(root: etree._Element) -> EInvoice:
    """The facts of a UBL invoice or credit note (``root`` passed ``is_ubl``); ``EInvoiceError``
    when it lacks a mandatory fact or holds an invalid value."""
    document_type = DOCUMENT_TYPES[str(root.tag)]
    currency = X.text(root, "cbc:DocumentCurrencyCode") or ""
    supplier = X.node(root, "cac:AccountingSupplierParty/cac:Party")
    # The VAT total in the document's currency (a second one may give it in the tax currency).
    in_currency = X.nodes(
        root, "cac:TaxTotal[cbc:TaxAmount/@currencyID = $currency]", currency=currency
    )
    tax_total = in_currency[0] if in_currency else X.node(root, "cac:TaxTotal[cbc:TaxAmount]")
    totals = X.node(root, "cac:LegalMonetaryTotal")
    required = {
        "ID": X.text(root, "cbc:ID"),
        "IssueDate": X.text(root, "cbc:IssueDate"),
        "DocumentCurrencyCode": currency,
        "AccountingSupplierParty": supplier is not None,
        "RegistrationName": supplier is None or _party_name(supplier),
        "TaxTotal": tax_total is not None,
        **{
            name: X.text(totals, f"cbc:{name}")
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
        raise incomplete(missing)
    account = X.text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID")
    payment_id = X.text(root, "cac:PaymentMeans/cbc:PaymentID")
    terms = X.text(root, "cac:PaymentTerms/cbc:Note")
    structured = structured_reference(payment_id)
    attachments, attachment_checks = _attachments(root)
    invoice = EInvoice(
        syntax="ubl",
        document_type=document_type,
        invoice_number=_required(X.text(root, "cbc:ID")),
        issue_date=_required(iso_date(X.text(root, "cbc:IssueDate"), "IssueDate")),
        due_date=iso_date(
            X.text(root, "cbc:DueDate") or X.text(root, "cac:PaymentMeans/cbc:PaymentDueDate"),
            "DueDate",
        ),
        currency=currency,
        supplier=_party(supplier),
        customer=_party(X.node(root, "cac:AccountingCustomerParty/cac:Party")),
        line_extension_amount=_required(X.amount(totals, "cbc:LineExtensionAmount")),
        total_excl_vat=_required(X.amount(totals, "cbc:TaxExclusiveAmount")),
        total_vat=_required(X.amount(tax_total, "cbc:TaxAmount")),
        total_incl_vat=_required(X.amount(totals, "cbc:TaxInclusiveAmount")),
        payable_amount=_required(X.amount(totals, "cbc:PayableAmount")),
        allowance_total=X.amount(totals, "cbc:AllowanceTotalAmount"),
        charge_total=X.amount(totals, "cbc:ChargeTotalAmount"),
        prepaid_amount=X.amount(totals, "cbc:PrepaidAmount"),
        rounding_amount=X.amount(totals, "cbc:PayableRoundingAmount"),
        vat_breakdown=tuple(_vat_line(node) for node in X.nodes(tax_total, "cac:TaxSubtotal")),
        iban=iban_or_none(account),
        payee_account=account,
        structured_reference=structured,
        payment_reference=None if structured else payment_id,
        payment_terms=terms,
        buyer_reference=X.text(root, "cbc:BuyerReference"),
        order_reference=X.text(root, "cac:OrderReference/cbc:ID"),
        lines=tuple(_line(node) for node in X.nodes(root, "cac:InvoiceLine | cac:CreditNoteLine")),
        attachments=attachments,
        notes=tuple(
            text for node in X.nodes(root, "cbc:Note") if (text := (node.text or "").strip())
        ),
        checks=(),
    )
    return replace(invoice, checks=(*consistency_checks(invoice), *attachment_checks))


def _required(value: _T | None) -> _T:
    """A mandatory value, already known to be present (``read`` lists what is missing)."""
    if value is None:  # pragma: no cover - guarded by the list of required facts
        raise incomplete([])
    return value


def _party_name(party: etree._Element) -> str | None:
    return X.text(party, "cac:PartyLegalEntity/cbc:RegistrationName") or X.text(
        party, "cac:PartyName/cbc:Name"
    )


def _party(node: etree._Element | None) -> Party:
    address = "cac:PostalAddress"
    return party(
        name=_party_name(node) if node is not None else None,
        trading_name=X.text(node, "cac:PartyName/cbc:Name"),
        vat=X.text(node, "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']/cbc:CompanyID"),
        legal=X.identifier(node, "cac:PartyLegalEntity/cbc:CompanyID"),
        endpoint=X.identifier(node, "cbc:EndpointID"),
        streets=[
            X.text(node, f"{address}/cbc:StreetName"),
            X.text(node, f"{address}/cbc:AdditionalStreetName"),
        ],
        city=X.text(node, f"{address}/cbc:CityName"),
        postal_code=X.text(node, f"{address}/cbc:PostalZone"),
        country=X.text(node, f"{address}/cac:Country/cbc:IdentificationCode"),
    )


def _vat_line(node: etree._Element) -> VatLine:
    taxable = X.amount(node, "cbc:TaxableAmount")
    tax = X.amount(node, "cbc:TaxAmount")
    category = X.text(node, "cac:TaxCategory/cbc:ID")
    if taxable is None or tax is None or category is None:
        raise incomplete(["TaxSubtotal"])
    return VatLine(
        category=category,
        percent=X.percent(node, "cac:TaxCategory/cbc:Percent"),
        taxable_amount=taxable,
        tax_amount=tax,
    )


def _line(node: etree._Element) -> Line:
    quantity = X.node(node, "cbc:InvoicedQuantity | cbc:CreditedQuantity")
    quantity_text = (quantity.text or "").strip() if quantity is not None else ""
    return Line(
        id=X.text(node, "cbc:ID") or "",
        description=X.text(node, "cac:Item/cbc:Name") or "",
        quantity=decimal(quantity_text or None, "InvoicedQuantity"),
        unit_code=(quantity.get("unitCode") or None) if quantity is not None else None,
        unit_price=X.amount(node, "cac:Price/cbc:PriceAmount"),
        base_quantity=decimal(X.text(node, "cac:Price/cbc:BaseQuantity"), "BaseQuantity"),
        line_total=X.amount(node, "cbc:LineExtensionAmount"),
        vat_category=X.text(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
        vat_percent=X.percent(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
    )


def _attachments(root: etree._Element) -> tuple[tuple[Attachment, ...], list[Check]]:
    return attachments_decode(
        (
            binary.text or "",
            binary.get("filename") or X.text(reference, "cbc:ID") or "attachment",
            binary.get("mimeCode") or "",
            X.text(reference, "cbc:DocumentDescription") or "",
        )
        for reference in X.nodes(root, "cac:AdditionalDocumentReference")
        if (binary := X.node(reference, "cac:Attachment/cbc:EmbeddedDocumentBinaryObject"))
        is not None
    )
