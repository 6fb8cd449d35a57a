"""What a received file really is: its type sniffed from the bytes (libmagic) and checked
against its name, then opened by the right parser (pypdf, Pillow, connect.ubl) with limits.
Every refusal is a translated ServiceError; nothing here writes anywhere but a temporary file."""

import hashlib
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import magic
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

from connect import ubl
from portal.errors import ServiceError

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
    is_ubl: bool = False
    page_count: int | None = None
    #: Files embedded in an e-invoice (scanned like the file that carries them).
    embedded: tuple[ubl.Attachment, ...] = ()


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
        return Inspection(PDF, extension, page_count=_check_pdf(spooled.path))
    if content_type == XML:
        invoice = _check_ubl(spooled.path)
        return Inspection(XML, extension, is_ubl=True, embedded=invoice.attachments)
    _check_image(spooled.path)
    return Inspection(content_type, extension, page_count=1)


#: Action types that make a PDF act on its own (scripts, programs, outgoing data, media).
ACTIVE_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/ImportData",
    "/SubmitForm",
    "/GoToE",
    "/Rendition",
    "/RichMediaExecute",
}
MAX_PDF_PAGES_CHECKED = 5_000


def _dict(value: object) -> DictionaryObject:
    if value is not None and hasattr(value, "get_object"):
        value = value.get_object()
    return value if isinstance(value, DictionaryObject) else DictionaryObject()


def _items(value: object) -> list[object]:
    """An array's items, or the one object that stands in for it (a reference stays one)."""
    target = value.get_object() if isinstance(value, IndirectObject) else value
    if isinstance(target, list):
        return list(target)
    return [] if target is None else [value]


class _Walk:
    """Follows chained actions and trees of form fields or outline items; each indirect object
    is read once, so a file made with loops ends like any other."""

    def __init__(self) -> None:
        self.seen: set[tuple[int, int]] = set()

    def _first_visit(self, value: object) -> bool:
        if isinstance(value, IndirectObject):
            key = (value.idnum, value.generation)
            if key in self.seen:
                return False
            self.seen.add(key)
        return True

    def action_is_active(self, action: object) -> bool:
        """An action, or any action chained after it by /Next, that acts on its own."""
        pending = [action]
        while pending:
            value = pending.pop()
            if not self._first_visit(value):
                continue
            current = _dict(value)
            if current.get("/S") in ACTIVE_ACTIONS or "/JS" in current:
                return True
            pending.extend(_items(_raw(current, "/Next")))
        return False

    def tree_is_active(self, first: object, *, links: tuple[str, ...]) -> bool:
        """Nodes (form fields, outline items) with actions of their own, reached by ``links``."""
        pending = _items(first)
        while pending:
            value = pending.pop()
            if not self._first_visit(value):
                continue
            node = _dict(value)
            if "/AA" in node or self.action_is_active(_raw(node, "/A")):
                return True
            for link in links:
                pending.extend(_items(_raw(node, link)))
        return False


def _raw(node: DictionaryObject, key: str) -> object:
    """A value as written (an indirect reference stays one, so loops can be noticed)."""
    return node.raw_get(key) if key in node else None


def _has_active_content(reader: PdfReader) -> bool:
    """Where a PDF can act when opened: the document's open action and additional actions,
    its JavaScript and embedded-file name trees, an XFA form and its fields, its outline, and
    each page's actions and annotations (actions chained with /Next included). Only
    dictionaries are read, never stream data (whose compressed bytes may contain anything):
    memory stays flat for large scans."""
    walk = _Walk()
    root = reader.root_object
    if "/AA" in root or walk.action_is_active(_raw(root, "/OpenAction")):
        return True
    names = _dict(root.get("/Names"))
    if "/JavaScript" in names or "/EmbeddedFiles" in names:
        return True
    form = _dict(root.get("/AcroForm"))
    if "/XFA" in form or walk.tree_is_active(_raw(form, "/Fields"), links=("/Kids",)):
        return True
    outline = _dict(root.get("/Outlines"))
    if walk.tree_is_active(_raw(outline, "/First"), links=("/First", "/Next")):
        return True
    for number, page in enumerate(reader.pages):
        if number >= MAX_PDF_PAGES_CHECKED or "/AA" in page:
            return True
        for item in _items(_raw(page, "/Annots")):
            annotation = _dict(item)
            if (
                annotation.get("/Subtype") in ("/FileAttachment", "/RichMedia", "/Movie")
                or "/AA" in annotation
                or walk.action_is_active(_raw(annotation, "/A"))
            ):
                return True
    return False


def _check_pdf(path: Path) -> int:
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
            active = settings.CONNECT_PDF_REFUSE_ACTIVE_CONTENT and _has_active_content(reader)
        except ServiceError:
            raise
        except Exception:  # hostile input: any parser failure means "damaged", never a crash
            raise refuse(_("The PDF is damaged and cannot be opened."), "pdf_broken") from None
    if pages < 1:
        raise refuse(_("The PDF has no page."), "pdf_broken")
    if active:
        raise refuse(
            _(
                "The PDF contains scripts or automatic actions, which are not accepted: print it "
                "to a new PDF and send that one."
            ),
            "pdf_active_content",
        )
    return pages


def _too_many_pixels(limit: int) -> ServiceError:
    return refuse(
        _("The image has too many pixels (at most %(limit)s million).")
        % {"limit": limit // 1_000_000},
        "image_too_large",
    )


def _check_image(path: Path) -> None:
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


def _check_ubl(path: Path) -> ubl.UblInvoice:
    """A Peppol UBL invoice or credit note with its mandatory facts; its inconsistencies are
    shown with the document, not refused here."""
    try:
        return ubl.parse(path)
    except ubl.UblError as error:
        raise refuse(
            error.message, error.code, 413 if error.code == "xml_too_large" else 400
        ) from None
