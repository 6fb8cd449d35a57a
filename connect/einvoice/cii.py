"""UN/CEFACT Cross Industry Invoice (CII D16B), the syntax of Factur-X, ZUGFeRD 2.x and
XRechnung CII, read exactly into the shared fact model: every fact the UBL reader reads. Its
predecessor ZUGFeRD 1.0 (``CrossIndustryDocument``, CII D13B; German invoices of 2014–2019 still
arrive) is the same model under other element names: a second ``Dialect``.

Profiles differ in what they carry: MINIMUM has no lines, no VAT breakdown and may omit the net
total and the VAT total (then the VAT is the grand total less the total excluding VAT, BR-CO-15);
BASIC WL has no lines. What a profile leaves out stays empty and its checks are skipped.
"""

from dataclasses import dataclass, replace
from typing import Literal

from lxml import etree

from connect.einvoice.attachments import attachments_decode
from connect.einvoice.checks import consistency_checks
from connect.einvoice.model import Attachment, Check, EInvoice, Line, Party, VatLine
from connect.einvoice.values import due_date_from_terms, iban_or_none, party, structured_reference
from connect.einvoice.xml import (
    Reader,
    amount,
    compact_date,
    decimal,
    incomplete,
)


@dataclass(frozen=True)
class Dialect:
    """Where one version of CII keeps each fact."""

    root: str
    namespaces: dict[str, str]
    document: str
    transaction: str
    agreement: str
    settlement: str
    summation: str
    rate: str
    order: str
    line_agreement: str
    line_delivery: str
    line_settlement: str
    line_summation: str
    #: ZUGFeRD 1.0 may leave out the amount due (then the total less what was prepaid) and,
    #: in BASIC, the VAT category (then a positive rate is the standard one, S).
    payable_required: bool = True

    @property
    def x(self) -> Reader:
        return Reader(self.namespaces)


D16B = Dialect(
    root="{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice",
    namespaces={
        "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
        "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    },
    document="rsm:ExchangedDocument",
    transaction="rsm:SupplyChainTradeTransaction",
    agreement="rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement",
    settlement="rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement",
    summation="ram:SpecifiedTradeSettlementHeaderMonetarySummation",
    rate="ram:RateApplicablePercent",
    order="ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
    line_agreement="ram:SpecifiedLineTradeAgreement",
    line_delivery="ram:SpecifiedLineTradeDelivery",
    line_settlement="ram:SpecifiedLineTradeSettlement",
    line_summation="ram:SpecifiedTradeSettlementLineMonetarySummation",
)
ZUGFERD_1 = Dialect(
    root="{urn:ferd:CrossIndustryDocument:invoice:1p0}CrossIndustryDocument",
    namespaces={
        "rsm": "urn:ferd:CrossIndustryDocument:invoice:1p0",
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
        "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
    },
    document="rsm:HeaderExchangedDocument",
    transaction="rsm:SpecifiedSupplyChainTradeTransaction",
    agreement="rsm:SpecifiedSupplyChainTradeTransaction/ram:ApplicableSupplyChainTradeAgreement",
    settlement="rsm:SpecifiedSupplyChainTradeTransaction/ram:ApplicableSupplyChainTradeSettlement",
    summation="ram:SpecifiedTradeSettlementMonetarySummation",
    rate="ram:ApplicablePercent",
    order="ram:BuyerOrderReferencedDocument/ram:ID",
    line_agreement="ram:SpecifiedSupplyChainTradeAgreement",
    line_delivery="ram:SpecifiedSupplyChainTradeDelivery",
    line_settlement="ram:SpecifiedSupplyChainTradeSettlement",
    line_summation="ram:SpecifiedTradeSettlementMonetarySummation",
    payable_required=False,
)
DIALECTS = {dialect.root: dialect for dialect in (D16B, ZUGFERD_1)}
#: UNTDID 1001 codes of credit notes (EN 16931 code list); every other code is an invoice.
CREDIT_NOTE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "532"})


def is_cii(root: etree._Element) -> bool:
    return str(root.tag) in DIALECTS


def read(root: etree._Element) -> EInvoice:
    """The facts of a CII invoice or credit note (``root`` passed ``is_cii``); ``EInvoiceError``
    when it lacks a mandatory fact or holds an invalid value."""
    d = DIALECTS[str(root.tag)]
    X = d.x
    currency = X.text(root, f"{d.settlement}/ram:InvoiceCurrencyCode") or ""
    seller = X.node(root, f"{d.agreement}/ram:SellerTradeParty")
    totals = X.node(root, f"{d.settlement}/{d.summation}")
    number = X.text(root, f"{d.document}/ram:ID")
    issued = X.text(root, f"{d.document}/ram:IssueDateTime/udt:DateTimeString")
    excl = X.amount(totals, "ram:TaxBasisTotalAmount")
    incl = X.amount(totals, "ram:GrandTotalAmount")
    payable = X.amount(totals, "ram:DuePayableAmount")
    if payable is None and not d.payable_required and incl is not None:
        payable = incl - (X.amount(totals, "ram:TotalPrepaidAmount") or 0)
    required = {
        "ExchangedDocument/ID": number,
        "IssueDateTime": issued,
        "InvoiceCurrencyCode": currency,
        "SellerTradeParty": seller is not None,
        "SellerTradeParty/Name": seller is None or X.text(seller, "ram:Name"),
        "TaxBasisTotalAmount": excl is not None,
        "GrandTotalAmount": incl is not None,
        "DuePayableAmount": payable is not None,
    }
    missing = [name for name, value in required.items() if not value]
    issue_date = compact_date(issued, "IssueDateTime")
    if missing or number is None or issue_date is None or seller is None:
        raise incomplete(missing)
    assert excl is not None and incl is not None and payable is not None  # noqa: S101 - required
    # The VAT total in the invoice currency (a second one may give it in the tax currency);
    # without one (MINIMUM), the grand total less the total excluding VAT (BR-CO-15).
    vat_totals = X.nodes(totals, "ram:TaxTotalAmount")
    in_currency = [node for node in vat_totals if node.get("currencyID") in (None, currency)]
    # Only in the tax currency: not the invoice's VAT, which is then the total less the net.
    chosen = (in_currency or [None])[0]
    tax_total = (
        amount((chosen.text or "").strip() or None, "TaxTotalAmount")
        if chosen is not None
        else incl - excl
    )
    type_code = X.text(root, f"{d.document}/ram:TypeCode") or "380"
    document_type: Literal["invoice", "credit_note"] = (
        "credit_note" if type_code in CREDIT_NOTE_CODES else "invoice"
    )
    means = X.nodes(root, f"{d.settlement}/ram:SpecifiedTradeSettlementPaymentMeans")
    account = next(
        (
            text
            for node in means
            for text in (
                X.text(node, "ram:PayeePartyCreditorFinancialAccount/ram:IBANID"),
                X.text(node, "ram:PayeePartyCreditorFinancialAccount/ram:ProprietaryID"),
            )
            if text
        ),
        None,
    )
    payment_id = X.text(root, f"{d.settlement}/ram:PaymentReference")
    terms = X.text(root, f"{d.settlement}/ram:SpecifiedTradePaymentTerms/ram:Description")
    structured = structured_reference(payment_id)
    attachments, attachment_checks = _attachments(d, root)
    invoice = EInvoice(
        syntax="cii",
        document_type=document_type,
        invoice_number=number,
        issue_date=issue_date,
        due_date=compact_date(
            X.text(
                root,
                f"{d.settlement}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/"
                "udt:DateTimeString",
            ),
            "DueDateDateTime",
        )
        or due_date_from_terms(terms),
        currency=currency,
        supplier=_party(d, seller),
        customer=_party(d, X.node(root, f"{d.agreement}/ram:BuyerTradeParty")),
        line_extension_amount=X.amount(totals, "ram:LineTotalAmount"),
        total_excl_vat=excl,
        total_vat=tax_total if tax_total is not None else incl - excl,
        total_incl_vat=incl,
        payable_amount=payable,
        allowance_total=X.amount(totals, "ram:AllowanceTotalAmount"),
        charge_total=X.amount(totals, "ram:ChargeTotalAmount"),
        prepaid_amount=X.amount(totals, "ram:TotalPrepaidAmount"),
        rounding_amount=X.amount(totals, "ram:RoundingAmount"),
        vat_breakdown=tuple(
            _vat_line(d, node) for node in X.nodes(root, f"{d.settlement}/ram:ApplicableTradeTax")
        ),
        iban=iban_or_none(account),
        payee_account=account,
        structured_reference=structured,
        payment_reference=None if structured else payment_id,
        payment_terms=terms,
        buyer_reference=X.text(root, f"{d.agreement}/ram:BuyerReference"),
        order_reference=X.text(root, f"{d.agreement}/{d.order}"),
        lines=tuple(
            _line(d, node)
            for node in X.nodes(root, f"{d.transaction}/ram:IncludedSupplyChainTradeLineItem")
        ),
        attachments=attachments,
        notes=tuple(
            text
            for node in X.nodes(root, f"{d.document}/ram:IncludedNote/ram:Content")
            if (text := (node.text or "").strip())
        ),
        checks=(),
    )
    return replace(invoice, checks=(*consistency_checks(invoice), *attachment_checks))


def _party(d: Dialect, node: etree._Element | None) -> Party:
    X = d.x
    address = X.node(node, "ram:PostalTradeAddress")
    return party(
        name=X.text(node, "ram:Name"),
        trading_name=X.text(node, "ram:SpecifiedLegalOrganization/ram:TradingBusinessName"),
        vat=X.text(node, "ram:SpecifiedTaxRegistration/ram:ID[@schemeID = 'VA']"),
        legal=X.identifier(node, "ram:SpecifiedLegalOrganization/ram:ID"),
        endpoint=X.identifier(node, "ram:URIUniversalCommunication/ram:URIID"),
        streets=[X.text(address, f"ram:Line{n}") for n in ("One", "Two", "Three")],
        city=X.text(address, "ram:CityName"),
        postal_code=X.text(address, "ram:PostcodeCode"),
        country=X.text(address, "ram:CountryID"),
    )


def _vat_line(d: Dialect, node: etree._Element) -> VatLine:
    X = d.x
    taxable = X.amount(node, "ram:BasisAmount")
    tax = X.amount(node, "ram:CalculatedAmount")
    category = X.text(node, "ram:CategoryCode")
    percent = X.percent(node, d.rate)
    if category is None and not d.payable_required and percent:
        category = "S"  # ZUGFeRD 1.0 BASIC names no category: a positive rate is the standard
    if taxable is None or tax is None or category is None:
        raise incomplete(["ApplicableTradeTax"])
    return VatLine(
        category=category,
        percent=percent,
        taxable_amount=taxable,
        tax_amount=tax,
    )


def _line(d: Dialect, node: etree._Element) -> Line:
    X = d.x
    quantity = X.node(node, f"{d.line_delivery}/ram:BilledQuantity")
    quantity_text = (quantity.text or "").strip() if quantity is not None else ""
    price = f"{d.line_agreement}/ram:NetPriceProductTradePrice"
    settlement = d.line_settlement
    return Line(
        id=X.text(node, "ram:AssociatedDocumentLineDocument/ram:LineID") or "",
        description=X.text(node, "ram:SpecifiedTradeProduct/ram:Name") or "",
        quantity=decimal(quantity_text or None, "BilledQuantity"),
        unit_code=(quantity.get("unitCode") or None) if quantity is not None else None,
        unit_price=X.amount(node, f"{price}/ram:ChargeAmount"),
        base_quantity=decimal(X.text(node, f"{price}/ram:BasisQuantity"), "BasisQuantity"),
        line_total=X.amount(
            node,
            f"{settlement}/{d.line_summation}/ram:LineTotalAmount",
        ),
        vat_category=X.text(node, f"{settlement}/ram:ApplicableTradeTax/ram:CategoryCode"),
        vat_percent=X.percent(node, f"{settlement}/ram:ApplicableTradeTax/{d.rate}"),
    )


def _attachments(d: Dialect, root: etree._Element) -> tuple[tuple[Attachment, ...], list[Check]]:
    X = d.x
    return attachments_decode(
        (
            binary.text or "",
            binary.get("filename") or X.text(reference, "ram:IssuerAssignedID") or "",
            binary.get("mimeCode") or "",
            X.text(reference, "ram:Name") or "",
        )
        for reference in X.nodes(root, f"{d.agreement}/ram:AdditionalReferencedDocument")
        if (binary := X.node(reference, "ram:AttachmentBinaryObject")) is not None
    )
