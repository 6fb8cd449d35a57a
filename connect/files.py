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
from pypdf.generic import DictionaryObject

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
        _check_ubl(spooled.path)
        return Inspection(XML, extension, is_ubl=True)
    _check_image(spooled.path)
    return Inspection(content_type, extension, page_count=1)


#: Action types that make a PDF act on its own (scripts, programs, outgoing data).
ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/GoToE"}
MAX_PDF_PAGES_CHECKED = 5_000


def _dict(value: object) -> DictionaryObject:
    if value is not None and hasattr(value, "get_object"):
        value = value.get_object()
    return value if isinstance(value, DictionaryObject) else DictionaryObject()


def _is_active_action(action: object) -> bool:
    return _dict(action).get("/S") in ACTIVE_ACTIONS


def _has_active_content(reader: PdfReader) -> bool:
    """Where a PDF can act when opened: the document's open action and additional actions,
    its JavaScript and embedded-file name trees, an XFA form, and each page's actions and
    annotations. Only dictionaries are read, never stream data (whose compressed bytes may
    contain anything): memory stays flat for large scans."""
    root = reader.root_object
    if "/AA" in root or ("/OpenAction" in root and _is_active_action(root["/OpenAction"])):
        return True
    names = _dict(root.get("/Names"))
    if "/JavaScript" in names or "/EmbeddedFiles" in names:
        return True
    if "/XFA" in _dict(root.get("/AcroForm")):
        return True
    for number, page in enumerate(reader.pages):
        if number >= MAX_PDF_PAGES_CHECKED or "/AA" in page:
            return True
        annotations = page.get("/Annots")
        for annotation in (annotations.get_object() if annotations is not None else None) or []:
            annotation = _dict(annotation)
            if (
                annotation.get("/Subtype") in ("/FileAttachment", "/RichMedia", "/Movie")
                or "/AA" in annotation
                or _is_active_action(annotation.get("/A"))
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


def _check_ubl(path: Path) -> None:
    """A Peppol UBL invoice or credit note with its mandatory facts; its inconsistencies are
    shown with the document, not refused here."""
    try:
        ubl.parse(path)
    except ubl.UblError as error:
        raise refuse(
            error.message, error.code, 413 if error.code == "xml_too_large" else 400
        ) from None
