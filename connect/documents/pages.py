"""The pages of a document as images large enough to read (the accountant's viewer): made on
the first request of each page, kept in the storage beside the thumbnail, served from there
afterwards.

A PDF page is rendered by poppler's ``pdftoppm`` (a child process: fixed argument list, no
shell, a time limit), at ``PAGE_WIDTH`` pixels wide, its height from the page's own size as
``pdfinfo`` reports it, the whole capped at ``PAGE_MAX_PIXELS`` (a till receipt a metre long
is made narrower, never larger). A photo is turned upright and scaled the same way. Only the
first ``PAGE_CAP`` pages are offered; the file itself holds the rest."""

import re
import resource
import shutil
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from connect.documents.files import PDF
from connect.documents.storage import local_copy
from connect.models import Document

#: A4 at 150 dpi: small print stays readable; zoomed in the browser from there.
PAGE_WIDTH = 1240
PAGE_MAX_PIXELS = 6_000_000
PAGE_CAP = 30
RENDER_TIMEOUT = 30
JPEG_QUALITY = 82


class PageError(Exception):
    """A page could not be made into an image (damaged file, missing tool, time limit)."""


def page_numbers(document: Document) -> list[int]:
    """The pages offered as images: none for an e-invoice XML (its own HTML preview)."""
    if document.content_type == PDF:
        return list(range(1, min(document.page_count or 1, PAGE_CAP) + 1))
    if document.content_type.startswith("image/"):
        return [1]
    return []


def page_storage_name(document: Document, number: int) -> str:
    return f"pages/{document.firm.public_id}/{document.public_id}/{number}-{PAGE_WIDTH}.jpg"


def page_storage_names(document: Document) -> list[str]:
    """Every page image the document may have in the storage (to delete with its file)."""
    return [page_storage_name(document, n) for n in page_numbers(document)]


def page_image(document: Document, number: int) -> str:
    """The storage name of page ``number``'s image, made now if it was never made."""
    if number not in page_numbers(document):
        raise PageError(f"no page {number}")
    name = page_storage_name(document, number)
    if default_storage.exists(name):
        return name
    data = _render(document, number)
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:  # made twice at once: the other copy is kept
        default_storage.delete(saved)
    return name


def _fit(width: float, height: float) -> tuple[int, int]:
    if width <= 0 or height <= 0:
        raise PageError("page without a size")
    scale = PAGE_WIDTH / width
    if width * scale * height * scale > PAGE_MAX_PIXELS:
        scale = (PAGE_MAX_PIXELS / (width * height)) ** 0.5
    return max(1, round(width * scale)), max(1, round(height * scale))


def _render(document: Document, number: int) -> bytes:
    with tempfile.TemporaryDirectory(prefix="portal-page-") as workdir:
        directory = Path(workdir)
        try:
            source = local_copy(document, directory)
        except OSError as error:
            raise PageError(f"stored file unreadable: {error}") from None
        if document.content_type == PDF:
            return _render_pdf(source, number, directory)
        return _render_image(source, number)


#: The most memory a renderer may take (address space): a hostile PDF cannot take the web
#: process's machine with it.
RENDER_MEMORY = 1024 * 1024 * 1024


def _limit_memory() -> None:  # runs in the child, before poppler starts
    resource.setrlimit(resource.RLIMIT_AS, (RENDER_MEMORY, RENDER_MEMORY))


def _run(argv: list[str]) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            argv,
            capture_output=True,
            timeout=RENDER_TIMEOUT,
            check=True,
            preexec_fn=_limit_memory,  # one system call in the child, nothing imported
        )
    except subprocess.TimeoutExpired:
        raise PageError(f"{Path(argv[0]).name} timed out") from None
    except (subprocess.CalledProcessError, OSError) as error:
        raise PageError(f"{Path(argv[0]).name} failed: {error}") from None
    return done.stdout.decode("utf-8", errors="replace")


PAGE_SIZE = re.compile(r"^Page\s+\d+\s+size:\s+([0-9.]+)\s+x\s+([0-9.]+)", re.MULTILINE)
PAGE_ROTATION = re.compile(r"^Page\s+\d+\s+rot:\s+(\d+)", re.MULTILINE)


def _render_pdf(source: Path, number: int, directory: Path) -> bytes:
    pdfinfo, pdftoppm = shutil.which("pdfinfo"), shutil.which("pdftoppm")
    if not pdfinfo or not pdftoppm:
        raise PageError("poppler (pdfinfo, pdftoppm) is not installed")
    info = _run([pdfinfo, "-f", str(number), "-l", str(number), str(source)])
    size, rotation = PAGE_SIZE.search(info), PAGE_ROTATION.search(info)
    if size is None:
        raise PageError(f"no page {number} in the file")
    width, height = float(size.group(1)), float(size.group(2))
    if rotation is not None and int(rotation.group(1)) % 180 == 90:
        width, height = height, width
    pixels_x, pixels_y = _fit(width, height)
    prefix = directory / "page"
    _run(
        [
            pdftoppm,
            "-f",
            str(number),
            "-l",
            str(number),
            "-singlefile",
            "-jpeg",
            "-jpegopt",
            f"quality={JPEG_QUALITY}",
            "-scale-to-x",
            str(pixels_x),
            "-scale-to-y",
            str(pixels_y),
            str(source),
            str(prefix),
        ]
    )
    made = prefix.with_suffix(".jpg")
    if not made.exists():
        raise PageError("pdftoppm made no image")
    return made.read_bytes()


def _render_image(source: Path, number: int) -> bytes:
    try:
        with Image.open(source) as image:
            # A JPEG is decoded at the smallest scale that still covers the page's size (a
            # 50-megapixel photo costs a sixty-fourth of its memory); the shrinking comes
            # before the copy into RGB.
            longest = max(_fit(image.width, image.height))
            image.draft("RGB", (longest, longest))
            frame = next(iter(ImageSequence.Iterator(image)))
            upright = ImageOps.exif_transpose(frame)
            upright.thumbnail(_fit(upright.width, upright.height), Image.Resampling.LANCZOS)
            upright = upright.convert("RGB")
            out = BytesIO()
            upright.save(out, "JPEG", quality=JPEG_QUALITY)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise PageError(f"unreadable image: {error}") from None
