"""The files of the demo's year of activity (``connect.demo``), made on the fly: invoices printed
as text PDFs, a bank statement and a payslip, a hybrid PDF that carries its Factur-X XML, a phone
photo of a till receipt, and Peppol UBL invoices adapted from the OpenPeppol examples kept in
``connect/demo_fixtures/`` (their origin is in the README there).

reportlab draws the PDFs; it is a development dependency (the demo never runs in production), so
it is imported when a PDF is drawn, not when this module is."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FIXTURES = Path(__file__).resolve().parent / "demo_fixtures"
CENT = Decimal("0.01")


def structured_reference(number: int) -> str:
    """A Belgian structured communication (+++123/4567/89002+++) with its check digits."""
    base = f"{number % 10**10:010d}"
    check = int(base) % 97 or 97
    digits = f"{base}{check:02d}"
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def amount_text(value: Decimal) -> str:
    """1234.5 as the Belgian way of printing it: 1.234,50."""
    whole, cents = f"{value:.2f}".split(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return ".".join(groups) + "," + cents


@dataclass(frozen=True)
class Party:
    name: str
    street: str
    city: str
    vat: str  # BE0123456789
    iban: str = ""

    @property
    def vat_printed(self) -> str:
        digits = self.vat[2:]
        return f"BE{digits[:4]}.{digits[4:7]}.{digits[7:]}"


@dataclass(frozen=True)
class InvoiceFacts:
    seller: Party
    buyer: Party
    number: str
    issued: date
    due: date
    lines: tuple[tuple[str, Decimal], ...]
    rate: Decimal
    reference: str = ""

    @property
    def net(self) -> Decimal:
        return sum((amount for _label, amount in self.lines), Decimal("0.00")).quantize(CENT)

    @property
    def vat(self) -> Decimal:
        return (self.net * self.rate / 100).quantize(CENT)

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


def _canvas() -> tuple[io.BytesIO, Any]:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    # invariant=True: no creation time nor random id in the file, so the same invoice gives
    # the same bytes (and the same sha256) on every run.
    return out, Canvas(out, pagesize=A4, invariant=True)


#: A line of a printed page: text, or a label and an amount (printed right-aligned).
Line = str | tuple[str, str]


def _text_pdf(lines: list[Line], *, title: str = "") -> bytes:
    """One A4 page of text; a line starting with ``**`` is bold."""
    out, canvas = _canvas()
    canvas.setTitle(title)
    y = 800
    for line in lines:
        label, amount = line if isinstance(line, tuple) else (line, "")
        bold = label.startswith("**")
        canvas.setFont("Helvetica-Bold" if bold else "Helvetica", 11)
        canvas.drawString(60, y, label.removeprefix("**"))
        if amount:
            canvas.drawRightString(520, y, amount)
        y -= 18
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def invoice_lines(facts: InvoiceFacts) -> list[Line]:
    """The invoice as accounting software prints it, one line of text each."""
    seller, buyer = facts.seller, facts.buyer
    rows: list[Line] = [
        f"**{seller.name}",
        f"{seller.street}, {seller.city}",
        f"TVA {seller.vat_printed}",
        "",
        f"Client : {buyer.name}, TVA {buyer.vat_printed}",
        f"{buyer.street}, {buyer.city}",
        "",
        f"**Facture n° {facts.number}",
        f"Date de facture : {facts.issued:%d/%m/%Y}",
        f"Échéance : {facts.due:%d/%m/%Y}",
        "",
    ]
    rows += [(label, amount_text(amount)) for label, amount in facts.lines]
    rows += [
        "",
        ("Total HTVA", f"{amount_text(facts.net)} EUR"),
        (f"TVA {facts.rate} %", f"{amount_text(facts.vat)} EUR"),
        ("**Total TVAC", f"{amount_text(facts.gross)} EUR"),
        "",
    ]
    if seller.iban:
        spaced = " ".join(seller.iban[i : i + 4] for i in range(0, len(seller.iban), 4))
        rows.append(f"IBAN {spaced}")
    if facts.reference:
        rows.append(f"Communication structurée {facts.reference}")
    return rows


def invoice_pdf(facts: InvoiceFacts) -> bytes:
    return _text_pdf(invoice_lines(facts), title=f"Facture {facts.number}")


def statement_pdf(*, bank: str, holder: str, iban: str, month: date, lines: list[Line]) -> bytes:
    """A monthly bank statement (the accountant shares it into the client's binder)."""
    return _text_pdf(
        [
            f"**{bank}",
            f"Extrait de compte — {month:%m/%Y}",
            f"Titulaire : {holder}",
            f"Compte : {iban}",
            "",
            *lines,
        ],
        title=f"Extrait {month:%Y-%m}",
    )


def payslip_pdf(*, employer: str, employee: str, month: date, gross: Decimal) -> bytes:
    net = (gross * Decimal("0.68")).quantize(CENT)
    return _text_pdf(
        [
            f"**Fiche de paie — {month:%m/%Y}",
            f"Employeur : {employer}",
            f"Travailleur : {employee}",
            "",
            ("Rémunération brute", f"{amount_text(gross)} EUR"),
            ("Rémunération nette", f"{amount_text(net)} EUR"),
        ],
        title=f"Fiche de paie {month:%Y-%m}",
    )


# --- e-invoices ------------------------------------------------------------------------------


def _day(value: date) -> str:
    return f'<udt:DateTimeString format="102">{value:%Y%m%d}</udt:DateTimeString>'


def cii_xml(facts: InvoiceFacts) -> bytes:
    """The invoice as Factur-X CII XML (EN 16931 profile), what invoicing software embeds."""
    seller, buyer = facts.seller, facts.buyer
    lines = "".join(
        f"""
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>{n}</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>{label}</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{amount:.2f}</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>{facts.rate}</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{amount:.2f}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>"""  # noqa: E501
        for n, (label, amount) in enumerate(facts.lines, start=1)
    )
    postcode, _sep, city = seller.city.partition(" ")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>{facts.number}</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime>{_day(facts.issued)}</ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>{lines}
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>{seller.name}</ram:Name>
        <ram:PostalTradeAddress><ram:PostcodeCode>{postcode}</ram:PostcodeCode><ram:LineOne>{seller.street}</ram:LineOne><ram:CityName>{city}</ram:CityName><ram:CountryID>BE</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{seller.vat}</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>{buyer.name}</ram:Name>
        <ram:PostalTradeAddress><ram:CountryID>BE</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{buyer.vat}</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:PaymentReference>{facts.reference}</ram:PaymentReference>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode><ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{seller.iban}</ram:IBANID></ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax><ram:CalculatedAmount>{facts.vat:.2f}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>{facts.net:.2f}</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>{facts.rate}</ram:RateApplicablePercent></ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime>{_day(facts.due)}</ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>{facts.net:.2f}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>{facts.net:.2f}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">{facts.vat:.2f}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{facts.gross:.2f}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{facts.gross:.2f}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()  # noqa: E501


def hybrid_pdf(facts: InvoiceFacts) -> bytes:
    """The printed invoice with its Factur-X XML embedded as ``factur-x.xml`` (what Factur-X
    and ZUGFeRD software write), so the portal reads its facts from the XML."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(invoice_pdf(facts))))
    writer.add_attachment("factur-x.xml", cii_xml(facts))
    writer.add_metadata({"/Title": f"Facture {facts.number}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def peppol_ubl(fixture: str, facts: InvoiceFacts) -> bytes:
    """An OpenPeppol BIS 3 example with the demo's parties, number and dates (amounts and lines
    as in the example)."""
    xml = (FIXTURES / fixture).read_text(encoding="utf-8")
    supplier, customer = _party_blocks(xml)
    seller, buyer = facts.seller, facts.buyer
    xml = xml.replace(supplier, _party(supplier, seller)).replace(customer, _party(customer, buyer))
    xml = re.sub(r"(<cbc:ID>)Snippet1(</cbc:ID>)", rf"\g<1>{facts.number}\g<2>", xml, count=1)
    xml = re.sub(
        r"<cbc:IssueDate>[^<]*</cbc:IssueDate>",
        f"<cbc:IssueDate>{facts.issued:%Y-%m-%d}</cbc:IssueDate>",
        xml,
    )
    xml = re.sub(
        r"<cbc:DueDate>[^<]*</cbc:DueDate>", f"<cbc:DueDate>{facts.due:%Y-%m-%d}</cbc:DueDate>", xml
    )
    xml = re.sub(
        r"<cbc:ActualDeliveryDate>[^<]*</cbc:ActualDeliveryDate>",
        f"<cbc:ActualDeliveryDate>{facts.issued:%Y-%m-%d}</cbc:ActualDeliveryDate>",
        xml,
    )
    xml = re.sub(
        r"(<cac:PayeeFinancialAccount>\s*<cbc:ID>)[^<]*(</cbc:ID>)",
        rf"\g<1>{seller.iban}\g<2>",
        xml,
    )
    return xml.encode("utf-8")


def _party_blocks(xml: str) -> tuple[str, str]:
    supplier = re.search(
        r"<cac:AccountingSupplierParty>.*?</cac:AccountingSupplierParty>", xml, re.S
    )
    customer = re.search(
        r"<cac:AccountingCustomerParty>.*?</cac:AccountingCustomerParty>", xml, re.S
    )
    if supplier is None or customer is None:
        raise ValueError("not a Peppol BIS 3 invoice")
    return supplier.group(0), customer.group(0)


def _party(block: str, party: Party) -> str:
    block = re.sub(
        r"(<cac:PartyName>\s*<cbc:Name>)[^<]*(</cbc:Name>)", rf"\g<1>{party.name}\g<2>", block
    )
    block = re.sub(
        r"(<cbc:RegistrationName>)[^<]*(</cbc:RegistrationName>)", rf"\g<1>{party.name}\g<2>", block
    )
    block = re.sub(
        r"(<cac:PartyTaxScheme>\s*<cbc:CompanyID>)[^<]*(</cbc:CompanyID>)",
        rf"\g<1>{party.vat}\g<2>",
        block,
    )
    block = re.sub(
        r'<cbc:EndpointID schemeID="[^"]*">[^<]*</cbc:EndpointID>',
        f'<cbc:EndpointID schemeID="0208">{party.vat[2:]}</cbc:EndpointID>',
        block,
    )
    block = re.sub(
        r"(<cbc:StreetName>)[^<]*(</cbc:StreetName>)", rf"\g<1>{party.street}\g<2>", block
    )
    block = re.sub(r"(<cbc:CityName>)[^<]*(</cbc:CityName>)", rf"\g<1>{party.city}\g<2>", block)
    return re.sub(
        r"(<cbc:IdentificationCode>)[^<]*(</cbc:IdentificationCode>)", r"\g<1>BE\g<2>", block
    )


# --- a phone photo of a till receipt ----------------------------------------------------------


def receipt_jpeg(
    *, shop: str, address: str, vat: str, number: str, when: date, items: list[tuple[str, Decimal]]
) -> bytes:
    """A till receipt as a phone photographs it: a strip of paper on a darker table, slightly
    turned and soft, JPEG-compressed. Prices include 6 % VAT, as food's do."""
    font = ImageFont.load_default(size=40)
    paper = Image.new("L", (900, 1700), 246)
    draw = ImageDraw.Draw(paper)
    y = 40

    def line(text: str) -> None:
        nonlocal y
        draw.text((40, y), text, fill=20, font=font)
        y += 60

    total = sum((price for _label, price in items), Decimal("0.00"))
    net = (total / Decimal("1.06")).quantize(CENT)
    for text in (
        shop,
        address,
        f"TVA {vat}",
        f"N° {number}",
        f"Date : {when:%d/%m/%Y} 09:42",
        "",
        *(f"{label:<20}{amount_text(price):>9}" for label, price in items),
        "",
        f"Total HTVA {amount_text(net):>14}",
        f"TVA 6 % {amount_text(total - net):>17}",
        f"Total TVAC {amount_text(total):>14}",
        "Paiement Bancontact",
        "Merci de votre visite",
    ):
        line(text)
    paper = paper.crop((0, 0, 900, y + 40))
    table = Image.new("L", (paper.width + 200, paper.height + 160), 90)
    table.paste(paper, (100, 80))
    photo = table.rotate(1.0, expand=False, fillcolor=90).filter(ImageFilter.GaussianBlur(0.3))
    out = io.BytesIO()
    photo.convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()
