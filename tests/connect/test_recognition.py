"""Recognition of invoice facts: from texts in the four languages, and from a real text PDF and
a real scan (reportlab, pdftoppm, Pillow and Tesseract run for real)."""

import io
import logging
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from connect import recognition
from connect.recognition import (
    FACT_KEYS,
    RecognitionError,
    extract_text,
    recognise_file,
    recognise_text,
    scan,
    words_of,
)

# Valid numbers (mod-97 checks): supplier, customer, account, structured communication.
SUPPLIER_VAT = "BE0403170701"
CUSTOMER_VAT = "BE0812345603"
IBAN = "BE71096123456769"
REFERENCE = "+++123/4567/89002+++"

FRENCH = """
Garage Dupont SRL                                         FACTURE
Rue Haute 12
1000 Bruxelles                                  Facture n° :        F2026/0142
TVA BE 0403.170.701                             Date de facture :   12 mars 2026
                                                Échéance :          11/04/2026

                                                Client
                                                Boulangerie Lemaire SA
                                                Place du Marché 3
                                                5000 Namur
                                                TVA : BE 0812.345.603

Description                         Qté      Prix unitaire      Total
Entretien annuel                      1           1.000,00   1.000,00
Pièces                                2             117,28     234,56

                                                Total HTVA         1.234,56 €
                                                TVA 21 %             259,26 €
                                                Total TVAC         1.493,82 €

Merci de verser 1.493,82 € sur le compte BE71 0961 2345 6769
avec la communication structurée +++123/4567/89002+++.
"""

DUTCH = """
Schrijnwerkerij Peeters BV
Kerkstraat 5, 9000 Gent
BTW-nr.: BE0403.170.701

Factuur aan:
Drukkerij Maes NV
Stationsstraat 8
2000 Antwerpen
Btw klant: BE 0812 345 603

Factuurnummer: 2026-0077
Factuurdatum: 3 maart 2026
Vervaldag: 02-04-2026

Totaal excl. btw      1 234,56
Btw 21%                 259,26
Totaal incl. btw      1 493,82 EUR
Reeds betaald           500,00
Te betalen              993,82 EUR

Rekening: IBAN BE71 0961 2345 6769 - gestructureerde mededeling ***123/4567/89002***
"""

GERMAN = """
Elektro Kessler GmbH · Hauptstraße 7 · 4700 Eupen · MwSt-Nr. BE 0403.170.701
Rechnungsempfänger:
Bäckerei Schmitz PGmbH
Kirchstraße 2, 4730 Raeren
Ihre MwSt-Nr.: BE0812345603

RECHNUNG
Rechnungsnummer: RE-2026-031
Rechnungsdatum: 12. März 2026
Zahlbar bis: 26.03.2026

Nettobetrag                 1.234,56
MwSt. 21 %                    259,26
Gesamtbetrag          EUR   1.493,82

Bitte überweisen Sie den Betrag auf das Konto IBAN BE71096123456769, BIC GKCCBEBB,
mit der Mitteilung +++123/4567/89002+++.
"""

ENGLISH = """
Northwind Consulting Ltd
VAT number: BE 0403 170 701

Bill to
Atomium Software BV
VAT: BE0812345603

Invoice #: INV-00421
Invoice date: March 12, 2026
Due date: April 11, 2026

Subtotal                 € 1,234.56
VAT 21%                    € 259.26
Amount due               € 1,493.82

Please transfer to BE71 0961 2345 6769 quoting +++123/4567/89002+++.
"""


def facts_of(text: str) -> dict[str, str | None]:
    return recognise_text(text).as_json()


@pytest.mark.parametrize(
    ("text", "language", "number", "issue", "due", "payable"),
    [
        (FRENCH, "fr", "F2026/0142", "2026-03-12", "2026-04-11", "1493.82"),
        (DUTCH, "nl", "2026-0077", "2026-03-03", "2026-04-02", "993.82"),
        (GERMAN, "de", "RE-2026-031", "2026-03-12", "2026-03-26", "1493.82"),
        (ENGLISH, "en", "INV-00421", "2026-03-12", "2026-04-11", "1493.82"),
    ],
)
def test_the_facts_of_an_invoice_in_each_language(
    text: str, language: str, number: str, issue: str, due: str, payable: str
) -> None:
    recognised = recognise_text(text)
    facts = recognised.as_json()

    assert recognised.language == language
    assert facts["supplier_vat"] == SUPPLIER_VAT
    assert facts["invoice_number"] == number
    assert facts["issue_date"] == issue
    assert facts["due_date"] == due
    assert facts["total_excl_vat"] == "1234.56"
    assert facts["total_vat"] == "259.26"
    assert facts["total_incl_vat"] == "1493.82"
    assert facts["payable_amount"] == payable
    assert facts["currency"] == "EUR"
    assert facts["iban"] == IBAN
    assert facts["structured_reference"] == REFERENCE
    # Totals that add up and checksummed numbers are trusted.
    assert float(facts["confidences"]["total_incl_vat"]) >= 0.9
    assert float(facts["confidences"]["supplier_vat"]) >= 0.9
    assert recognised.confidence >= 0.8


def test_the_supplier_name_is_read_near_its_vat_number() -> None:
    assert facts_of(FRENCH)["supplier_name"] == "Garage Dupont SRL"
    assert facts_of(GERMAN)["supplier_name"] == "Elektro Kessler GmbH"
    assert facts_of(ENGLISH)["supplier_name"] == "Northwind Consulting Ltd"


@pytest.mark.parametrize(
    ("printed", "value"),
    [
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("€ 1.234,56", "1234.56"),
        ("€1.234,56", "1234.56"),
        ("1234,56 EUR", "1234.56"),
        ("EUR 12.345.678,90", "12345678.90"),
        ("1234.56", "1234.56"),
        ("87,10 €", "87.10"),
    ],
)
def test_european_amount_formats(printed: str, value: str) -> None:
    facts = facts_of(f"Facture n° 12\nTotal TVAC : {printed}\n")

    assert facts["total_incl_vat"] == value
    # No "to pay" line: the total incl. VAT is payable, with less confidence.
    assert facts["payable_amount"] == value
    assert float(facts["confidences"]["payable_amount"]) < float(
        facts["confidences"]["total_incl_vat"]
    )


def test_totals_that_do_not_add_up_are_not_trusted() -> None:
    consistent = facts_of("Total HTVA 100,00\nTVA 21 % 21,00\nTotal TVAC 121,00\n")
    inconsistent = facts_of("Total HTVA 100,00\nTVA 21 % 21,00\nTotal TVAC 125,00\n")

    assert consistent["confidences"]["total_incl_vat"] == "0.95"
    assert inconsistent["total_incl_vat"] == "125.00"
    assert float(inconsistent["confidences"]["total_incl_vat"]) < 0.9


def test_a_missing_total_is_derived_from_the_two_others() -> None:
    facts = facts_of("Sous-total 200,00\nTotal TVAC 242,00\n")

    assert facts["total_vat"] == "42.00"


@pytest.mark.parametrize(
    ("printed", "value"),
    [
        ("31/03/2026", "2026-03-31"),
        ("31.03.2026", "2026-03-31"),
        ("31-03-2026", "2026-03-31"),
        ("31/03/26", "2026-03-31"),
        ("2026-03-31", "2026-03-31"),
        ("31 mars 2026", "2026-03-31"),
        ("1er août 2026", "2026-08-01"),
        ("31 maart 2026", "2026-03-31"),
        ("31. März 2026", "2026-03-31"),
        ("March 31, 2026", "2026-03-31"),
        ("31 March 2026", "2026-03-31"),
    ],
)
def test_date_formats(printed: str, value: str) -> None:
    assert facts_of(f"Invoice date: {printed}\n")["issue_date"] == value


def test_a_vat_number_with_a_wrong_checksum_is_only_doubtful() -> None:
    recognised = recognise_text("Fournisseur SRL\nTVA BE 0403.170.702\n")
    assert recognised.facts["supplier_vat"].confidence < 0.5
    assert recognised.as_json()["notes"][0]["code"] == "vat_checksum"
    assert "0403170702" in recognised.as_json()["notes"][0]["message"]
    text = "Fournisseur SRL\nTVA BE 0403.170.702\nFooter - TVA BE 0403.170.701\n"
    assert facts_of(text)["supplier_vat"] == SUPPLIER_VAT


def test_an_iban_with_a_wrong_checksum_is_not_trusted() -> None:
    # Printed after its label, a wrong number is only shown as doubtful.
    assert recognise_text("IBAN BE71 0961 2345 6768\n").facts["iban"].confidence < 0.5
    assert recognise_text("IBAN BE72 0961 2345 6769\n").facts["iban"].confidence < 0.5
    assert facts_of("Compte BE71 0961 2345 6768\n")["iban"] is None
    assert facts_of("IBAN BE71 0961 2345 6769\n")["iban"] == IBAN


def test_a_structured_reference_with_a_wrong_checksum_is_not_taken() -> None:
    assert facts_of("Communication : +++123/4567/89003+++\n")["structured_reference"] is None
    # Check digits 97 when the first ten digits are a multiple of 97.
    assert facts_of("Mededeling: +++000/0000/09797+++\n")["structured_reference"] == (
        "+++000/0000/09797+++"
    )


def test_other_eu_vat_numbers_are_validated() -> None:
    assert facts_of("Lieferant GmbH\nUSt-IdNr.: DE 136695976\n")["supplier_vat"] == "DE136695976"
    assert facts_of("Leverancier B.V.\nBTW: NL004495445B01\n")["supplier_vat"] == "NL004495445B01"
    wrong = recognise_text("Fournisseur SAS\nTVA : FR40303265046\n")
    assert wrong.facts["supplier_vat"].confidence < 0.5
    assert wrong.notes == ("vat_checksum:FR40303265046",)


@pytest.mark.parametrize(
    ("printed", "value"),
    [
        ("GSTIN: 29AAACR5055K1Z5", "29AAACR5055K1Z5"),
        ("VAT Reg No: GB 123 4567 89", "GB 123 4567 89"),
        ("MWST-Nr. CHE-123.456.788", "CHE-123.456.788"),
    ],
)
def test_a_tax_number_from_outside_the_eu_is_noted_not_taken(printed: str, value: str) -> None:
    recognised = recognise_text(f"Supplier Ltd\n{printed}\nInvoice No: 2024-17\n")

    assert "supplier_vat" not in recognised.facts
    notes = recognised.as_json()["notes"]
    assert [note["code"] for note in notes] == ["not_eu_vat"]
    assert notes[0]["value"] == value
    assert notes[0]["message"] == f"Not an EU VAT number: {value}"


def test_the_customer_vat_number_is_not_taken_as_the_supplier() -> None:
    # The customer's block comes first on the page; the supplier's number is in the footer.
    text = (
        "Facturé à :\nBoulangerie Lemaire SA\nRue Haute 3\n5000 Namur\nTVA BE 0812.345.603\n\n\n"
        "Facture n° 2026-1\nTotal TVAC 121,00\n\n\n"
        "Garage Dupont SRL - Rue Haute 12 - 1000 Bruxelles - TVA BE 0403.170.701\n"
    )
    facts = facts_of(text)

    assert facts["supplier_vat"] == SUPPLIER_VAT
    assert facts["supplier_name"] == "Garage Dupont SRL"
    # Only the customer's number on the page: no supplier VAT number at all.
    assert (
        facts_of("Client : Boulangerie Lemaire SA\nTVA client : BE0812345603\n")["supplier_vat"]
        is None
    )


def test_the_json_shape_of_the_recognized_object() -> None:
    recognised = recognise_text(ENGLISH)
    data = recognised.as_json()

    assert set(FACT_KEYS) <= set(data)
    assert data["source"] == "text"
    assert data["language"] == "en"
    assert data["confidence"] == f"{recognised.confidence:.2f}"
    assert all(len(value.split(".")[1]) == 2 for value in data["confidences"].values())
    assert set(data["confidences"]) == {key for key in FACT_KEYS if data[key] is not None}


def test_nothing_recognised_in_an_unrelated_text() -> None:
    recognised = recognise_text("Bonjour,\nvoici les documents demandés.\nBien à vous")

    assert all(recognised.as_json()[key] is None for key in FACT_KEYS)
    assert recognised.confidence == 0


# Real files ---------------------------------------------------------------------------------


def draw_invoice(path: Path) -> None:
    canvas = Canvas(str(path), pagesize=A4)
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(50, 790, "Garage Dupont SRL")
    canvas.setFont("Helvetica", 11)
    for i, line in enumerate(["Rue Haute 12", "1000 Bruxelles", "TVA BE 0403.170.701"]):
        canvas.drawString(50, 770 - 15 * i, line)
    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawRightString(545, 790, "FACTURE")
    canvas.setFont("Helvetica", 11)
    for i, (label, value) in enumerate(
        [("Facture n° :", "F2026/0142"), ("Date :", "12/03/2026"), ("Échéance :", "11/04/2026")]
    ):
        canvas.drawString(340, 740 - 15 * i, label)
        canvas.drawRightString(545, 740 - 15 * i, value)
    canvas.drawString(340, 660, "Client")
    for i, line in enumerate(["Boulangerie Lemaire SA", "5000 Namur", "TVA BE 0812.345.603"]):
        canvas.drawString(340, 645 - 15 * i, line)
    canvas.drawString(50, 540, "Entretien annuel")
    canvas.drawRightString(545, 540, "1.234,56")
    for i, (label, value) in enumerate(
        [("Total HTVA", "1.234,56 €"), ("TVA 21 %", "259,26 €"), ("Total TVAC", "1.493,82 €")]
    ):
        canvas.drawString(340, 480 - 18 * i, label)
        canvas.drawRightString(545, 480 - 18 * i, value)
    canvas.drawString(50, 380, "IBAN BE71 0961 2345 6769 - Communication +++123/4567/89002+++")
    canvas.showPage()
    canvas.save()


def scan_of(pdf: Path, target: Path) -> None:
    """A cheap scan: 150 dpi, turned by 0.8°, noisy, blurred, JPEG quality 60."""
    prefix = target.parent / "render"
    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-singlefile", str(pdf), str(prefix)],
        check=True,
        timeout=60,
    )
    with Image.open(prefix.with_suffix(".pgm")) as rendered:
        page = rendered.convert("L")
    page = page.rotate(0.8, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    noise = Image.effect_noise(page.size, 40)
    page = Image.blend(page, noise, 0.08).filter(ImageFilter.GaussianBlur(0.5))
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=60)
    target.write_bytes(buffer.getvalue())


def test_a_text_pdf_is_read_from_its_text_layer(tmp_path: Path) -> None:
    pdf = tmp_path / "facture.pdf"
    draw_invoice(pdf)

    recognised = recognise_file(pdf, "application/pdf")

    assert recognised.method == "text"
    assert recognised.facts["supplier_vat"].value == SUPPLIER_VAT
    assert recognised.facts["invoice_number"].value == "F2026/0142"
    assert recognised.facts["total_incl_vat"].value == "1493.82"
    assert recognised.facts["structured_reference"].value == REFERENCE
    assert recognised.as_json()["source"] == "text"


def test_a_scan_is_read_with_ocr(tmp_path: Path) -> None:
    pdf = tmp_path / "facture.pdf"
    draw_invoice(pdf)
    photo = tmp_path / "scan.jpg"
    scan_of(pdf, photo)

    recognised = recognise_file(photo, "image/jpeg")

    assert recognised.method == "ocr"
    assert recognised.facts["supplier_vat"].value == SUPPLIER_VAT
    assert recognised.facts["invoice_number"].value == "F2026/0142"
    assert recognised.facts["total_incl_vat"].value == "1493.82"
    assert recognised.language == "fr"


def test_a_photo_under_a_lamp_is_evened_out_before_it_is_read(tmp_path: Path) -> None:
    pdf = tmp_path / "facture.pdf"
    draw_invoice(pdf)
    photo = tmp_path / "scan.jpg"
    scan_of(pdf, photo)
    with Image.open(photo) as opened:
        page = np.asarray(opened.convert("L"), dtype=np.float32)
    # The lamp at the top left: the paper goes from white to a quarter of its brightness
    # in the opposite corner, darker than the ink near the lamp.
    rows, columns = np.mgrid[0 : page.shape[0], 0 : page.shape[1]]
    distance = (rows / page.shape[0] + columns / page.shape[1]) / 2
    lit = Image.fromarray((page * (1 - 0.75 * distance)).astype(np.uint8), mode="L")
    lit.save(photo, "JPEG", quality=80)
    corner = (lit.width * 3 // 4, lit.height * 3 // 4, lit.width, lit.height)
    assert np.percentile(np.asarray(lit.crop(corner)), 90) < 100
    # Evened out, the paper far from the lamp is near white again.
    assert np.percentile(np.asarray(scan.even_out(lit).crop(corner)), 90) > 200

    recognised = recognise_file(photo, "image/jpeg")

    assert recognised.facts["invoice_number"].value == "F2026/0142"
    assert recognised.facts["total_incl_vat"].value == "1493.82"
    assert recognised.facts["supplier_vat"].value == SUPPLIER_VAT


def test_an_evenly_lit_scan_keeps_its_grey_levels_unless_contrast_is_forced() -> None:
    page = Image.new("L", (1200, 800), 225)
    ImageDraw.Draw(page).rectangle((100, 100, 700, 400), fill=60)  # ink: 0.19 of the page
    page = Image.blend(page, Image.effect_noise(page.size, 40), 0.1)

    plain = np.asarray(scan.even_out(page))
    forced = np.asarray(scan.even_out(page, strong=True))

    # Stretched from the darkest to the lightest pixel: only the darkest speck becomes black.
    assert (plain == 0).mean() < 0.001
    # Forced: the darkest 1 % are clipped to black.
    assert (forced == 0).mean() > 0.009


def _line_of(words: list[recognition.Word], text: str) -> list[str]:
    word = next(word for word in words if word.text == text)
    return [other.text for other in words if (other.page, other.line) == (word.page, word.line)]


def test_the_words_of_a_text_pdf_keep_their_place_on_the_page(tmp_path: Path) -> None:
    pdf = tmp_path / "facture.pdf"
    draw_invoice(pdf)

    words, method = words_of(pdf, "application/pdf")

    assert method == "text"
    assert all(0 <= w.x0 <= w.x1 <= 1 and 0 <= w.top < w.bottom <= 1 for w in words)
    number = next(word for word in words if word.text == "F2026/0142")
    label = next(word for word in words if word.text == "Facture")
    # Drawn at x = 545 pt of 595, y = 740 pt of 842 from the bottom, right of its label.
    assert number.x1 == pytest.approx(545 / A4[0], abs=0.01)
    assert number.top == pytest.approx(1 - 751 / A4[1], abs=0.02)
    assert label.x1 < number.x0
    assert _line_of(words, "F2026/0142") == [
        "TVA",
        "BE",
        "0403.170.701",
        "Facture",
        "n°",
        ":",
        "F2026/0142",
    ]
    assert {w.page for w in words} == {0}


def test_the_result_keeps_the_words_it_was_read_from(tmp_path: Path) -> None:
    pdf = tmp_path / "facture.pdf"
    draw_invoice(pdf)

    recognised = recognise_file(pdf, "application/pdf")

    assert "F2026/0142" in {word.text for word in recognised.words}
    assert "words" not in recognised.as_json()


def test_the_words_of_a_scan_keep_their_lines(tmp_path: Path) -> None:
    pdf = tmp_path / "facture.pdf"
    draw_invoice(pdf)
    photo = tmp_path / "scan.jpg"
    scan_of(pdf, photo)

    words, method = words_of(photo, "image/jpeg")

    assert method == "ocr"
    line = _line_of(words, "F2026/0142")
    assert "Facture" in line and "0403.170.701" in line
    number = next(word for word in words if word.text == "F2026/0142")
    assert number.x1 == pytest.approx(545 / A4[0], abs=0.02)


def test_an_image_only_pdf_falls_back_to_ocr(tmp_path: Path) -> None:
    import img2pdf

    pdf = tmp_path / "facture.pdf"
    draw_invoice(pdf)
    photo = tmp_path / "scan.jpg"
    scan_of(pdf, photo)
    scanned = tmp_path / "scan.pdf"
    scanned.write_bytes(img2pdf.convert(photo.read_bytes()))

    text, method = extract_text(scanned, "application/pdf")

    assert method == "ocr"
    assert "0403.170.701" in text


def test_without_tesseract_there_is_no_text_and_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    photo = tmp_path / "photo.png"
    Image.new("L", (100, 100), 255).save(photo)
    monkeypatch.setattr(recognition.words.shutil, "which", lambda name: None)

    with caplog.at_level(logging.WARNING, logger="connect.recognition.words"):
        assert extract_text(photo, "image/png") == ("", "none")
        assert recognise_file(photo, "image/png").method == "none"

    assert "tesseract" in caplog.text


def test_an_ocr_timeout_is_a_recognition_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = tmp_path / "photo.png"
    page = Image.new("L", (600, 300), 255)
    ImageDraw.Draw(page).text((20, 20), "Facture 2026-0142", fill=0, font_size=40)
    page.save(photo)

    def too_slow(argv: list[str], **kwargs: object) -> None:
        raise subprocess.TimeoutExpired(argv, 1)

    monkeypatch.setattr(recognition.scan.subprocess, "run", too_slow)

    with pytest.raises(RecognitionError):
        extract_text(photo, "image/png", timeout=1)


def test_an_unreadable_image_is_a_recognition_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a JPEG")

    with pytest.raises(RecognitionError):
        extract_text(broken, "image/jpeg")


def test_two_ocr_readings_are_merged_fact_by_fact() -> None:
    first = recognise_text("TVA BE 0403.170.701\nTotal TVAC 121,00\n", method="ocr")
    second = recognise_text(
        "Facture n° 2026-7\nTotal HTVA 100,00\nTVA 21 % 21,00\nTotal TVAC 121,00\n", method="ocr"
    )

    merged = recognition.merge(first, second).as_json()

    assert merged["supplier_vat"] == SUPPLIER_VAT
    assert merged["invoice_number"] == "2026-7"
    # The totals come together from the reading where they add up.
    assert merged["total_excl_vat"] == "100.00"
    assert merged["confidences"]["total_incl_vat"] == "0.95"
    assert merged["source"] == "ocr"


def test_a_small_scan_is_enlarged_to_about_250_dpi(tmp_path: Path) -> None:
    from connect.recognition.scan import image_pages

    photo = tmp_path / "scan.jpg"
    Image.new("L", (1240, 1754), 245).save(photo, "JPEG")  # A4 at 150 dpi

    (page,) = image_pages(photo, tmp_path)

    with Image.open(page.path) as enlarged:
        assert max(enlarged.size) >= 3000  # A4 at 250 dpi or more


def test_flattening_makes_shaded_rows_paper_and_keeps_the_ink() -> None:
    from connect.recognition.scan import flatten

    page = Image.new("L", (1200, 400), 200)
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 100, 1200, 160), fill=156)  # a shaded table row
    draw.rectangle((100, 115, 400, 145), fill=40)  # ink on it
    page = Image.blend(page, Image.effect_noise(page.size, 60), 0.1)

    flat = flatten(page)

    assert flat.getpixel((700, 130)) == 255  # the shading is paper
    assert flat.getpixel((50, 300)) == 255
    assert flat.getpixel((250, 130)) == 0  # the ink stays


def test_an_incomplete_scan_is_read_again_in_black_and_white(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from connect.recognition.words import Reading
    from connect.recognition.words import Word as W

    def line(text: str, number: int) -> list[W]:
        return [
            W(word, 0, 0.1 * i, 0.05 * number, 0.1 * i + 0.08, 0.05 * number + 0.02, number)
            for i, word in enumerate(text.split())
        ]

    readings = []

    def read_words(
        path: Path, content_type: str, *, psm: int = 3, prepare: str = "plain", **_: object
    ) -> Reading:
        readings.append((psm, prepare))
        if prepare == "binary":
            return Reading(
                line("Total TVAC 121,00", 1) + line("IBAN BE71 0961 2345 6769", 2), "ocr"
            )
        return Reading(line("Facture n° 2026-7", 0), "ocr")

    monkeypatch.setattr(recognition, "read_words", read_words)

    recognised = recognise_file(tmp_path / "scan.jpg", "image/jpeg")

    assert readings == [
        (3, "plain"),
        (3, "contrast"),
        (4, "plain"),
        (4, "contrast"),
        (6, "binary"),
    ]
    assert recognised.facts["invoice_number"].value == "2026-7"
    assert recognised.facts["total_incl_vat"].value == "121.00"
    assert recognised.facts["iban"].value == IBAN
    # The words kept are the first reading's and those found where it had none.
    assert [word.text for word in recognised.words][:3] == ["Facture", "n°", "2026-7"]
    assert "BE71" in {word.text for word in recognised.words}


def test_further_readings_stop_when_the_time_for_the_document_runs_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pdf = tmp_path / "note.pdf"
    canvas = Canvas(str(pdf), pagesize=A4)
    canvas.setFont("Helvetica", 14)
    canvas.drawString(60, 760, "Facture n° F2026/0142")  # no totals: incomplete
    canvas.drawString(60, 730, "TVA BE 0403.170.701")
    canvas.save()
    photo = tmp_path / "scan.jpg"
    scan_of(pdf, photo)
    real = recognition.read_words
    calls = []

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("prepare", "plain"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(recognition, "read_words", counted)
    monkeypatch.setattr(recognition, "RECOGNITION_SECONDS", 10)  # < REREADING_SECONDS

    recognised = recognise_file(photo, "image/jpeg")

    assert calls == ["plain"]  # read once, not five times
    assert recognised.facts["invoice_number"].value == "F2026/0142"
    assert "total_incl_vat" not in recognised.facts


def test_a_second_reading_fills_the_column_the_first_one_dropped() -> None:
    from connect.recognition.words import Reading, fill, lines_of

    size = ((2480.0, 3508.0),)
    first = Reading(
        lines_of(
            [("Bruttosumme", 0.40, 0.50, 0.50, 0.51), ("Zahlbetrag", 0.40, 0.55, 0.50, 0.56)], 0
        ),
        "ocr",
        sizes=size,
    )
    other = Reading(
        lines_of(
            [
                ("Bruttosumme", 0.401, 0.501, 0.499, 0.511),  # the same word, read again
                ("529,87", 0.85, 0.502, 0.90, 0.512),
                ("Zahibetrag", 0.40, 0.55, 0.50, 0.56),  # misread: the first reading's stays
                ("529,87", 0.85, 0.551, 0.90, 0.561),
            ],
            0,
        ),
        "ocr",
        sizes=size,
    )

    filled = fill(first, other)

    lines = [[w.text for w in filled.words if w.line == n] for n in (0, 1)]
    assert lines == [["Bruttosumme", "529,87"], ["Zahlbetrag", "529,87"]]
    text = recognition.layout_text(filled.words)
    assert recognise_text(text, method="ocr").facts["total_incl_vat"].value == "529.87"
    # Pages of another size (a page turned on its side in one reading) are not mixed.
    turned = Reading(other.words, "ocr", sizes=((3508.0, 2480.0),))
    assert fill(first, turned) is first


# Real layouts (issue 13) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("printed", "currency"),
    [
        ("Grand Total   ₹ 1,180.00", "INR"),
        ("Grand Total   Rs. 1,180.00", "INR"),
        ("Grand Total   USD 1,180.00", "USD"),
        ("Grand Total   £1,180.00", "GBP"),
        ("Grand Total   CHF 1'180.00", "CHF"),
        ("Gesamtbetrag   1.180,00 €", "EUR"),
    ],
)
def test_currencies_from_symbols_and_codes(printed: str, currency: str) -> None:
    facts = facts_of(f"Invoice No: 2024-17\n{printed}\n")
    assert facts["currency"] == currency
    assert facts["total_incl_vat"] == "1180.00"


def test_a_dollar_sign_alone_is_a_doubtful_us_dollar() -> None:
    recognised = recognise_text("Invoice No: 2024-17\nAmount due   $1,180.00\n")
    assert recognised.facts["currency"] == recognition.Fact("USD", 0.75)


def test_the_total_is_chosen_by_arithmetic_beside_subtotal_and_shipping() -> None:
    text = """
Order # 4711                                   Invoice date: March 5, 2024
Subtotal                                        100.00
Shipping                                         10.00
VAT 21%                                          23.10
Grand Total                                     133.10
Amount due                                      133.10
"""
    facts = facts_of(text)
    assert facts["total_incl_vat"] == "133.10"
    assert facts["total_vat"] == "23.10"
    assert facts["payable_amount"] == "133.10"
    assert facts["issue_date"] == "2024-03-05"


def test_an_order_number_stands_in_for_the_invoice_number_only_doubtfully() -> None:
    recognised = recognise_text("Order # 4711\nGrand Total   121.00 EUR\n")
    assert recognised.facts["invoice_number"].value == "4711"
    assert recognised.facts["invoice_number"].confidence < 0.8
    assert facts_of("Bill No. B-2024-88\n")["invoice_number"] == "B-2024-88"
    assert facts_of("Rechnungsnummer: RE-2024-5\n")["invoice_number"] == "RE-2024-5"


def test_a_title_row_gives_number_and_date_across_cells() -> None:
    text = (
        "Handelsrechnung (380)      Nr. 471102    vom   05.03.2026\nStylesheet 2.7 vom 06.05.2026\n"
    )
    facts = facts_of(text)
    assert facts["invoice_number"] == "471102"
    assert facts["issue_date"] == "2026-03-05"


@pytest.mark.parametrize(
    ("printed", "value"),
    [
        ("5th March 2024", "2024-03-05"),
        ("March 5, 2024", "2024-03-05"),
        ("5 mars 2024", "2024-03-05"),
        ("5 maart 2024", "2024-03-05"),
        ("5. März 2024", "2024-03-05"),
    ],
)
def test_dates_with_month_names(printed: str, value: str) -> None:
    assert facts_of(f"Date de facture : {printed}\n")["issue_date"] == value


def test_an_ambiguous_numeric_date_in_english_is_doubtful() -> None:
    recognised = recognise_text("Invoice number: 17\nInvoice date: 03/11/2024\nTotal due 10.00\n")
    assert recognised.facts["issue_date"].confidence < 0.8


def test_an_iban_cut_by_a_line_break() -> None:
    facts = facts_of("Factuurnummer: 2024-3\nIBAN: BE71 0961\n2345 6769\n")
    assert facts["iban"] == IBAN


def test_a_blank_scan_gives_no_facts_and_a_note(tmp_path: Path) -> None:
    photo = tmp_path / "blank.jpg"
    page = Image.new("L", (1240, 1754), 245)
    Image.blend(page, Image.effect_noise(page.size, 10), 0.05).save(photo, "JPEG")

    recognised = recognise_file(photo, "image/jpeg")

    assert recognised.facts == {}
    assert [note["code"] for note in recognised.as_json()["notes"]] == ["blank"]


def test_an_upside_down_scan_is_turned_and_read(tmp_path: Path) -> None:
    pdf = tmp_path / "facture.pdf"
    draw_invoice(pdf)
    photo = tmp_path / "scan.jpg"
    scan_of(pdf, photo)
    with Image.open(photo) as scanned:
        scanned.rotate(180).save(photo, "JPEG", quality=80)

    recognised = recognise_file(photo, "image/jpeg")

    assert "upside_down" in recognised.notes
    assert recognised.facts["supplier_vat"].value == SUPPLIER_VAT
    assert recognised.facts["total_incl_vat"].value == "1493.82"


# Confidence that means something (issue 13): rules from the real-world set's misses --------


def confidences_of(text: str) -> dict[str, str]:
    data = recognise_text(text).as_json()
    return {key: data["confidences"].get(key, "0") for key in FACT_KEYS}


def test_the_net_total_after_discounts_wins_over_the_subtotal() -> None:
    text = """
Rechnungsnummer                         471102
                                        Zwischensumme                     202,76
                                        abzgl. Sondernachlass  10%       -14,73
                                        zzgl. Versandkosten                 5,80
Rechnungssumme Netto (exkl. USt.)                                        193,83
                                        Summe Umsatzsteuer                 21,31
Rechnungssumme Brutto (inkl. USt.)                                       215,14
"""
    facts = facts_of(text)
    assert facts["total_excl_vat"] == "193.83"
    assert facts["total_vat"] == "21.31"
    assert facts["total_incl_vat"] == "215.14"


def test_the_sum_row_of_a_totals_table_gives_the_totals(tmp_path: Path) -> None:
    pdf = tmp_path / "rechnung.pdf"
    canvas = Canvas(str(pdf), pagesize=A4)
    canvas.setFont("Helvetica", 10)
    canvas.drawString(50, 790, "Rechnungsnummer: R-2026-17")
    heads = [(260, "Nettobetrag"), (360, "MwSt-Betrag"), (460, "Endbetrag")]
    rows = [("321,40", "61,07", "382,47"), ("127,59", "8,93", "136,52")]
    for x, head in heads:
        canvas.drawRightString(x + 60, 500, head)
    for i, values in enumerate([*rows, ("448,99", "70,00", "518,99")]):
        for (x, _), value in zip(heads, values, strict=True):
            canvas.drawRightString(x + 60, 485 - 15 * i - (15 if i == 2 else 0), value)
    canvas.showPage()
    canvas.save()

    recognised = recognise_file(pdf, "application/pdf")

    facts = recognised.facts
    assert facts["total_excl_vat"].value == "448.99"
    assert facts["total_vat"].value == "70.00"
    assert facts["total_incl_vat"].value == "518.99"
    assert facts["total_incl_vat"].confidence >= 0.8


def test_the_first_line_of_a_vat_breakdown_is_not_a_sure_vat_total() -> None:
    text = """
Facture n° F-17
                                   Taux      Base TVA         Montant TVA
                                 20,00%           11,00                2,20
                                  0,00%           60,00                0,00
                                 10,00%           27,00                2,70
                                                          NET A PAYER     104,90 EUR
"""
    confidences = confidences_of(text)
    assert float(confidences["total_vat"]) < 0.8


def test_a_total_in_a_sentence_is_not_a_sure_total() -> None:
    text = """
Facture n° 11608848301659
TVA 20,00 %                                                                      2,17
Rappel : vous avez souscrit une facilité de paiement de 24 mensualités d'un montant total de
192,00 €. Vous pouvez retrouver toutes les informations sur votre compte.
"""
    confidences = confidences_of(text)
    assert float(confidences["total_incl_vat"]) < 0.8


def test_the_date_of_an_associated_invoice_is_doubtful() -> None:
    text = """
FACTURE N° : F20260023
N° DE FACTURE ASSOCIÉE : F20260003
DATE DE FACTURE ASSOCIÉE : 01/01/2026
"""
    recognised = recognise_text(text)
    assert recognised.facts["issue_date"].confidence < 0.8


def test_a_label_followed_by_several_dates_is_doubtful() -> None:
    text = """
Rechnungsnummer: 6069999998
Fälligkeit
Bis zum 01.03.2026 erhalten Sie 1,5 % Skonto, bis zum 15.03.2026 1 % Skonto
"""
    recognised = recognise_text(text)
    assert recognised.facts["due_date"].confidence < 0.8


@pytest.mark.parametrize(
    ("terms", "due"),
    [
        (
            "Zahlbar innerhalb 30 Tagen netto bis 04.07.2026, 3% Skonto innerhalb 10 Tagen bis "
            "15.06.2026",
            "2026-07-04",
        ),
        (
            "3% Skonto innerhalb 10 Tagen bis 15.06.2026\nZahlbar innerhalb 30 Tagen netto bis "
            "04.07.2026",
            "2026-07-04",
        ),
        ("Bis zum 01.06.2026 erhalten Sie 2 % Skonto, bis zum 04.07.2026 ohne Abzug", "2026-07-04"),
        ("Payment terms: 30 days net by 4 July 2026", "2026-07-04"),
        ("Conditions : 30 jours, payable avant le 04/07/2026", "2026-07-04"),
        ("Gelieve dit bedrag te betalen vóór 04-07-2026.", "2026-07-04"),
    ],
)
def test_a_date_after_a_net_or_due_keyword_is_the_due_date(terms: str, due: str) -> None:
    recognised = recognise_text(f"Rechnung Nr. 4711\nRechnungsdatum 04.06.2026\n{terms}\n")

    assert recognised.facts["due_date"].value == due
    assert recognised.facts["due_date"].confidence >= 0.85


def test_a_discount_date_alone_is_not_the_due_date() -> None:
    text = """
Rechnung Nr. 4711
Rechnungsdatum 04.06.2026
3% Skonto innerhalb 10 Tagen bis 15.06.2026
"""

    assert "due_date" not in recognise_text(text).facts


def test_a_direct_debits_date_is_the_due_date_doubtfully() -> None:
    text = """
Facture N° 2019-11
Date de facture : 02/11/2019
Montant prélevé le 16 novembre 2019                12,99
"""
    assert recognise_text(text).facts["due_date"] == recognition.Fact("2019-11-16", 0.7)


def test_the_iban_of_a_direct_debit_is_the_customers() -> None:
    text = """
Rechnungsnummer: 471102
Der Betrag wird am 20.03.2014 von Ihrem Konto mit IBAN DE21860000000086001055 eingezogen.
Bankverbindung
Kontonr.: 1234 5678 90     IBAN-Nr.: DE08 7009 0100 1234 5678 90     BIC: GENODEF1M04
"""
    assert facts_of(text)["iban"] == "DE08700901001234567890"


def test_two_labelled_ibans_leave_the_iban_doubtful() -> None:
    text = """
Factuurnummer: 2026-3
IBAN BE71 0961 2345 6769
IBAN DE08 7009 0100 1234 5678 90
"""
    recognised = recognise_text(text)
    assert recognised.facts["iban"].confidence < 0.8


FORM = """
Handelsrechnung (380)      Nr. 47110818    vom    31.05.2026
 Verkäufer
 Nummer:                                  12345676
 Name:                                    Global Supplies Ltd.
 Anschrift:                               153 Victoria Street
                                          GB SW1B 3BN London
 USt.-Id.-Nr.:                            {seller_vat}
 Käufer/Leistungsempfänger
 Nummer:                                  75969813
 Name:                                    Metallbau Leipzig GmbH & Co. KG
 Anschrift:                               Pappelallee 15
 USt.-Id.-Nr.:                            DE106008386
"""


def test_a_form_gives_the_name_and_vat_number_of_the_sellers_section() -> None:
    recognised = recognise_text(FORM.format(seller_vat="DE136695976"))

    assert recognised.facts["supplier_name"] == recognition.Fact("Global Supplies Ltd.", 0.85)
    assert recognised.facts["supplier_vat"].value == "DE136695976"


def test_a_vat_number_in_both_parties_sections_is_the_suppliers_doubtfully() -> None:
    recognised = recognise_text(FORM.format(seller_vat="DE106008386"))

    assert recognised.facts["supplier_vat"].value == "DE106008386"
    assert recognised.facts["supplier_vat"].confidence < 0.8


def test_a_credit_notes_negative_totals_add_up() -> None:
    facts = facts_of(
        "Gutschrift Nr. RK-7\n"
        "Rechnungssumme ohne USt.      -7,67\n"
        "Steuerbetrag                  -1,12\n"
        "Bruttosumme                   -8,79\n"
        "Zahlbetrag                    -8,79\n"
    )

    assert facts["total_excl_vat"] == "-7.67"
    assert facts["total_vat"] == "-1.12"
    assert facts["total_incl_vat"] == "-8.79"
    assert facts["payable_amount"] == "-8.79"
    assert facts["confidences"]["total_incl_vat"] == "0.95"


def test_negative_totals_that_do_not_add_up_are_not_taken_as_a_credit_note() -> None:
    facts = facts_of("Nettobetrag -7,67\nMwSt-Betrag -1,12\nEndbetrag -9,50\n")

    assert facts["confidences"].get("total_incl_vat") != "0.95"


def test_a_letterhead_name_wrapped_over_two_lines_is_read_whole() -> None:
    facts = facts_of(
        "MVM Musterhafter\n"
        "Versicherungsverein Musterstadt a.G.\n"
        "\n"
        "Herrn\n"
        "Max Mustermann\n"
        "\n"
        "Beitragsrechnung\n"
        "Gesamtbeitrag          50,00 €\n"
    )

    assert facts["supplier_name"] == "MVM Musterhafter Versicherungsverein Musterstadt a.G."
