"""E-invoices beyond a UBL file (issue 13, part 1): the CII reader in every Factur-X profile, the
invoice XML a PDF carries (Factur-X, ZUGFeRD, XRechnung, Odoo's UBL), what a PDF may and may
not embed, and the PDF that prints something else than its XML."""

import io
import zlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from connect import einvoice
from connect.documents.files import inspect, spool
from connect.einvoice import cii, pdf
from core.errors import ServiceError
from tests.connect import einvoices, samples
from tests.connect.einvoices import PROFILES, Facts
from tests.hostile import make_corpus

UBL_FACTS = ("supplier_name", "invoice_number", "issue_date", "total_incl_vat", "currency")


def inspected(data: bytes, name: str = "facture.pdf"):
    spooled = spool([data], max_size=50 * 1024 * 1024)
    try:
        return inspect(spooled, name)
    finally:
        spooled.remove()


def refused(data: bytes, name: str = "facture.pdf") -> ServiceError:
    """The refusal, its message shown in English."""
    with pytest.raises(ServiceError) as excinfo:
        inspected(data, name)
    with translation.override("en"):
        excinfo.value.message = str(excinfo.value.message)
    assert excinfo.value.message
    return excinfo.value


def subset(facts: dict[str, object], expected: dict[str, object]) -> dict[str, object]:
    return {key: facts.get(key) for key in expected}


# --- The CII reader ------------------------------------------------------------------------


@pytest.mark.parametrize("profile", [*PROFILES, "xrechnung"])
def test_each_profile_is_schema_valid_and_read_value_by_value(profile: str) -> None:
    xml = einvoices.cii_xml(profile)
    assert einvoices.xsd_valid(xml, profile)
    invoice = einvoice.parse(xml)
    assert invoice.syntax == "cii"
    expected = Facts().expected("cii")
    assert subset(invoice.facts(), expected) == expected
    assert invoice.failed_checks == ()


def test_the_en16931_profile_gives_every_fact_the_ubl_reader_gives() -> None:
    invoice = einvoice.parse(einvoices.cii_xml("en16931"))
    facts = invoice.facts()
    assert facts["due_date"] == "2026-02-14"
    assert facts["iban"] == "BE71096123456769"
    assert facts["structured_reference"] == "+++010/8068/17183+++"
    assert facts["payment_reference"] is None
    assert facts["supplier_enterprise_number"] == "0417497106"
    assert facts["supplier_endpoint"] == "0208:0417497106"
    assert facts["vat_breakdown"] == [
        {"category": "S", "percent": "21", "taxable_amount": "317.00", "tax_amount": "66.57"}
    ]
    assert invoice.supplier.street == "Rue Anna Boch 19"
    assert (invoice.supplier.city, invoice.supplier.postal_code) == ("Bruxelles", "1000")
    assert invoice.supplier.country == "BE"
    assert (invoice.buyer_reference, invoice.order_reference) == ("REF-CAFE", "PO-778")
    assert invoice.notes == ("Merci pour votre commande.",)
    assert invoice.line_extension_amount == Decimal("317.00")
    assert [
        (line.id, line.description, line.quantity, line.line_total) for line in invoice.lines
    ] == [
        ("1", "Bière Zinnebir 24 x 33 cl", Decimal(10), Decimal("285.00")),
        ("2", "Consigne casiers", Decimal(10), Decimal("32.00")),
    ]
    assert {line.unit_code for line in invoice.lines} == {"C62"}
    assert {line.vat_percent for line in invoice.lines} == {Decimal(21)}
    assert {check.code for check in invoice.checks} >= {
        "lines_total",
        "tax_exclusive_total",
        "tax_inclusive_total",
        "payable_amount",
        "vat_breakdown_total",
        "supplier_vat",
        "iban",
    }


def test_the_minimum_profile_has_no_lines_and_skips_their_checks() -> None:
    invoice = einvoice.parse(einvoices.cii_xml("minimum"))
    assert (invoice.lines, invoice.vat_breakdown, invoice.line_extension_amount) == ((), (), None)
    assert invoice.due_date is None and invoice.iban is None
    assert {c.code for c in invoice.checks} == {
        "tax_inclusive_total",
        "payable_amount",
        "supplier_vat",
    }


def test_a_minimum_invoice_without_vat_total_takes_gross_less_net() -> None:
    xml = einvoices.cii_xml("minimum").replace(
        b'<ram:TaxTotalAmount currencyID="EUR">66.57</ram:TaxTotalAmount>', b""
    )
    assert einvoice.parse(xml).total_vat == Decimal("66.57")


def test_a_cii_credit_note_is_told_by_its_type_code() -> None:
    invoice = einvoice.parse(einvoices.cii_xml("en16931", einvoices.credit_note()))
    assert invoice.document_type == "credit_note"


def test_the_vat_total_in_the_invoice_currency_is_taken_beside_one_in_the_tax_currency() -> None:
    xml = einvoices.cii_xml("en16931").replace(
        b'<ram:TaxTotalAmount currencyID="EUR">66.57</ram:TaxTotalAmount>',
        b'<ram:TaxTotalAmount currencyID="USD">77.01</ram:TaxTotalAmount>'
        b'<ram:TaxTotalAmount currencyID="EUR">66.57</ram:TaxTotalAmount>',
    )
    assert einvoice.parse(xml).total_vat == Decimal("66.57")


def test_inconsistent_cii_totals_fail_their_check_only() -> None:
    xml = einvoices.cii_xml("en16931").replace(
        b"<ram:DuePayableAmount>383.57</ram:DuePayableAmount>",
        b"<ram:DuePayableAmount>383.00</ram:DuePayableAmount>",
    )
    invoice = einvoice.parse(xml)
    assert {c.code for c in invoice.failed_checks} == {"payable_amount"}


@pytest.mark.parametrize(
    ("old", "missing"),
    [
        (b"<ram:ID>FX-2026-0042</ram:ID>", "ExchangedDocument/ID"),
        (b"<ram:GrandTotalAmount>383.57</ram:GrandTotalAmount>", "GrandTotalAmount"),
        (b"<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>", "InvoiceCurrencyCode"),
    ],
)
def test_a_cii_invoice_without_a_mandatory_fact_is_refused_by_name(
    old: bytes, missing: str
) -> None:
    with pytest.raises(einvoice.EInvoiceError) as excinfo:
        einvoice.parse(einvoices.cii_xml("en16931").replace(old, b""))
    assert excinfo.value.code == "ubl_incomplete"
    assert missing in str(excinfo.value.message)


def test_an_invalid_cii_date_is_named() -> None:
    xml = einvoices.cii_xml("en16931").replace(b">20260115<", b">2026-01-15<")
    with pytest.raises(einvoice.EInvoiceError) as excinfo:
        einvoice.parse(xml)
    assert excinfo.value.code == "ubl_invalid"


def test_an_xml_neither_ubl_nor_cii_is_refused() -> None:
    with pytest.raises(einvoice.EInvoiceError) as excinfo:
        einvoice.parse(samples.NOT_UBL)
    assert excinfo.value.code == "xml_not_einvoice"


def test_a_cii_file_uploaded_on_its_own_is_an_e_invoice() -> None:
    info = inspected(einvoices.cii_xml("xrechnung"), "xrechnung.xml")
    assert info.is_ubl and info.content_type == "application/xml"
    assert cii.is_cii(einvoice.xml.parse_root(einvoices.cii_xml("basic")))


# --- Hybrid PDFs ---------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_a_factur_x_pdf_of_each_profile_is_accepted_with_its_facts(profile: str) -> None:
    info = inspected(einvoices.factur_x(profile))
    assert not info.is_ubl and info.content_type == "application/pdf" and info.page_count == 1
    assert (info.hybrid.name, info.hybrid.problem, info.hybrid.source) == (
        "factur-x.xml",
        "",
        "embedded_cii",
    )
    expected = Facts().expected("embedded_cii")
    assert info.hybrid.invoice is not None
    assert subset(info.hybrid.invoice.facts(embedded=True), expected) == expected


@pytest.mark.parametrize(
    ("name", "xml", "source"),
    [
        ("zugferd-invoice.xml", einvoices.cii_xml("en16931"), "embedded_cii"),
        ("xrechnung.xml", einvoices.cii_xml("xrechnung"), "embedded_cii"),
        ("UBL-Invoice-FX-2026-0042.xml", einvoices.ubl_invoice(), "embedded_ubl"),
        ("INV_2026_00042_ubl_bis3.xml", einvoices.ubl_invoice(), "embedded_ubl"),
    ],
)
def test_zugferd_xrechnung_and_odoo_pdfs_are_read_from_their_xml(
    name: str, xml: bytes, source: str
) -> None:
    info = inspected(einvoices.with_embedded(einvoices.printed(), {name: xml}))
    assert (info.hybrid.name, info.hybrid.source, info.hybrid.problem) == (name, source, "")
    assert info.hybrid.invoice == einvoice.parse(xml)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("other.xml", samples.NOT_UBL),
        ("UBL-Invoice-1.xml", einvoices.ubl_invoice()),
        ("pay.wsf", b'<?xml version="1.0"?><job><script language="JScript">x</script></job>'),
        ("page.html", b"<html><body><script>x</script></body></html>"),
    ],
)
def test_beside_the_invoice_no_other_xml_has_a_place(name: str, content: bytes) -> None:
    data = einvoices.with_embedded(
        einvoices.printed(), {"factur-x.xml": einvoices.cii_xml("basic"), name: content}
    )
    error = refused(data)
    assert error.code == "pdf_embedded_file" and name in str(error.message)


def _pdf_with(**catalog: object) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    for key, value in catalog.items():
        writer._root_object[NameObject(f"/{key}")] = value
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_harmless_open_action_and_the_attachments_pane_are_not_active_content() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(einvoices.factur_x("basic"))))
    writer.add_blank_page(width=595, height=842)
    page = writer.pages[0].indirect_reference
    writer._root_object[NameObject("/OpenAction")] = ArrayObject([page, NameObject("/Fit")])
    writer._root_object[NameObject("/PageMode")] = NameObject("/UseAttachments")
    out = io.BytesIO()
    writer.write(out)
    assert inspected(out.getvalue()).hybrid.source == "embedded_cii"
    go_to = DictionaryObject(
        {
            NameObject("/S"): NameObject("/GoTo"),
            NameObject("/D"): ArrayObject([NumberObject(0), NameObject("/Fit")]),
        }
    )
    assert inspected(_pdf_with(OpenAction=go_to)).page_count == 1


@pytest.mark.parametrize(
    ("action", "named"),
    [
        ({"/S": "/JavaScript", "/JS": "app.alert(1)"}, "JavaScript"),
        ({"/S": "/Launch", "/F": "calc.exe"}, "starts a program"),
        ({"/S": "/SubmitForm", "/F": "http://127.0.0.1/"}, "sends data"),
        ({"/S": "/ImportData", "/F": "data.fdf"}, "imports data"),
    ],
)
def test_active_content_is_still_refused_and_the_reason_names_it(
    action: dict[str, str], named: str
) -> None:
    value = DictionaryObject(
        {
            NameObject(key): NameObject(text) if text.startswith("/") else TextStringObject(text)
            for key, text in action.items()
        }
    )
    error = refused(_pdf_with(OpenAction=value))
    assert error.code == "pdf_active_content"
    assert named in str(error.message)


_docx = make_corpus.docx
PE = make_corpus.pe()


@pytest.mark.parametrize(
    ("name", "content", "named"),
    [
        ("setup.exe", PE, "a program"),
        ("annexe.pdf", samples.pdf(), "another PDF"),
        ("contrat.docx", _docx(), "setup"),
        ("factur-x.xml", PE, "not XML but a program"),
    ],
)
def test_a_pdf_carrying_anything_but_invoice_xml_is_refused_by_name(
    name: str, content: bytes, named: str
) -> None:
    error = refused(einvoices.with_embedded(einvoices.printed(), {name: content}))
    assert error.code == "pdf_embedded_file"
    assert name in str(error.message)
    if named != "setup":
        assert named in str(error.message)


@pytest.mark.parametrize(
    ("name", "content", "named"),
    [
        ("setup.exe", PE, "a program"),
        ("contrat.docx", _docx(), "setup"),
        ("annexe.pdf", PE, "a program"),
        ("photo.png", samples.pdf(), "another PDF"),
    ],
)
def test_beside_an_invoice_xml_only_supplements_of_an_allowed_type_pass(
    name: str, content: bytes, named: str
) -> None:
    files = {"factur-x.xml": einvoices.cii_xml("en16931"), name: content}
    error = refused(einvoices.with_embedded(einvoices.printed(), files))
    assert error.code == "pdf_embedded_file"
    assert name in str(error.message)
    if named != "setup":
        assert named in str(error.message)


def test_a_factur_x_may_carry_a_delivery_note_kept_as_an_attachment() -> None:
    files = {
        "factur-x.xml": einvoices.cii_xml("en16931"),
        "Bon_de_livraison.pdf": samples.pdf(),
        "releve.png": samples.image("PNG"),
    }
    info = inspected(einvoices.with_embedded(einvoices.printed(), files))
    assert info.hybrid.source == "embedded_cii"
    assert [(a.filename, a.declared_type, a.type_matches) for a in info.embedded] == [
        ("Bon_de_livraison.pdf", "application/pdf", True),
        ("releve.png", "image/png", True),
    ]


def test_an_embedded_xml_with_a_doctype_refuses_the_pdf() -> None:
    xml = einvoices.cii_xml("basic").replace(
        b"<rsm:CrossIndustryInvoice",
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<rsm:CrossIndustryInvoice',
        1,
    )
    error = refused(einvoices.with_embedded(einvoices.printed(), {"factur-x.xml": xml}))
    assert error.code == "pdf_embedded_xml_forbidden"


def _with_raw_stream(data: bytes, *, flate: bool) -> bytes:
    """A PDF carrying factur-x.xml as a stream of these raw bytes (no check of the content)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(einvoices.printed())))
    stream = DecodedStreamObject()
    stream.set_data(data)
    if flate:
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    ref = writer._add_object(stream)
    spec = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): TextStringObject("factur-x.xml"),
            NameObject("/EF"): DictionaryObject({NameObject("/F"): ref}),
        }
    )
    tree = DictionaryObject(
        {
            NameObject("/Names"): ArrayObject(
                [TextStringObject("factur-x.xml"), writer._add_object(spec)]
            )
        }
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/EmbeddedFiles"): tree}
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_decompression_bomb_hidden_as_the_xml_refuses_the_pdf() -> None:
    bomb = zlib.compress(b"<" + b" " * (pdf.MAX_EMBEDDED_SIZE + 1024 * 1024), 9)
    assert len(bomb) < 200_000
    error = refused(_with_raw_stream(bomb, flate=True))
    assert error.code == "pdf_embedded_too_large"


def test_a_deeply_nested_name_tree_refuses_the_pdf() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(einvoices.printed())))
    node = DictionaryObject({NameObject("/Names"): ArrayObject()})
    for _ in range(pdf.MAX_TREE_DEPTH + 5):
        node = DictionaryObject({NameObject("/Kids"): ArrayObject([writer._add_object(node)])})
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/EmbeddedFiles"): node}
    )
    out = io.BytesIO()
    writer.write(out)
    assert refused(out.getvalue()).code == "pdf_embedded_too_large"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (_with_raw_stream(b"<rsm:CrossIndustryInvoice", flate=False), pdf.UNREADABLE),
        (
            einvoices.with_embedded(einvoices.printed(), {"factur-x.xml": samples.NOT_UBL}),
            pdf.NOT_INVOICE,
        ),
        (
            einvoices.with_embedded(
                einvoices.printed(),
                {
                    "factur-x.xml": einvoices.cii_xml("basic").replace(
                        b"<ram:ID>FX-2026-0042</ram:ID>", b""
                    )
                },
            ),
            pdf.INCOMPLETE,
        ),
    ],
    ids=["broken-xml", "not-an-invoice", "incomplete"],
)
def test_an_unusable_embedded_xml_is_flagged_and_the_pdf_accepted(
    data: bytes, problem: str
) -> None:
    info = inspected(data)
    assert (info.hybrid.problem, info.hybrid.invoice, info.hybrid.name) == (
        problem,
        None,
        "factur-x.xml",
    )


def test_a_plain_pdf_carries_nothing() -> None:
    info = inspected(einvoices.printed())
    assert (info.hybrid.name, info.hybrid.invoice, info.hybrid.problem) == ("", None, "")


def test_the_embedded_invoice_of_a_stored_file(tmp_path: Path) -> None:
    path = tmp_path / "f.pdf"
    path.write_bytes(einvoices.factur_x("en16931"))
    assert pdf.embedded_invoice_of(path).source == "embedded_cii"


def _spec(writer: PdfWriter, streams: dict[str, object], name: str = "factur-x.xml") -> object:
    return writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Filespec"),
                NameObject("/F"): TextStringObject(name),
                NameObject("/EF"): DictionaryObject(
                    {NameObject(key): value for key, value in streams.items()}
                ),
            }
        )
    )


def _stream(writer: PdfWriter, data: bytes, **entries: object) -> object:
    stream = DecodedStreamObject()
    stream.set_data(data)
    for key, value in entries.items():
        stream[NameObject(f"/{key}")] = value
    return writer._add_object(stream)


def _carrying(build) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(einvoices.printed())))
    build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _in_tree(writer: PdfWriter, *specs: object) -> None:
    names = ArrayObject()
    for number, spec in enumerate(specs):
        names += [TextStringObject(f"f{number}.xml"), spec]
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/EmbeddedFiles"): DictionaryObject({NameObject("/Names"): names})}
    )


XML = einvoices.cii_xml("basic")


@pytest.mark.parametrize(
    "build",
    [
        # A stream that cannot be inflated by the one filter read here.
        lambda w: _in_tree(
            w, _spec(w, {"/F": _stream(w, b"x\x9c garbage", Filter=NameObject("/FlateDecode"))})
        ),
        lambda w: _in_tree(
            w,
            _spec(
                w,
                {"/F": _stream(w, PE.hex().encode() + b">", Filter=NameObject("/ASCIIHexDecode"))},
            ),
        ),
        lambda w: _in_tree(
            w,
            _spec(
                w,
                {
                    "/F": _stream(
                        w,
                        zlib.compress(zlib.compress(PE)),
                        Filter=ArrayObject(
                            [NameObject("/FlateDecode"), NameObject("/FlateDecode")]
                        ),
                    )
                },
            ),
        ),
        # /UF holds the XML, /F a program; or a platform-specific stream only.
        lambda w: _in_tree(w, _spec(w, {"/UF": _stream(w, XML), "/F": _stream(w, PE)})),
        lambda w: _in_tree(w, _spec(w, {"/Unix": _stream(w, PE)})),
        lambda w: _in_tree(w, _spec(w, {})),
    ],
    ids=["damaged-flate", "ascii-hex", "double-flate", "uf-and-f-differ", "unix-only", "no-stream"],
)
def test_an_embedded_file_that_cannot_be_checked_refuses_the_pdf(build) -> None:
    error = refused(_carrying(build))
    assert error.code == "pdf_embedded_unreadable"


def test_a_program_associated_with_a_page_refuses_the_pdf() -> None:
    def build(writer: PdfWriter) -> None:
        _in_tree(writer, _spec(writer, {"/F": _stream(writer, XML)}))
        page = writer.pages[0]
        page[NameObject("/AF")] = ArrayObject(
            [_spec(writer, {"/F": _stream(writer, PE)}, name="run.exe")]
        )

    error = refused(_carrying(build))
    assert error.code == "pdf_embedded_file" and "run.exe" in str(error.message)


def test_one_stream_listed_many_times_is_read_once_and_the_total_is_bounded(monkeypatch) -> None:
    png = samples.image("PNG")

    def build(writer: PdfWriter) -> None:
        shared = _stream(writer, png)
        specs = [_spec(writer, {"/F": _stream(writer, XML)})]
        specs += [_spec(writer, {"/F": shared}, name=f"p{n}.png") for n in range(20)]
        _in_tree(writer, *specs)

    info = inspected(_carrying(build))
    assert len(info.embedded) == 1  # the stream once, whatever the number of entries
    monkeypatch.setattr(pdf, "MAX_EMBEDDED_TOTAL", len(XML) + 10)

    def distinct(writer: PdfWriter) -> None:
        _in_tree(
            writer,
            _spec(writer, {"/F": _stream(writer, XML)}),
            _spec(writer, {"/F": _stream(writer, png)}, name="p.png"),
        )

    assert refused(_carrying(distinct)).code == "pdf_embedded_too_large"


def test_an_embedded_name_is_cleaned_before_it_is_shown() -> None:
    name = "setup\n\nURGENT: pay to BE71\u202eexe.txt"
    error = refused(einvoices.with_embedded(einvoices.printed(), {name: PE}))
    assert "\n" not in error.message and "\u202e" not in error.message
    assert "URGENT: pay to BE71exe.txt" in error.message


# --- The page against the XML --------------------------------------------------------------


def test_the_page_disagrees_only_when_it_prints_another_sure_value() -> None:
    from connect.einvoice.compare import disagreements

    facts = Facts().expected("embedded_cii")
    text = "Total TVAC 1.383,57 EUR  TVA BE 0417.497.106  Facture FX-2026-0042"
    read = {"total_incl_vat": ("1383.57", 0.95), "supplier_vat": ("BE0417497106", 0.95)}
    assert disagreements(facts, text, read) == [
        {"fact": "total_incl_vat", "xml": "383.57", "pdf": "1383.57"}
    ]
    # Printed otherwise (a thousands separator): no disagreement.
    assert disagreements(facts, "Total 383,57", {"total_incl_vat": ("383.00", 0.95)}) == []
    # Not printed, but the reader is unsure: no disagreement.
    assert disagreements(facts, "Total 999,00", {"total_incl_vat": ("999.00", 0.5)}) == []


def test_without_a_due_date_the_net_date_of_the_payment_terms_is_taken() -> None:
    xml = einvoices.cii_xml("en16931").replace(
        b'<ram:DueDateDateTime><udt:DateTimeString format="102">20260214</udt:DateTimeString>'
        b"</ram:DueDateDateTime>",
        b"<ram:Description>Zahlbar innerhalb 30 Tagen netto bis 11.03.2026, 3% Skonto "
        b"innerhalb 10 Tagen bis 21.02.2026</ram:Description>",
    )
    invoice = einvoice.parse(xml)
    assert invoice.due_date == date(2026, 3, 11)
    assert invoice.payment_terms is not None and "Skonto" in invoice.payment_terms


@pytest.mark.parametrize(
    ("terms", "due"),
    [
        ("Net 30 days, due 2026-04-05", date(2026, 4, 5)),
        ("Payable on receipt", None),
        ("À payer avant le 31/02/2026", None),
        ("À payer avant le 15/03/2026", date(2026, 3, 15)),
        ("3 % Skonto bis 21.02.2026", None),
        ("Contrat cadre du 15.03.2031, 30 jours net", None),
        (None, None),
    ],
)
def test_the_due_date_of_written_payment_terms(terms: str | None, due: date | None) -> None:
    from connect.einvoice.values import due_date_from_terms

    assert due_date_from_terms(terms) == due


def test_a_zugferd_1_invoice_is_read_like_its_successor() -> None:
    import facturx
    from lxml import etree

    xml = einvoices.zugferd1_xml()
    assert facturx.xml_check_xsd(etree.fromstring(xml), flavor="zugferd", level="autodetect")
    invoice = einvoice.parse(xml)
    expected = Facts().expected("cii")
    assert subset(invoice.facts(), expected) == expected
    assert invoice.due_date == date(2026, 2, 14)  # from the written payment terms
    assert (invoice.iban, invoice.order_reference) == ("BE71096123456769", "PO-778")
    assert [line.line_total for line in invoice.lines] == [Decimal("285.00"), Decimal("32.00")]
    assert invoice.failed_checks == ()
    pdf_bytes = einvoices.with_embedded(einvoices.printed(), {"ZUGFeRD-invoice.xml": xml})
    assert inspected(pdf_bytes).hybrid.source == "embedded_cii"


def test_zugferd_1_without_amount_due_or_vat_category_takes_what_they_imply() -> None:
    xml = einvoices.zugferd1_xml().replace(b"<ram:CategoryCode>S</ram:CategoryCode>", b"")
    invoice = einvoice.parse(xml)
    assert invoice.payable_amount == invoice.total_incl_vat == Decimal("383.57")
    assert [line.category for line in invoice.vat_breakdown] == ["S"]


@pytest.mark.parametrize(
    ("supplement", "named"),
    [
        (samples.javascript_pdf(), "JavaScript"),
        (make_corpus.pdf_embedding("setup.exe", PE), "embedded files"),
    ],
    ids=["javascript", "carrying-a-file"],
)
def test_a_supplementary_pdf_passes_the_checks_of_a_pdf_of_its_own(
    supplement: bytes, named: str
) -> None:
    files = {"factur-x.xml": einvoices.cii_xml("en16931"), "Bon_de_livraison.pdf": supplement}
    error = refused(einvoices.with_embedded(einvoices.printed(), files))
    assert error.code == "pdf_active_content"
    assert "Bon_de_livraison.pdf" in error.message and named in error.message


def test_a_supplementary_image_passes_the_pixel_limit() -> None:
    files = {"factur-x.xml": einvoices.cii_xml("en16931"), "scan.png": samples.pixel_bomb()}
    assert refused(einvoices.with_embedded(einvoices.printed(), files)).code == "image_too_large"


def test_a_short_invoice_number_must_stand_as_a_word_of_its_own() -> None:
    from connect.einvoice.compare import printed

    assert not printed("invoice_number", "1", "Facture 2021-0042 du 12/03/2021")
    assert printed("invoice_number", "1", "Facture n° 1 du 12/03/2021")
    assert printed("invoice_number", "FX-2026-0042", "Facture FX 2026 0042")


def test_a_vat_total_only_in_the_tax_currency_is_not_the_invoices() -> None:
    xml = einvoices.cii_xml("en16931").replace(
        b'<ram:TaxTotalAmount currencyID="EUR">66.57</ram:TaxTotalAmount>',
        b'<ram:TaxTotalAmount currencyID="USD">77.01</ram:TaxTotalAmount>',
    )
    assert einvoice.parse(xml).total_vat == Decimal("66.57")
