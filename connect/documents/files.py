"""What a received file really is: its type sniffed from the bytes (libmagic) and checked
against its name, then opened by the right parser (pypdf, Pillow, connect.einvoice) with limits.
Every refusal is a translated ServiceError; nothing here writes anywhere but a temporary file."""

import contextlib
import hashlib
import io
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import magic
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from connect import einvoice
from connect.einvoice.pdf import Embedded, Visited, as_dict, as_items, embedded_invoice
from connect.einvoice.xml import lazy_format
from core.errors import ServiceError

try:  # HEIC/HEIF photos from phones
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - the dependency is declared
    pass

PDF = "application/pdf"
XML = "application/xml"
#: Accepted types and the extensions a file of that type may carry.
ACCEPTED: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    "image/jpeg": (".jpg", ".jpeg", ".jfif"),
    "image/png": (".png",),
    "image/tiff": (".tif", ".tiff"),
    "image/heic": (".heic", ".heif"),
    "image/heif": (".heif", ".heic"),
    XML: (".xml",),
}
XML_ALIASES = {"text/xml", "application/xml"}
WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
CHUNK = 1024 * 1024


def refuse(message: str | Promise, code: str, status: int = 400) -> ServiceError:
    error = ServiceError(message, code=code, field="file")
    error.status = status  # type: ignore[attr-defined]
    return error


def extension_of(name: str) -> str:
    """The last extension of a bare file name ("" when there is none)."""
    return PurePosixPath(name).suffix


def safe_filename(name: str, *, max_length: int = 150) -> str:
    """A name fit to show and to offer back in a download: no path, no control or bidi
    characters, no characters Windows refuses, not a reserved device name, bounded length."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    ext = extension_of(name)
    stem = name[: len(name) - len(ext)] if ext else name
    if stem.split(".")[0].upper() in WINDOWS_RESERVED:
        stem = f"_{stem}"
    ext = ext[:10]
    stem = stem[: max(1, max_length - len(ext))]
    result = f"{stem}{ext}".strip(" .")
    return result or "document"


@dataclass
class Spooled:
    """A received stream copied to a temporary file, with its size and SHA-256."""

    path: Path
    size: int
    sha256: str

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    def as_file(self) -> File:
        """The spooled bytes as a Django ``File`` for the storage: one it may rename into
        place when the spool and the media are on the same disk, otherwise a plain file that
        it copies (a buffered write, which fails loudly when the disk fills: Django's
        cross-disk move would not check its writes)."""
        handle = self.path.open("rb")
        same_disk = False  # S3 (or another storage) reads the file as it is
        if isinstance(default_storage, FileSystemStorage):
            with contextlib.suppress(OSError):  # no media directory yet: copy
                same_disk = self.path.stat().st_dev == Path(default_storage.location).stat().st_dev
        return SpooledFile(handle, self.path) if same_disk else File(handle, name=self.path.name)


class SpooledFile(File):
    """A spooled file on the media's disk (``FILE_UPLOAD_TEMP_DIR`` there). Its temporary path
    lets ``FileSystemStorage`` rename it into place instead of writing the bytes a second
    time. Once moved, ``Spooled.remove`` finds nothing to remove."""

    def __init__(self, handle: Any, path: Path) -> None:
        super().__init__(handle, name=path.name)
        self.path = path

    def temporary_file_path(self) -> str:
        return str(self.path)


def spool(chunks: Iterable[bytes], *, max_size: int) -> Spooled:
    """Copy ``chunks`` to a temporary file, hashing as it goes; refuse past ``max_size`` without
    reading further (memory stays flat whatever the size)."""
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open while written
        prefix="portal-receive-", dir=settings.FILE_UPLOAD_TEMP_DIR, delete=False
    )
    path = Path(handle.name)
    try:
        with handle:
            for chunk in chunks:
                size += len(chunk)
                if size > max_size:
                    raise refuse(
                        _("The file is larger than %(limit)s.")
                        % {"limit": filesizeformat(max_size)},
                        "too_large",
                        413,
                    )
                digest.update(chunk)
                handle.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise refuse(_("The file is empty."), "empty")
    return Spooled(path=path, size=size, sha256=digest.hexdigest())


@dataclass
class Inspection:
    content_type: str
    extension: str
    #: The file itself is an XML e-invoice (UBL or CII).
    is_ubl: bool = False
    page_count: int | None = None
    #: Files embedded in an e-invoice (scanned like the file that carries them).
    embedded: tuple[einvoice.Attachment, ...] = ()
    #: A PDF's embedded invoice XML (Factur-X, ZUGFeRD, XRechnung, Odoo's UBL), or why none.
    hybrid: Embedded = field(default_factory=Embedded)


def sniff(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    content_type = magic.from_buffer(head, mime=True)
    if content_type in XML_ALIASES:
        return XML
    if content_type in ("text/plain", "text/html") and head.lstrip(b"\xef\xbb\xbf \t\r\n")[:5] in (
        b"<?xml",
        b"<Invo",
        b"<Cred",
    ):
        return XML
    return content_type


def inspect(spooled: Spooled, filename: str) -> Inspection:
    """Check what the file is against what its name says, then open it with limits."""
    extension = extension_of(filename).lower()
    content_type = sniff(spooled.path)
    if content_type not in ACCEPTED:
        raise refuse(
            _(
                "This type of file is not accepted: send a PDF, a photo (JPEG, PNG, TIFF, HEIC) "
                "or a Peppol UBL e-invoice (XML)."
            ),
            "type_refused",
            415,
        )
    if extension not in ACCEPTED[content_type]:
        raise refuse(
            _(
                "The file's content does not match its name (%(extension)s): rename it or send "
                "the original file."
            )
            % {"extension": extension or "—"},
            "type_mismatch",
            415,
        )
    if content_type == PDF:
        pages, hybrid = _check_pdf(spooled.path)
        for supplement in hybrid.attachments:
            _check_supplement(supplement)
        embedded = (*hybrid.invoice.attachments, *hybrid.attachments) if hybrid.invoice else ()
        return Inspection(PDF, extension, page_count=pages, embedded=embedded, hybrid=hybrid)
    if content_type == XML:
        invoice = _check_einvoice(spooled.path)
        return Inspection(XML, extension, is_ubl=True, embedded=invoice.attachments)
    _check_image(spooled.path)
    return Inspection(content_type, extension, page_count=1)


#: Action types that make a PDF act on its own, and what the refusal calls each of them. A
#: harmless destination (an /OpenAction GoTo or an explicit page view, /PageMode
#: /UseAttachments) is not active content.
ACTIVE_ACTIONS: dict[str, str] = {
    "/JavaScript": "javascript",
    "/Launch": "launch",
    "/ImportData": "import_data",
    "/SubmitForm": "submit_form",
    "/GoToE": "embedded_target",
    "/Rendition": "media",
    "/RichMediaExecute": "media",
}
ACTIVE_ANNOTATIONS: dict[str, str] = {
    "/FileAttachment": "page_attachment",
    "/RichMedia": "media",
    "/Movie": "media",
    "/Sound": "media",
    "/Screen": "media",
}
#: What the PDF contains, as the refusal names it ("The PDF contains …").
ACTIVE_FOUND: dict[str, Promise] = {
    "javascript": _("JavaScript"),
    "launch": _("an action that starts a program"),
    "import_data": _("an action that imports data"),
    "submit_form": _("a form that sends data"),
    "embedded_target": _("a link that opens an embedded document"),
    "media": _("embedded media (sound, video or Flash)"),
    "automatic": _("actions that run by themselves (on opening, on a page or on a field)"),
    "xfa": _("an XFA form"),
    "page_attachment": _("a file attached to a page"),
    "too_many_pages": _("more pages than can be checked"),
    "unreadable": _("damaged content"),
    "embedded_files": _("embedded files"),
}
MAX_PDF_PAGES_CHECKED = 5_000


class _Walk(Visited):
    """Follows chained actions and trees of form fields or outline items, each indirect object
    once."""

    def active_action(self, action: object) -> str | None:
        """What an action, or any action chained after it by /Next, does on its own."""
        pending = [action]
        while pending:
            value = pending.pop()
            if not self.first(value):
                continue
            current = as_dict(value)
            if "/JS" in current:
                return "javascript"
            found = ACTIVE_ACTIONS.get(str(current.get("/S")))
            if found:
                return found
            pending.extend(as_items(_raw(current, "/Next")))
        return None

    def active_tree(self, first: object, *, links: tuple[str, ...]) -> str | None:
        """Nodes (form fields, outline items) with actions of their own, reached by ``links``."""
        pending = as_items(first)
        while pending:
            value = pending.pop()
            if not self.first(value):
                continue
            node = as_dict(value)
            if "/AA" in node:
                return "automatic"
            found = self.active_action(_raw(node, "/A"))
            if found:
                return found
            for link in links:
                pending.extend(as_items(_raw(node, link)))
        return None


def _raw(node: DictionaryObject, key: str) -> object:
    """A value as written (an indirect reference stays one, so loops can be noticed)."""
    return node.raw_get(key) if key in node else None


def _active_content(reader: PdfReader) -> str | None:
    """Where a PDF can act when opened, and what it would do: the document's open action and
    additional actions, its JavaScript name tree, an XFA form and its fields, its outline, and
    each page's actions and annotations (actions chained with /Next included). Embedded files
    are not active content here: ``connect.einvoice.pdf`` reads them. Only dictionaries are
    read, never page content (whose compressed bytes may contain anything): memory stays flat
    for large scans."""
    walk = _Walk()
    root = reader.root_object
    if "/AA" in root:
        return "automatic"
    found = walk.active_action(_raw(root, "/OpenAction"))
    if found:
        return found
    if "/JavaScript" in as_dict(root.get("/Names")):
        return "javascript"
    form = as_dict(root.get("/AcroForm"))
    if "/XFA" in form:
        return "xfa"
    found = walk.active_tree(_raw(form, "/Fields"), links=("/Kids",)) or walk.active_tree(
        _raw(as_dict(root.get("/Outlines")), "/First"), links=("/First", "/Next")
    )
    if found:
        return found
    for number, page in enumerate(reader.pages):
        if number >= MAX_PDF_PAGES_CHECKED:
            return "too_many_pages"
        if "/AA" in page:
            return "automatic"
        for item in as_items(_raw(page, "/Annots")):
            annotation = as_dict(item)
            found = ACTIVE_ANNOTATIONS.get(str(annotation.get("/Subtype")))
            if found:
                return found
            if "/AA" in annotation:
                return "automatic"
            found = walk.active_action(_raw(annotation, "/A"))
            if found:
                return found
    return None


def _check_pdf(path: Path) -> tuple[int, Embedded]:
    """The page count and the embedded invoice XML of an acceptable PDF."""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 2048))
        if b"%%EOF" not in handle.read():
            raise refuse(_("The PDF is incomplete or damaged: send it again."), "pdf_broken")
        handle.seek(0)
        try:
            # Given the file (not its bytes), pypdf reads only the objects it needs.
            reader = PdfReader(handle, strict=False)
            if reader.is_encrypted:
                raise refuse(
                    _("The PDF is protected by a password: send a copy without protection."),
                    "pdf_encrypted",
                )
            pages = len(reader.pages)
            checked = settings.CONNECT_PDF_REFUSE_ACTIVE_CONTENT
            active = _active_content(reader) if checked else None
            hybrid = Embedded() if active else embedded_invoice(reader)
        except ServiceError:
            raise
        except einvoice.EInvoiceError as error:
            raise refuse(error.message, error.code) from None
        except Exception:  # hostile input: any parser failure means "damaged", never a crash
            raise refuse(_("The PDF is damaged and cannot be opened."), "pdf_broken") from None
    if pages < 1:
        raise refuse(_("The PDF has no page."), "pdf_broken")
    if active:
        raise refuse(
            lazy_format(
                _(
                    "The PDF contains %(found)s: scripts or automatic actions are not accepted. "
                    "Print it to a new PDF and send that one."
                ),
                found=ACTIVE_FOUND[active],
            ),
            "pdf_active_content",
        )
    return pages, hybrid


def _check_supplement(attachment: einvoice.Attachment) -> None:
    """A document a Factur-X carries beside its XML passes the checks of a file received on its
    own: a PDF without active content and carrying nothing itself, an image within limits."""
    if attachment.sniffed_type == PDF:
        try:
            reader = PdfReader(io.BytesIO(attachment.content), strict=False)
            root = reader.root_object
            if "/EmbeddedFiles" in as_dict(root.get("/Names")) or "/AF" in root:
                found: str | None = "embedded_files"
            else:
                found = None if reader.is_encrypted else _active_content(reader)
        except Exception:  # hostile input: any parser failure means "damaged", never a crash
            found = "unreadable"
        if found:
            raise refuse(
                lazy_format(
                    _(
                        "The PDF %(name)s inside the invoice contains %(found)s, which is not "
                        "accepted. Print the invoice to a new PDF and send that one."
                    ),
                    name=attachment.filename,
                    found=ACTIVE_FOUND[found],
                ),
                "pdf_active_content",
            )
    elif attachment.sniffed_type.startswith("image/"):
        _check_image(io.BytesIO(attachment.content))


def _too_many_pixels(limit: int) -> ServiceError:
    return refuse(
        _("The image has too many pixels (at most %(limit)s million).")
        % {"limit": limit // 1_000_000},
        "image_too_large",
    )


def _check_image(path: Path | io.BytesIO) -> None:
    limit = settings.CONNECT_MAX_IMAGE_PIXELS
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > limit:
                raise _too_many_pixels(limit)
            image.verify()
    except ServiceError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(limit) from None
    except Exception:  # hostile input: any decoder failure means "damaged", never a crash
        raise refuse(_("The image is damaged and cannot be opened."), "image_broken") from None


def _check_einvoice(path: Path) -> einvoice.EInvoice:
    """A UBL or CII invoice or credit note with its mandatory facts; its inconsistencies are
    shown with the document, not refused here."""
    try:
        return einvoice.parse(path)
    except einvoice.EInvoiceError as error:
        raise refuse(
            error.message, error.code, 413 if error.code == "xml_too_large" else 400
        ) from None
