"""The invoice XML that a PDF carries as an embedded file: Factur-X and ZUGFeRD 2.x
(``factur-x.xml``, ``zugferd-invoice.xml``), XRechnung in a PDF (``xrechnung.xml``), Odoo's
UBL (``UBL-Invoice-*.xml``, ``*_ubl_bis3.xml``), read with the same rules as an uploaded XML.

Beside a readable invoice XML, a Factur-X may carry supplementary documents of the types
EN 16931 allows for attachments (PDF, PNG, JPEG, CSV, XLSX, ODS, the bytes matching the name):
they are kept like an e-invoice's attachments. Any other embedded file (a program, an Office
file, an archive; also a file named ``.xml`` that is not XML), and any file at all in a PDF that
carries no invoice XML, refuses the PDF with a reason that names it, and so does a stream that
inflates past the limit (a bomb) or a DOCTYPE in the XML. What is only unusable (a damaged
stream, an XML that is no invoice, an invoice lacking mandatory facts) leaves the PDF accepted
and read like any other, with ``problem`` saying why.
Only dictionaries and the embedded streams are read; page content is never decoded here.
"""

import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import magic
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject, StreamObject

from connect.einvoice import cii, ubl
from connect.einvoice.attachments import (
    ATTACHMENT_TYPES,
    MAX_ATTACHMENT_SIZE,
    ODS,
    XLSX,
    clean_name,
)
from connect.einvoice.model import Attachment, EInvoice
from connect.einvoice.xml import EInvoiceError, lazy_format, parse_root

#: An embedded invoice XML inflates to at most this (a UBL with its own attachments included).
MAX_EMBEDDED_SIZE = 30 * 1024 * 1024
#: What all the embedded streams of one PDF may inflate to together.
MAX_EMBEDDED_TOTAL = 40 * 1024 * 1024
MAX_EMBEDDED_FILES = 32
MAX_SUPPLEMENTS = 10
MAX_TREE_DEPTH = 16
MAX_PAGES_CHECKED = 5_000
XML_TYPES = frozenset({"text/xml", "application/xml"})
#: The names invoice software gives the XML, tried first when a PDF carries several.
KNOWN_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")

#: The supplementary documents a hybrid invoice may carry, by extension (EN 16931's list).
SUPPLEMENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".csv": "text/csv",
    ".xlsx": XLSX,
    ".ods": ODS,
}

UNREADABLE = "unreadable"
NOT_INVOICE = "not_invoice"
INCOMPLETE = "incomplete"


@dataclass(frozen=True)
class Embedded:
    """What a PDF carries: its invoice XML, read, or why none could be used."""

    name: str = ""
    invoice: EInvoice | None = None
    content: bytes = field(default=b"", repr=False)
    #: "" (an invoice, or no embedded file), or UNREADABLE, NOT_INVOICE, INCOMPLETE.
    problem: str = ""
    #: Supplementary documents beside a readable invoice XML (EN 16931 attachment types).
    attachments: tuple[Attachment, ...] = ()

    @property
    def source(self) -> str:
        return f"embedded_{self.invoice.syntax}" if self.invoice else ""


def as_dict(value: object) -> DictionaryObject:
    """A PDF dictionary, followed through its reference; anything else reads as empty."""
    if value is not None and hasattr(value, "get_object"):
        value = value.get_object()
    return value if isinstance(value, DictionaryObject) else DictionaryObject()


def as_items(value: object) -> list[object]:
    """An array's items, or the one object that stands in for it (a reference stays one)."""
    target = value.get_object() if isinstance(value, IndirectObject) else value
    if isinstance(target, list):
        return list(target)
    return [] if target is None else [value]


class Visited:
    """Each indirect object once, so a PDF made with loops ends like any other."""

    def __init__(self) -> None:
        self.seen: set[tuple[int, int]] = set()

    def first(self, value: object) -> bool:
        if isinstance(value, IndirectObject):
            key = (value.idnum, value.generation)
            if key in self.seen:
                return False
            self.seen.add(key)
        return True


def _too_large() -> EInvoiceError:
    return EInvoiceError(
        lazy_format(
            _(
                "A file embedded in the PDF is too large or too deeply nested to be read (at "
                "most %(limit)s). Print the invoice to a new PDF and send that one."
            ),
            limit=filesizeformat(MAX_EMBEDDED_SIZE),
        ),
        "pdf_embedded_too_large",
    )


@dataclass(frozen=True)
class _File:
    name: str
    stream: StreamObject


def _unreadable(name: str) -> EInvoiceError:
    return EInvoiceError(
        lazy_format(
            _(
                "A file embedded in the PDF (%(name)s) is damaged or stored in a way that "
                "cannot be checked. Print the invoice to a new PDF and send that one."
            ),
            name=clean_name(name) or "—",
        ),
        "pdf_embedded_unreadable",
    )


class _Files(Visited):
    """The PDF's embedded files, from its name tree and the associated files (/AF) of the
    document and its pages: each file specification once and each stream once, bounded in
    count and depth, loops ended. A specification whose data cannot be checked (no embedded
    stream, platform-specific streams, /F and /UF naming two different streams) refuses."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[_File] = []

    def add(self, name: object, spec_ref: object) -> None:
        if not self.first(spec_ref):
            return
        if len(self.found) >= MAX_EMBEDDED_FILES:
            raise _too_large()
        spec = as_dict(spec_ref)
        label = clean_name(str(spec.get("/UF") or spec.get("/F") or name or "")) or "embedded.xml"
        streams = as_dict(spec.get("/EF"))
        keys = set(streams.keys())
        refs = [streams.raw_get(key) for key in ("/F", "/UF") if key in streams]
        if not refs or keys - {"/F", "/UF"} or len({_key(ref) for ref in refs}) > 1:
            raise _unreadable(label)
        if not self.first(refs[0]):
            return  # a stream already listed under another specification
        stream = refs[0].get_object() if isinstance(refs[0], IndirectObject) else refs[0]
        if not isinstance(stream, StreamObject):
            raise _unreadable(label)
        self.found.append(_File(name=label, stream=stream))

    def tree(self, node_ref: object, depth: int = 0) -> None:
        if depth > MAX_TREE_DEPTH:
            raise _too_large()
        if not self.first(node_ref):
            return
        node = as_dict(node_ref)
        pairs = as_items(node.get("/Names"))
        for index in range(0, len(pairs) - 1, 2):
            self.add(pairs[index], pairs[index + 1])
        for kid in as_items(node.get("/Kids")):
            self.tree(kid, depth + 1)


def _key(ref: object) -> object:
    return (ref.idnum, ref.generation) if isinstance(ref, IndirectObject) else id(ref)


def _files(reader: PdfReader) -> list[_File]:
    root = reader.root_object
    walk = _Files()
    names = as_dict(root.get("/Names"))
    if "/EmbeddedFiles" in names:
        walk.tree(names.raw_get("/EmbeddedFiles"))
    for spec in as_items(root.get("/AF")):
        walk.add(None, spec)
    for number, page in enumerate(reader.pages):
        if number >= MAX_PAGES_CHECKED:
            raise _too_large()
        for spec in as_items(page.get("/AF")):
            walk.add(None, spec)
    return walk.found


class _Budget:
    """What the PDF's embedded streams may inflate to, all together."""

    def __init__(self) -> None:
        self.left = MAX_EMBEDDED_TOTAL

    def inflate(self, found: _File) -> bytes:
        """The stream's bytes, inflated within what is left of the budget and within
        MAX_EMBEDDED_SIZE: a filter other than one Flate without parameters, or damaged
        data, refuses (what cannot be read cannot be checked)."""
        stream = found.stream
        raw = stream._data  # the encoded bytes, inflated here with a limit
        limit = min(MAX_EMBEDDED_SIZE, self.left)
        filters = stream.get("/Filter")
        if isinstance(filters, IndirectObject):
            filters = filters.get_object()
        names = [str(item) for item in filters] if isinstance(filters, list) else []
        if filters is not None and not isinstance(filters, list):
            names = [str(filters)]
        if not names:
            data = bytes(raw)
        elif names == ["/FlateDecode"] and "/DecodeParms" not in stream:
            inflater = zlib.decompressobj()
            try:
                data = inflater.decompress(raw, limit + 1)
            except zlib.error:
                raise _unreadable(found.name) from None
            if inflater.unconsumed_tail:
                raise _too_large()
        else:
            raise _unreadable(found.name)
        if len(data) > limit:
            raise _too_large()
        self.left -= len(data)
        return data


def _kind(content_type: str) -> str | Promise:
    if content_type in (
        "application/x-dosexec",
        "application/vnd.microsoft.portable-executable",
        "application/x-executable",
        "application/x-sharedlib",
        "application/x-pie-executable",
        "application/x-mach-binary",
        "application/x-msdownload",
        "application/x-msi",
        "text/x-shellscript",
    ):
        return _("a program")
    if content_type == "application/pdf":
        return _("another PDF")
    if content_type.startswith(("application/msword", "application/vnd.")):
        return _("an Office document")
    if content_type in (
        "application/zip",
        "application/x-rar",
        "application/x-7z-compressed",
        "application/gzip",
        "application/x-tar",
    ):
        return _("an archive")
    if content_type.startswith("image/"):
        return _("an image")
    if content_type in ("text/html", "application/xhtml+xml"):
        return _("a web page")
    if content_type in XML_TYPES:
        return _("another XML file")
    return lazy_format(_("a file of type %(type)s"), type=content_type)


def _refuse_file(name: str, content_type: str) -> EInvoiceError:
    if name.lower().endswith(".xml"):
        message = _(
            "The PDF carries a file named %(name)s that is not XML but %(kind)s, which is not "
            "accepted. Print the invoice to a new PDF and send that one."
        )
    else:
        message = _(
            "The PDF carries an embedded file, %(name)s (%(kind)s), which is not accepted: only "
            "an invoice XML may be embedded. Print the invoice to a new PDF and send that one."
        )
    return EInvoiceError(
        lazy_format(message, name=clean_name(name) or "—", kind=_kind(content_type)),
        "pdf_embedded_file",
    )


def _read_xml(name: str, content: bytes) -> Embedded:
    try:
        root = parse_root(content, max_size=MAX_EMBEDDED_SIZE)
    except EInvoiceError as error:
        if error.code == "xml_forbidden":
            raise EInvoiceError(
                _(
                    "The e-invoice inside the PDF contains a DOCTYPE or entities, which are not "
                    "accepted."
                ),
                "pdf_embedded_xml_forbidden",
            ) from None
        return Embedded(name=name, problem=UNREADABLE)
    reader = ubl.read if ubl.is_ubl(root) else cii.read if cii.is_cii(root) else None
    if reader is None:
        return Embedded(name=name, problem=NOT_INVOICE)
    try:
        return Embedded(name=name, invoice=reader(root), content=content)
    except EInvoiceError:
        return Embedded(name=name, problem=INCOMPLETE)


def embedded_invoice(reader: PdfReader) -> Embedded:
    """The invoice XML the PDF carries (``Embedded()`` when it carries no file), with the
    supplementary documents a Factur-X may carry beside it. Raises ``EInvoiceError`` for what
    refuses the PDF."""
    results: list[Embedded] = []
    others: list[tuple[str, bytes, str]] = []
    budget = _Budget()
    for found in _files(reader):
        content = budget.inflate(found)
        content_type = magic.from_buffer(content[: 64 * 1024], mime=True) if content else ""
        if not content:
            raise _unreadable(found.name)
        # XML only under an .xml name: a script (.wsf, .hta), a web page or an SVG is XML too.
        looks_xml = content_type in XML_TYPES or (
            content_type == "text/plain" and content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"
        )
        if looks_xml and found.name.lower().endswith(".xml"):
            results.append(_read_xml(found.name, content))
        else:
            others.append((found.name, content, content_type))
    readable = [result for result in results if result.invoice is not None]
    if len(results) > 1 and readable:
        # Beside the invoice, an XML that is no invoice has no place (nor a second invoice).
        chosen = min(readable, key=_preference)
        extra = next(result for result in results if result is not chosen)
        raise _refuse_file(extra.name, "application/xml")
    chosen = min(readable or results, key=_preference) if results else Embedded()
    return replace(chosen, attachments=_supplements(others, invoice_found=bool(readable)))


def _supplements(
    others: list[tuple[str, bytes, str]], *, invoice_found: bool
) -> tuple[Attachment, ...]:
    """What a Factur-X carries beside its XML (a delivery note, a timesheet): kept like an
    e-invoice's attachments when of a type EN 16931 allows. Anything else, or anything at all
    in a PDF that carries no invoice XML, refuses the PDF."""
    kept = []
    if len(others) > MAX_SUPPLEMENTS:
        raise _too_large()
    for name, content, content_type in others:
        declared = SUPPLEMENT_TYPES.get(PurePosixPath(name.lower()).suffix)
        if not invoice_found or declared is None or content_type not in ATTACHMENT_TYPES[declared]:
            raise _refuse_file(name, content_type)
        if len(content) > MAX_ATTACHMENT_SIZE:
            raise _too_large()
        kept.append(
            Attachment(
                filename=name,
                declared_type=declared,
                content=content,
                description="",
                sniffed_type=content_type,
                type_matches=True,
            )
        )
    return tuple(kept)


def _preference(result: Embedded) -> int:
    name = result.name.lower()
    return KNOWN_NAMES.index(name) if name in KNOWN_NAMES else len(KNOWN_NAMES)


def embedded_invoice_of(path: Path) -> Embedded:
    """The same, for a stored PDF (its checks were passed when it was received)."""
    with path.open("rb") as handle:
        return embedded_invoice(PdfReader(handle, strict=False))
