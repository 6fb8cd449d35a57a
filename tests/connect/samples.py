"""Files to receive, made on the fly: valid ones and the hostile cases of QUALITY.md."""

import io
from pathlib import Path

from PIL import Image
from pypdf import PdfWriter

PEPPOL = Path(__file__).resolve().parent.parent / "fixtures" / "peppol"


def pdf(pages: int = 1, *, text: str = "") -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if text:
        writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def javascript_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    from pypdf.actions import JavaScript

    writer.add_open_action(JavaScript("app.alert('hello');"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color=0 if mode == "1" else (200, 120, 40)).save(out, fmt)
    return out.getvalue()


def pixel_bomb() -> bytes:
    """A small PNG that claims 64 million pixels."""
    return image("PNG", (8000, 8000), mode="1")


def ubl(name: str = "base-example.xml") -> bytes:
    return (PEPPOL / name).read_bytes()


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol2;</Invoice>"""

NOT_UBL = b"""<?xml version="1.0"?><order xmlns="urn:example:order"><id>1</id></order>"""

UBL_INCOMPLETE = b"""<?xml version="1.0"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:ID>F-1</cbc:ID></Invoice>"""

HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
EXECUTABLE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + (b"PE\x00\x00" + b"\x00" * 200)
)
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x00\x00" + b"\x00" * 20 + b"a.txtPK\x05\x06" + b"\x00" * 18


def pdf_with_binary_stream(data: bytes) -> bytes:
    """A PDF carrying ``data`` in a stream (as compressed images do): not a dictionary key."""
    from pypdf.generic import DecodedStreamObject

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    stream = DecodedStreamObject()
    stream.set_data(data)
    writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def heic() -> bytes:
    """An iPhone-style HEIC photo."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (10, 120, 200)).save(out, format="HEIF")
    return out.getvalue()


def invoice_pdf(lines: list[str]) -> bytes:
    """A text PDF (as accounting software prints invoices): one line of text per entry."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    y = 800
    for line in lines:
        page.drawString(60, y, line)
        y -= 18
    page.save()
    return out.getvalue()


BELGIAN_INVOICE = [
    "Garage Dupont SRL",
    "Rue de la Station 12, 5000 Namur",
    "TVA BE0403.170.701",
    "",
    "Client : Alpha Un SRL, TVA BE0123.456.749",
    "Facture n° F2026-0042",
    "Date de facture : 12/03/2026",
    "Échéance : 11/04/2026",
    "",
    "Entretien du véhicule                     100,00",
    "Total HTVA                                100,00 EUR",
    "TVA 21%                                    21,00 EUR",
    "Total TVAC                                121,00 EUR",
    "",
    "IBAN BE68 5390 0754 7034",
    "Communication structurée +++010/8068/17183+++",
]


def invoice_photo(lines: list[str]) -> bytes:
    """A phone photo of a printed invoice: text on paper, slightly turned, JPEG-compressed."""
    from PIL import ImageDraw, ImageFont

    font = ImageFont.load_default(size=44)
    page = Image.new("L", (1700, 2200), 250)
    draw = ImageDraw.Draw(page)
    for n, line in enumerate(lines):
        draw.text((130, 160 + n * 70), line, fill=20, font=font)
    turned = page.rotate(1.2, expand=True, fillcolor=120).convert("RGB")
    out = io.BytesIO()
    turned.save(out, "JPEG", quality=70)
    return out.getvalue()


def printer_invoice(number: str, date: str = "14/03/2026") -> bytes:
    """A printer's invoice whose number stands after "Stuk", a label the generic reader does
    not know: it reads no invoice number at all (what the supplier memory is for)."""
    return invoice_pdf(
        [
            "Drukkerij Peeters BV",
            "Kerkstraat 5, 2000 Antwerpen",
            "BTW BE0477.123.402",
            "",
            "Klant: Alpha Un BV",
            f"Stuk          {number}",
            f"Opgemaakt op  {date}",
            "",
            "Drukwerk folders                          100,00",
            "Maatstaf van heffing                      100,00",
            "BTW 21%                                    21,00",
            "Saldo                                     121,00",
        ]
    )
