"""The hostile corpus (QUALITY.md, "Hostile input"): what each file is, the name it is sent
under, and the reason it must be refused with. The files are in ``files/``, made by
``make_corpus.py`` (which also writes README.md from this table)."""

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
#: The loopback address the network cases point at; tests put their own server's port in.
NETWORK_PLACEHOLDER = "127.0.0.1:8999"

# QUALITY.md "Hostile input" bullets, by the short name README.md uses.
Q_TYPE, Q_PDF, Q_SIZE, Q_XML, Q_NAMES = "type", "pdf", "size", "xml", "names"
QUALITY = {
    Q_TYPE: "a .pdf that is really HTML, an executable, a zip; a real PDF named .exe; "
    "double extensions",
    Q_PDF: "encrypted, truncated or corrupt PDFs; PDFs with JavaScript/OpenAction",
    Q_SIZE: "images over the pixel limit (decompression bombs); zero-byte files; one byte over "
    "the size limit; more files in one request than allowed",
    Q_XML: "XML with a DOCTYPE, external entities (XXE), entity expansion (billion laughs); XML "
    "that is not UBL Invoice/CreditNote; UBL missing mandatory facts",
    Q_NAMES: "file names with ../, NUL, control characters, right-to-left override, 300+ "
    "characters, Windows reserved names",
}

# The reasons: (code, English fragment, French fragment).
TYPE_REFUSED = ("type_refused", "This type of file is not accepted", "n'est pas accepté")
TYPE_MISMATCH = ("type_mismatch", "does not match its name", "ne correspond pas")
PDF_ENCRYPTED = ("pdf_encrypted", "protected by a password", "protégé par un mot de passe")
PDF_INCOMPLETE = ("pdf_broken", "The PDF is incomplete or damaged", "incomplet ou endommagé")
PDF_DAMAGED = ("pdf_broken", "The PDF is damaged and cannot be opened", "PDF est endommagé")
PDF_ACTIVE = ("pdf_active_content", "scripts or automatic actions", "actions automatiques")
PDF_EMBEDDED = ("pdf_embedded_file", "only an invoice XML may be embedded", "seul le XML d'une")
PDF_EMBEDDED_FAKE_XML = (
    "pdf_embedded_file",
    "is not XML but a program",
    "pas du XML mais un programme",
)
PDF_EMBEDDED_DOCTYPE = (
    "pdf_embedded_xml_forbidden",
    "The e-invoice inside the PDF contains a DOCTYPE",
    "comporte un DOCTYPE",
)
PDF_EMBEDDED_UNREADABLE = (
    "pdf_embedded_unreadable",
    "stored in a way that cannot be checked",
    "ne peut pas être vérifiée",
)
PDF_EMBEDDED_LARGE = ("pdf_embedded_too_large", "too large or too deeply nested", "trop imbriqué")
IMAGE_PIXELS = ("image_too_large", "The image has too many pixels", "trop de pixels")
IMAGE_BROKEN = ("image_broken", "The image is damaged", "image est endommagée")
EMPTY = ("empty", "The file is empty.", "Le fichier est vide.")
TOO_LARGE = ("too_large", "The file is larger than", "Le fichier dépasse")
XML_FORBIDDEN = ("xml_forbidden", "contains a DOCTYPE or entities", "contient un DOCTYPE")
XML_NOT_UBL = (
    "xml_not_einvoice",
    "The XML file is not an e-invoice",
    "pas une facture électronique",
)
UBL_INCOMPLETE = ("ubl_incomplete", "lacks mandatory facts", "obligatoires")
VIRUS_FOUND = ("virus_found", "A virus was found", "Un virus a été trouvé")
SCAN_UNAVAILABLE = (
    "virus_scan_unavailable",
    "The virus scan is unavailable",
    "L'analyse antivirus est indisponible",
)


@dataclass(frozen=True)
class Case:
    id: str
    send_as: str
    reason: tuple[str, str, str]
    quality: str
    what: str
    #: Points at NETWORK_PLACEHOLDER: also used by the no-network test.
    network: bool = False

    @property
    def path(self) -> Path:
        suffix = PurePosixPath(self.send_as).suffix or ".bin"
        return FILES / f"{self.id}{suffix}"

    @property
    def code(self) -> str:
        return self.reason[0]

    def data(self, port: int | None = None) -> bytes:
        data = self.path.read_bytes()
        if port is None:
            return data
        here = f"127.0.0.1:{port}"
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            data = data.replace(NETWORK_PLACEHOLDER.encode(encoding), here.encode(encoding))
        return data


CASES: tuple[Case, ...] = (
    Case("html-as-pdf", "facture.pdf", TYPE_REFUSED, Q_TYPE, "an HTML page with a script"),
    Case("elf-as-pdf", "facture.pdf", TYPE_REFUSED, Q_TYPE, "a Linux executable (ELF)"),
    Case("pe-as-pdf", "facture.pdf", TYPE_REFUSED, Q_TYPE, "a Windows executable (PE/MZ)"),
    Case("pe-setup", "setup.exe", TYPE_REFUSED, Q_TYPE, "a Windows executable under its name"),
    Case("zip-as-pdf", "archive.pdf", TYPE_REFUSED, Q_TYPE, "a zip holding a PDF"),
    Case("zip", "factures.zip", TYPE_REFUSED, Q_TYPE, "a zip holding a PDF, under its name"),
    Case("pdf-as-exe", "facture.exe", TYPE_MISMATCH, Q_TYPE, "a real PDF named .exe"),
    Case("pdf-double-ext", "facture.pdf.exe", TYPE_MISMATCH, Q_TYPE, "a real PDF, .pdf.exe"),
    Case("pe-double-ext", "facture.exe.pdf", TYPE_REFUSED, Q_TYPE, "an executable, .exe.pdf"),
    Case("jpeg-as-pdf", "facture.pdf", TYPE_MISMATCH, Q_TYPE, "a JPEG photo named .pdf"),
    Case("pdf-encrypted", "facture.pdf", PDF_ENCRYPTED, Q_PDF, "a PDF with a user password"),
    Case("pdf-truncated", "facture.pdf", PDF_INCOMPLETE, Q_PDF, "a PDF cut before %%EOF"),
    Case("pdf-corrupt", "facture.pdf", PDF_DAMAGED, Q_PDF, "a PDF header, garbage, %%EOF"),
    Case("pdf-names-javascript", "facture.pdf", PDF_ACTIVE, Q_PDF, "document-level JavaScript"),
    Case("pdf-openaction-js", "facture.pdf", PDF_ACTIVE, Q_PDF, "/OpenAction running JavaScript"),
    Case("pdf-openaction-launch", "facture.pdf", PDF_ACTIVE, Q_PDF, "/OpenAction /Launch"),
    Case(
        "pdf-openaction-next-js",
        "facture.pdf",
        PDF_ACTIVE,
        Q_PDF,
        "/OpenAction GoTo whose /Next runs JavaScript",
    ),
    Case("pdf-link-javascript", "facture.pdf", PDF_ACTIVE, Q_PDF, "a link annotation's JavaScript"),
    Case("pdf-outline-javascript", "facture.pdf", PDF_ACTIVE, Q_PDF, "a bookmark's JavaScript"),
    Case(
        "pdf-field-actions",
        "facture.pdf",
        PDF_ACTIVE,
        Q_PDF,
        "a form field's calculation script, on a parent field no page lists",
    ),
    Case("pdf-embedded-exe", "facture.pdf", PDF_EMBEDDED, Q_PDF, "a PDF carrying setup.exe"),
    Case("pdf-embedded-pdf", "facture.pdf", PDF_EMBEDDED, Q_PDF, "a PDF carrying another PDF"),
    Case("pdf-embedded-docx", "facture.pdf", PDF_EMBEDDED, Q_PDF, "a PDF carrying a Word file"),
    Case(
        "pdf-embedded-exe-as-xml",
        "facture.pdf",
        PDF_EMBEDDED_FAKE_XML,
        Q_PDF,
        "a PDF carrying a program named factur-x.xml",
    ),
    Case(
        "pdf-embedded-doctype",
        "facture.pdf",
        PDF_EMBEDDED_DOCTYPE,
        Q_PDF,
        "a Factur-X PDF whose XML declares an external entity",
    ),
    Case(
        "pdf-embedded-hex-exe",
        "facture.pdf",
        PDF_EMBEDDED_UNREADABLE,
        Q_PDF,
        "a program behind /ASCIIHexDecode beside a Factur-X XML",
    ),
    Case(
        "pdf-embedded-uf-f-apart",
        "facture.pdf",
        PDF_EMBEDDED_UNREADABLE,
        Q_PDF,
        "one file entry: its /UF stream the invoice XML, its /F stream a program",
    ),
    Case(
        "pdf-embedded-bomb",
        "facture.pdf",
        PDF_EMBEDDED_LARGE,
        Q_PDF,
        "a 64 KB stream named factur-x.xml that inflates to 64 MB",
    ),
    Case(
        "pdf-embedded-deep",
        "facture.pdf",
        PDF_EMBEDDED_LARGE,
        Q_PDF,
        "an embedded-files name tree nested 40 levels deep",
    ),
    Case("bomb-64mpx", "scan.png", IMAGE_PIXELS, Q_SIZE, "an 8 KB PNG of 8000 x 8000 pixels"),
    Case(
        "bomb-256mpx",
        "scan.png",
        IMAGE_PIXELS,
        Q_SIZE,
        "a 31 KB PNG of 16000 x 16000 pixels (past Pillow's own bomb limit)",
    ),
    Case("jpeg-truncated", "photo.jpg", IMAGE_BROKEN, Q_SIZE, "a JPEG cut after 300 bytes"),
    Case("zero-byte", "facture.pdf", EMPTY, Q_SIZE, "nothing at all"),
    Case("xml-doctype", "efacture.xml", XML_FORBIDDEN, Q_XML, "a valid UBL with a DOCTYPE"),
    Case("xxe-file", "efacture.xml", XML_FORBIDDEN, Q_XML, "an entity reading /etc/passwd"),
    Case(
        "xxe-network",
        "efacture.xml",
        XML_FORBIDDEN,
        Q_XML,
        "an entity fetched over HTTP",
        network=True,
    ),
    Case(
        "xxe-parameter",
        "efacture.xml",
        XML_FORBIDDEN,
        Q_XML,
        "an external parameter entity (out-of-band XXE)",
        network=True,
    ),
    Case(
        "xml-external-dtd",
        "efacture.xml",
        XML_FORBIDDEN,
        Q_XML,
        "a DOCTYPE whose DTD is on an HTTP server",
        network=True,
    ),
    Case(
        "xml-doctype-utf16",
        "efacture.xml",
        XML_FORBIDDEN,
        Q_XML,
        "an XXE over HTTP, encoded in UTF-16",
        network=True,
    ),
    Case(
        "xml-doctype-late",
        "efacture.xml",
        XML_FORBIDDEN,
        Q_XML,
        "an XXE over HTTP after 70 KB of comment (past the prolog scan)",
        network=True,
    ),
    Case("billion-laughs", "efacture.xml", XML_FORBIDDEN, Q_XML, "10^9 nested entity expansions"),
    Case("xml-not-ubl", "commande.xml", XML_NOT_UBL, Q_XML, "a well-formed XML order"),
    Case("ubl-incomplete", "efacture.xml", UBL_INCOMPLETE, Q_XML, "a UBL Invoice with only its ID"),
)

#: Valid UBL invoices that point at the network without a DTD (XInclude, schemaLocation):
#: accepted, and nothing is fetched.
NETWORK_ACCEPTED: tuple[Case, ...] = (
    Case("ubl-xinclude", "efacture.xml", ("", "", ""), Q_XML, "an xi:include", network=True),
    Case(
        "ubl-schemalocation",
        "efacture.xml",
        ("", "", ""),
        Q_XML,
        "an xsi:schemaLocation",
        network=True,
    ),
)

#: A valid PDF: the content for the name cases and the size limit.
VALID_PDF = FILES / "valid.pdf"
#: A harmless PDF whose action chain and outline loop: received, and the checks end.
LOOPING_PDF = FILES / "pdf-loops.pdf"
#: A PNG whose chunks are sound (Pillow's verify passes) but whose pixel data is not: it is
#: received, and fails in the worker, which must survive it.
WORKER_PNG = FILES / "png-broken-stream.png"

#: Hostile names (sent with VALID_PDF): accepted, under a generated path, shown escaped.
NAMES: tuple[tuple[str, str, str], ...] = (
    ("dot-dot-slash", "../../../etc/passwd.pdf", "passwd.pdf"),
    ("backslashes", "..\\..\\Windows\\win.ini.pdf", "win.ini.pdf"),
    ("nul", "facture\x00.exe.pdf", "facture.exe.pdf"),
    ("control-chars", "\r\nfac\x01\x07\x1b[31mture\x7f.pdf", "fac[31mture.pdf"),
    ("rtl-override", "facture\u202eexe.pdf", "factureexe.pdf"),
    ("html", "<img src=x onerror=alert(1)> & 'co'.pdf", "_img src=x onerror=alert(1)_ & 'co'.pdf"),
    ("long", "f" * 310 + ".pdf", "f" * 146 + ".pdf"),
    ("reserved-con", "CON.pdf", "_CON.pdf"),
    ("reserved-nul", "nul.pdf", "_nul.pdf"),
    ("reserved-com1", "com1.tar.pdf", "_com1.tar.pdf"),
)


def eicar() -> bytes:
    """The EICAR test file, put together here so that no scanner flags this repository."""
    return b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
