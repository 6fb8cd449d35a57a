"""The Peppol UBL reader: exact facts from the reference files, hostile XML refused, and the
consistency checks a user is shown (connect/einvoice/ubl.py)."""

import base64
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from connect import einvoice
from connect.einvoice import attachments, model
from tests.connect import samples

PEPPOL = samples.PEPPOL
INVOICE_NS = b'xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'


def fixture(name: str) -> bytes:
    return (PEPPOL / name).read_bytes()


def failed(invoice: einvoice.EInvoice) -> set[str]:
    return {check.code for check in invoice.checks if not check.ok}


def refused(data: bytes | Path, **kwargs) -> einvoice.EInvoiceError:
    with pytest.raises(einvoice.EInvoiceError) as excinfo:
        einvoice.parse(data, **kwargs)
    assert str(excinfo.value.message)  # a reason the user can read
    return excinfo.value


def belgian() -> bytes:
    """base-example.xml from a Belgian supplier: valid VAT, IBAN and structured communication."""
    return (
        fixture("base-example.xml")
        .replace(
            b"<cbc:CompanyID>GB1232434</cbc:CompanyID>",
            b"<cbc:CompanyID>BE 0123.456.749</cbc:CompanyID>",
        )
        .replace(b"<cbc:ID>IBAN32423940</cbc:ID>", b"<cbc:ID>BE71 0961 2345 6769</cbc:ID>")
        .replace(
            b"<cbc:PaymentID>Snippet1</cbc:PaymentID>",
            b"<cbc:PaymentID>010806817183</cbc:PaymentID>",
        )
    )


# --- The reference files, read exactly --------------------------------------------------


SUPPLIER_GB = {
    "supplier_name": "SupplierOfficialName Ltd",
    "supplier_vat": "GB1232434",
    "supplier_enterprise_number": None,
}
BUYER = {"customer_name": "Buyer Official Name", "customer_vat": "SE4598375937"}
BASE_FACTS = {
    **SUPPLIER_GB,
    **BUYER,
    "invoice_number": "Snippet1",
    "issue_date": "2017-11-13",
    "due_date": "2017-12-01",
    "total_excl_vat": "1325.00",
    "total_vat": "331.25",
    "total_incl_vat": "1656.25",
    "payable_amount": "1656.25",
    "currency": "EUR",
    "iban": None,  # "IBAN32423940" is a placeholder, not an IBAN
    "structured_reference": None,
    "payment_reference": "Snippet1",
    "confidence": "1.00",
    "document_type": "invoice",
    "supplier_endpoint": "0088:9482348239847239874",
    "vat_breakdown": [
        {"category": "S", "percent": "25", "taxable_amount": "1325.00", "tax_amount": "331.25"}
    ],
    "source": "ubl",
    # The examples carry a made-up British VAT number and bank account.
    "checks_failed": ["supplier_vat", "iban"],
}
EXPECTED = {
    "base-example.xml": BASE_FACTS,
    "base-creditnote-correction.xml": {
        **BASE_FACTS,
        "document_type": "credit_note",
        "due_date": None,
    },
    "vat-category-E.xml": {
        "supplier_name": "The Sellercompany Incorporated",
        "supplier_vat": "GB928741974",
        "supplier_enterprise_number": None,
        "customer_name": "The Buyercompany",
        "customer_vat": None,
        "invoice_number": "Vat-Z",
        "issue_date": "2018-08-30",
        "due_date": None,
        "total_excl_vat": "1200.00",
        "total_vat": "0.00",
        "total_incl_vat": "1200.00",
        "payable_amount": "1200.00",
        "currency": "GBP",
        "iban": None,  # SE1212341234123412 fails the IBAN checksum
        "structured_reference": None,
        "payment_reference": None,
        "confidence": "1.00",
        "document_type": "invoice",
        "supplier_endpoint": "0088:7300010000001",
        "vat_breakdown": [
            {"category": "E", "percent": "0", "taxable_amount": "1200.00", "tax_amount": "0.00"}
        ],
        "source": "ubl",
        "checks_failed": ["supplier_vat", "iban"],
    },
    "Allowance-example.xml": {
        **SUPPLIER_GB,
        **BUYER,
        "invoice_number": "Snippet1",
        "issue_date": "2017-11-13",
        "due_date": "2017-12-01",
        "total_excl_vat": "5900.00",
        "total_vat": "1225.00",  # the EUR total, not the SEK one (9324.00)
        "total_incl_vat": "7125.00",
        "payable_amount": "6125.00",
        "currency": "EUR",
        "iban": None,
        "structured_reference": None,
        "payment_reference": "Snippet1",
        "confidence": "1.00",
        "document_type": "invoice",
        "supplier_endpoint": "0088:7300010000001",
        "vat_breakdown": [
            {
                "category": "S",
                "percent": "25",
                "taxable_amount": "4900.00",
                "tax_amount": "1225.00",
            },
            {"category": "E", "percent": "0", "taxable_amount": "1000.00", "tax_amount": "0.00"},
        ],
        "source": "ubl",
        "checks_failed": ["supplier_vat", "iban"],
    },
}


def test_every_reference_file_is_covered() -> None:
    assert sorted(p.name for p in PEPPOL.glob("*.xml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_files_give_their_exact_facts(name: str) -> None:
    invoice = einvoice.parse(PEPPOL / name)
    assert invoice.facts() == EXPECTED[name]
    # The totals add up in every reference file: only the placeholder identifiers fail.
    assert failed(invoice) == {"supplier_vat", "iban"}
    assert {check.code for check in invoice.checks if check.ok} == {
        "lines_total",
        "tax_exclusive_total",
        "tax_inclusive_total",
        "payable_amount",
        "vat_breakdown_total",
    }


def test_the_same_facts_from_bytes_and_from_a_path() -> None:
    assert einvoice.parse(fixture("base-example.xml")) == einvoice.parse(
        PEPPOL / "base-example.xml"
    )


def test_base_example_in_detail() -> None:
    invoice = einvoice.parse(PEPPOL / "base-example.xml")
    assert invoice.supplier == model.Party(
        name="SupplierOfficialName Ltd",
        trading_name="SupplierTradingName Ltd.",
        vat="GB1232434",
        enterprise_number=None,
        endpoint="0088:9482348239847239874",
        street="Main street 1, Postbox 123",
        city="London",
        postal_code="GB 123 EW",
        country="GB",
    )
    assert invoice.customer.endpoint == "0002:FR23342"
    assert (invoice.issue_date, invoice.due_date) == (date(2017, 11, 13), date(2017, 12, 1))
    assert invoice.line_extension_amount == Decimal("1300")
    assert (invoice.allowance_total, invoice.charge_total) == (None, Decimal("25"))
    assert (invoice.prepaid_amount, invoice.rounding_amount) == (None, None)
    assert invoice.payee_account == "IBAN32423940"
    assert invoice.buyer_reference == "0150abc" and invoice.order_reference is None
    assert invoice.lines == (
        model.Line(
            id="1",
            description="item name",
            quantity=Decimal("7"),
            unit_code="DAY",
            unit_price=Decimal("400"),
            base_quantity=None,
            line_total=Decimal("2800"),
            vat_category="S",
            vat_percent=Decimal("25"),
        ),
        model.Line(
            id="2",
            description="item name 2",
            quantity=Decimal("-3"),
            unit_code="DAY",
            unit_price=Decimal("500"),
            base_quantity=None,
            line_total=Decimal("-1500"),
            vat_category="S",
            vat_percent=Decimal("25"),
        ),
    )
    assert invoice.attachments == () and invoice.notes == ()
    assert all(isinstance(v.taxable_amount, Decimal) for v in invoice.vat_breakdown)


def test_allowances_prepaid_amounts_and_notes() -> None:
    invoice = einvoice.parse(PEPPOL / "Allowance-example.xml")
    assert (invoice.allowance_total, invoice.charge_total) == (Decimal(200), Decimal(200))
    assert invoice.prepaid_amount == Decimal(1000)
    assert invoice.notes == ("Please note we have a new phone number: 22 22 22 22",)
    assert [(line.line_total, line.base_quantity) for line in invoice.lines] == [
        (Decimal(4000), Decimal(1)),
        (Decimal(1000), Decimal(2)),
        (Decimal(900), None),
    ]
    # An external link is not an embedded attachment (and is never fetched).
    assert invoice.attachments == ()


def test_the_document_currency_tax_total_is_taken_whatever_its_position() -> None:
    data = fixture("Allowance-example.xml")
    sek = (
        b"<cac:TaxTotal>\n"
        b'        <cbc:TaxAmount currencyID ="SEK">9324.00</cbc:TaxAmount>\n'
        b"    </cac:TaxTotal>\n"
    )
    assert sek in data
    moved = data.replace(sek, b"").replace(b"<cac:TaxTotal>", sek + b"<cac:TaxTotal>", 1)
    assert moved.index(b'SEK">9324') < moved.index(b'EUR">1225.00')
    assert einvoice.parse(moved).total_vat == Decimal("1225.00")


def test_a_credit_note_takes_its_due_date_from_the_payment_means() -> None:
    data = fixture("base-creditnote-correction.xml").replace(
        b"<cbc:PaymentID>", b"<cbc:PaymentDueDate>2017-12-15</cbc:PaymentDueDate><cbc:PaymentID>"
    )
    assert einvoice.parse(data).due_date == date(2017, 12, 15)


def test_a_belgian_invoice_passes_every_check() -> None:
    invoice = einvoice.parse(belgian())
    assert invoice.checks and all(check.ok for check in invoice.checks)
    assert {check.code for check in invoice.checks} >= {"supplier_vat", "iban"}
    facts = invoice.facts()
    assert facts["supplier_vat"] == "BE0123456749"
    assert facts["supplier_enterprise_number"] == "0123456749"
    assert facts["iban"] == "BE71096123456769"
    assert facts["structured_reference"] == "+++010/8068/17183+++"
    assert facts["payment_reference"] is None
    assert facts["checks_failed"] == []


@pytest.mark.parametrize(
    ("legal_entity", "expected"),
    [
        ('<cbc:CompanyID schemeID="0208">0123.456.749</cbc:CompanyID>', "0123456749"),
        ("<cbc:CompanyID>BE0123456749</cbc:CompanyID>", "0123456749"),
        ("<cbc:CompanyID>GB983294</cbc:CompanyID>", None),
    ],
)
def test_the_belgian_enterprise_number(legal_entity: str, expected: str | None) -> None:
    data = fixture("base-example.xml").replace(
        b"<cbc:CompanyID>GB983294</cbc:CompanyID>", legal_entity.encode()
    )
    assert einvoice.parse(data).supplier.enterprise_number == expected


def test_a_structured_communication_with_a_bad_check_digit_stays_a_plain_reference() -> None:
    data = belgian().replace(b"010806817183", b"+++010/8068/17180+++")
    invoice = einvoice.parse(data)
    assert invoice.structured_reference is None
    assert invoice.payment_reference == "+++010/8068/17180+++"


# --- Consistency checks: shown, never refused -----------------------------------------


def test_an_inconsistent_amount_due_fails_its_check_only() -> None:
    data = belgian().replace(
        b'<cbc:PayableAmount currencyID="EUR">1656.25</cbc:PayableAmount>',
        b'<cbc:PayableAmount currencyID="EUR">1656.52</cbc:PayableAmount>',
    )
    invoice = einvoice.parse(data)
    assert failed(invoice) == {"payable_amount"}
    assert invoice.facts()["checks_failed"] == ["payable_amount"]
    [check] = invoice.failed_checks
    # The amounts are written as the reader writes them, in the language of the moment.
    with translation.override("fr"):
        assert "1\xa0656,25" in str(check.message) and "1\xa0656,52" in str(check.message)
    with translation.override("en"):
        assert "1,656.25" in str(check.message) and "1,656.52" in str(check.message)


def test_lines_that_do_not_add_up_fail_the_lines_check() -> None:
    data = belgian().replace(
        b">-1500</cbc:LineExtensionAmount>", b">-1400</cbc:LineExtensionAmount>"
    )
    assert failed(einvoice.parse(data)) == {"lines_total"}


def test_a_vat_breakdown_that_does_not_add_up_fails_its_check() -> None:
    data = belgian().replace(
        b'<cbc:TaxAmount currencyID="EUR">331.25</cbc:TaxAmount>\n            <cac:TaxCategory>',
        b'<cbc:TaxAmount currencyID="EUR">331.20</cbc:TaxAmount>\n            <cac:TaxCategory>',
    )
    assert failed(einvoice.parse(data)) == {"vat_breakdown_total"}


def test_an_invalid_iban_fails_its_check_and_is_not_given_as_iban() -> None:
    invoice = einvoice.parse(belgian().replace(b"BE71 0961 2345 6769", b"BE71 0961 2345 6768"))
    assert failed(invoice) == {"iban"}
    assert invoice.iban is None and invoice.payee_account == "BE71 0961 2345 6768"


def test_an_invalid_belgian_vat_number_fails_its_check() -> None:
    invoice = einvoice.parse(belgian().replace(b"BE 0123.456.749", b"BE0123456748"))
    assert failed(invoice) == {"supplier_vat"}
    assert invoice.supplier.enterprise_number is None


# --- Attachments --------------------------------------------------------------------------


def with_attachment(content: bytes | str, *, mime: str, filename: str) -> bytes:
    encoded = content if isinstance(content, str) else base64.b64encode(content).decode()
    reference = (
        "<cac:AdditionalDocumentReference><cbc:ID>A1</cbc:ID>"
        "<cbc:DocumentDescription>Timesheet</cbc:DocumentDescription><cac:Attachment>"
        f'<cbc:EmbeddedDocumentBinaryObject mimeCode="{mime}" filename="{filename}">'
        f"{encoded}</cbc:EmbeddedDocumentBinaryObject></cac:Attachment>"
        "</cac:AdditionalDocumentReference>"
    )
    return belgian().replace(
        b"<cac:AccountingSupplierParty>", reference.encode() + b"<cac:AccountingSupplierParty>"
    )


def test_an_embedded_pdf_is_decoded_under_a_clean_name() -> None:
    pdf = samples.pdf()
    wrapped = base64.encodebytes(pdf).decode()  # base64 in lines, as most senders write it
    invoice = einvoice.parse(
        with_attachment(wrapped, mime="application/pdf", filename="../../etc/time&#x202E;sheet.pdf")
    )
    [attachment] = invoice.attachments
    assert attachment.filename == "timesheet.pdf"
    assert attachment.content == pdf
    assert (attachment.declared_type, attachment.sniffed_type) == ("application/pdf",) * 2
    assert attachment.type_matches and attachment.description == "Timesheet"
    assert all(check.ok for check in invoice.checks)


def test_a_png_declared_as_pdf_is_kept_but_flagged() -> None:
    invoice = einvoice.parse(
        with_attachment(samples.image("PNG"), mime="application/pdf", filename="invoice.pdf")
    )
    [attachment] = invoice.attachments
    assert attachment.sniffed_type == "image/png"
    assert not attachment.type_matches
    assert failed(invoice) == {"attachment_type"}


def test_a_type_peppol_does_not_allow_is_flagged() -> None:
    invoice = einvoice.parse(
        with_attachment(
            b"MZ\x90\x00" + b"\x00" * 60, mime="application/x-msdownload", filename="a.exe"
        )
    )
    assert not invoice.attachments[0].type_matches


def test_broken_base64_is_a_failed_check_not_an_error() -> None:
    invoice = einvoice.parse(
        with_attachment("%%%not base64%%%", mime="application/pdf", filename="a.pdf")
    )
    assert invoice.attachments == ()
    assert failed(invoice) == {"attachment_unreadable"}


@pytest.mark.parametrize("size", [1001, 5000])  # just over; far over (never decoded)
def test_an_attachment_over_the_limit_is_left_out(monkeypatch, size: int) -> None:
    monkeypatch.setattr(attachments, "MAX_ATTACHMENT_SIZE", 1000)
    assert einvoice.parse(
        with_attachment(b"x" * 1000, mime="text/csv", filename="a.csv")
    ).attachments
    invoice = einvoice.parse(with_attachment(b"x" * size, mime="text/csv", filename="a.csv"))
    assert invoice.attachments == ()
    assert failed(invoice) == {"attachment_too_large"}


# --- Hostile and unusable files -----------------------------------------------------------

DOCTYPE = fixture("base-example.xml").replace(b"<Invoice ", b"<!DOCTYPE Invoice>\n<Invoice ", 1)
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol9;</Invoice>"""
#: The declaration hidden after 64 KiB of comment: the parser's own result is checked too.
LATE_DOCTYPE = (
    b'<?xml version="1.0"?>\n<!--'
    + b" " * (70 * 1024)
    + b'-->\n<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    + b"<Invoice "
    + INVOICE_NS
    + b"><cbc:ID xmlns:cbc='urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2'>"
    + b"&xxe;</cbc:ID></Invoice>"
)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (DOCTYPE, "xml_forbidden"),
        (samples.XXE, "xml_forbidden"),
        (LATE_DOCTYPE, "xml_forbidden"),
        (
            samples.XXE.decode().replace('<?xml version="1.0"?>', "").encode("utf-16"),
            "xml_forbidden",
        ),
        (samples.BILLION_LAUGHS, "xml_forbidden"),
        (LAUGHS, "xml_forbidden"),
        (samples.NOT_UBL, "xml_not_einvoice"),
        (b'<?xml version="1.0"?><Invoice xmlns="urn:example">1</Invoice>', "xml_not_einvoice"),
        (fixture("base-example.xml")[:-300], "xml_broken"),
        (b"", "xml_broken"),
        (b"%PDF-1.7 not xml", "xml_broken"),
        (samples.UBL_INCOMPLETE, "ubl_incomplete"),
        (
            fixture("base-example.xml").replace(
                b">1656.25</cbc:PayableAmount>", b">1656,25</cbc:PayableAmount>"
            ),
            "ubl_invalid",
        ),
        (fixture("base-example.xml").replace(b"2017-11-13", b"2017-13-11"), "ubl_invalid"),
    ],
    ids=[
        "doctype",
        "xxe",
        "doctype-after-64k",
        "utf16-xxe",
        "laughs-small",
        "billion-laughs",
        "not-ubl",
        "foreign-invoice",
        "truncated",
        "empty",
        "pdf",
        "incomplete",
        "comma-amount",
        "bad-date",
    ],
)
def test_unusable_files_are_refused_with_a_code(data: bytes, code: str) -> None:
    started = time.monotonic()
    assert refused(data).code == code
    assert time.monotonic() - started < 2  # nothing was expanded


def test_the_xxe_target_is_never_read() -> None:
    error = refused(samples.XXE)
    assert "root:" not in str(error.message) and "root:" not in repr(error)


def test_a_missing_issue_date_is_named() -> None:
    data = fixture("base-example.xml").replace(b"<cbc:IssueDate>2017-11-13</cbc:IssueDate>", b"")
    error = refused(data)
    assert error.code == "ubl_incomplete"
    assert "IssueDate" in str(error.message)


def test_every_missing_mandatory_fact_is_named() -> None:
    error = refused(samples.UBL_INCOMPLETE)
    with translation.override("en"):
        message = str(error.message)
    assert message == (
        "The e-invoice lacks mandatory facts: IssueDate, DocumentCurrencyCode, "
        "AccountingSupplierParty, TaxTotal, LineExtensionAmount, TaxExclusiveAmount, "
        "TaxInclusiveAmount, PayableAmount."
    )


def test_a_supplier_without_a_name_is_incomplete() -> None:
    data = (
        fixture("base-example.xml")
        .replace(b"<cbc:RegistrationName>SupplierOfficialName Ltd</cbc:RegistrationName>", b"")
        .replace(b"<cbc:Name>SupplierTradingName Ltd.</cbc:Name>", b"")
    )
    assert "RegistrationName" in str(refused(data).message)


def test_a_supplier_with_only_a_trading_name_is_read() -> None:
    data = fixture("base-example.xml").replace(
        b"<cbc:RegistrationName>SupplierOfficialName Ltd</cbc:RegistrationName>", b""
    )
    assert einvoice.parse(data).supplier.name == "SupplierTradingName Ltd."


def test_an_oversize_file_is_refused_without_being_read(tmp_path: Path) -> None:
    data = fixture("base-example.xml")
    assert refused(data, max_size=len(data) - 1).code == "xml_too_large"
    path = tmp_path / "big.xml"
    path.write_bytes(data)
    assert refused(path, max_size=1024).code == "xml_too_large"
    assert einvoice.parse(path, max_size=len(data)).invoice_number == "Snippet1"


def test_an_oversize_element_is_refused_as_too_large() -> None:
    data = fixture("base-example.xml").replace(
        b"<cbc:Note>Payment within", b"<cbc:Note>" + b"a" * 10_000_001 + b" Payment within"
    )
    assert refused(data).code == "xml_too_large"
    deep = fixture("base-example.xml").replace(
        b"<cbc:Note>Payment", b"<cbc:Note>" + b"<x>" * 300 + b"</x>" * 300 + b"Payment"
    )
    assert refused(deep).code == "xml_too_large"


def test_messages_are_translated_when_shown() -> None:
    error = refused(samples.NOT_UBL)
    with translation.override("fr"):
        french = str(error.message)
    with translation.override("en"):
        english = str(error.message)
    assert english.startswith("The XML file is not an e-invoice")
    assert french != english


# --- Rendering ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_the_preview_shows_number_totals_and_warnings(language: str) -> None:
    invoice = einvoice.parse(
        with_attachment(samples.image("PNG"), mime="application/pdf", filename="scan.pdf")
    )
    with translation.override(language):
        html = render_to_string("connect/ubl_preview.html", {"invoice": invoice})
    assert "Snippet1" in html
    # Grouped, with the language's decimal comma, the currency after it.
    assert {"fr": "1\xa0656,25\xa0EUR", "nl": "1.656,25\xa0EUR"}[language] in html
    assert "BE71096123456769" in html and "+++010/8068/17183+++" in html
    assert "scan.pdf" in html
    assert 'class="error-summary"' in html  # the attachment's type is flagged
    assert '<th scope="col">' in html and 'class="table-scroll' in html
    assert "<html" not in html and "<body" not in html


def test_the_preview_has_no_warning_box_when_everything_checks_out() -> None:
    html = render_to_string("connect/ubl_preview.html", {"invoice": einvoice.parse(belgian())})
    assert "error-summary" not in html
