"""The text of a document: the PDF's own text layer, or OCR with Tesseract.

Both keep the page's horizontal layout (labels and their values on one row, columns apart),
which is what `layout.Grid` reads. OCR runs `pdftoppm` and `tesseract` as child processes with a
fixed argument list, no shell, a deadline and a private temporary directory.
"""

import logging
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

logger = logging.getLogger(__name__)

PDF_PAGES = 10
OCR_PAGES = 3
OCR_DPI = 300
OCR_LANGUAGES = "fra+nld+deu+eng"
MEANINGFUL_CHARACTERS = 40
MAX_IMAGE_SIDE = 3500
MIN_IMAGE_SIDE = 2400
IMAGE_TYPES = {"image/jpeg", "image/png", "image/tiff", "image/webp"}


class RecognitionError(Exception):
    """OCR failed or took too long; the caller may try again later."""


def extract_text(
    path: Path, content_type: str, *, ocr: bool = True, timeout: int = 120, psm: int = 3
) -> tuple[str, str]:
    """The document's text and how it was read: "text", "ocr" or "none". `psm` is Tesseract's
    page segmentation mode: 3 finds the blocks of the page, 4 reads it as one column (it keeps
    the values that 3 sometimes drops from a right-hand column)."""
    deadline = time.monotonic() + timeout
    if content_type == "application/pdf":
        text = pdf_text(path)
        if meaningful(text) >= MEANINGFUL_CHARACTERS or not ocr:
            return (text, "text") if meaningful(text) else ("", "none")
        tesseract, pdftoppm = shutil.which("tesseract"), shutil.which("pdftoppm")
        if not tesseract or not pdftoppm:
            logger.warning("OCR skipped for %s: tesseract or pdftoppm is not installed", path.name)
            return (text, "text") if meaningful(text) else ("", "none")
        with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
            prefix = Path(tmp) / "page"
            _run(
                # Grey PGM: PNG's compression of a noisy scan costs seconds a page.
                [
                    pdftoppm,
                    "-r",
                    str(OCR_DPI),
                    "-gray",
                    "-f",
                    "1",
                    "-l",
                    str(OCR_PAGES),
                    str(path),
                    str(prefix),
                ],
                deadline,
            )
            pages = sorted(Path(tmp).glob("page-*.pgm"))
            return _ocr_pages(tesseract, pages, deadline, psm), "ocr"
    if content_type in IMAGE_TYPES and ocr:
        tesseract = shutil.which("tesseract")
        if not tesseract:
            logger.warning("OCR skipped for %s: tesseract is not installed", path.name)
            return "", "none"
        with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
            pages = _prepare_images(path, Path(tmp))
            return _ocr_pages(tesseract, pages, deadline, psm), "ocr"
    return "", "none"


def meaningful(text: str) -> int:
    return len(re.findall(r"[^\W_]", text))


def pdf_text(path: Path) -> str:
    """The text layer of the first pages, laid out as on the page; "" if there is none."""
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            return ""
        pages = []
        for page in reader.pages[:PDF_PAGES]:
            try:
                pages.append(page.extract_text(extraction_mode="layout"))
            except (PyPdfError, ValueError, KeyError, TypeError, ZeroDivisionError):
                pages.append(page.extract_text())
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, RecursionError) as error:
        logger.info("No text layer read from %s: %s", path.name, error)
        return ""
    return "\n\n".join(_tidy(page) for page in pages)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{4,}", "\n\n\n", "\n".join(lines)).strip("\n")


def _prepare_images(path: Path, directory: Path) -> list[Path]:
    """Up to OCR_PAGES frames, upright (EXIF), grey, between MIN and MAX_IMAGE_SIDE long."""
    pages = []
    try:
        with Image.open(path) as image:
            for number, frame in enumerate(ImageSequence.Iterator(image)):
                if number >= OCR_PAGES:
                    break
                page = ImageOps.exif_transpose(frame).convert("L")
                side = max(page.size)
                if side > MAX_IMAGE_SIDE or side < MIN_IMAGE_SIDE:
                    scale = (MAX_IMAGE_SIDE if side > MAX_IMAGE_SIDE else MIN_IMAGE_SIDE) / side
                    page = page.resize(
                        (round(page.width * scale), round(page.height * scale)),
                        Image.Resampling.LANCZOS,
                    )
                target = directory / f"page-{number}.pgm"
                page.save(target, "PPM")
                pages.append(target)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise RecognitionError(f"unreadable image: {error}") from error
    return pages


def _ocr_pages(tesseract: str, pages: list[Path], deadline: float, psm: int) -> str:
    texts = []
    for page in pages:
        tsv = _run(
            [tesseract, str(page), "stdout", "-l", OCR_LANGUAGES, "--psm", str(int(psm)), "tsv"],
            deadline,
        )
        texts.append(tsv_to_layout(tsv))
    # Tesseract often cuts a capital J from the rest of its word ("J uli", "J anssens").
    return _LONE_J.sub("J", "\n\n".join(texts))


_LONE_J = re.compile(r"(?<![\w.])J (?=[a-zäöüéèA-Z]{2,})")


def _run(argv: list[str], deadline: float) -> str:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise RecognitionError("OCR ran out of time")
    # One thread per process: workers run several documents side by side.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            argv, capture_output=True, timeout=remaining, check=True, env=env
        )
    except subprocess.TimeoutExpired as error:
        raise RecognitionError(f"{Path(argv[0]).name} timed out") from error
    except (subprocess.CalledProcessError, OSError) as error:
        raise RecognitionError(f"{Path(argv[0]).name} failed: {error}") from error
    return completed.stdout.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class _Word:
    line: tuple[int, int, int]
    left: int
    top: int
    width: int
    height: int
    text: str

    @property
    def middle(self) -> tuple[float, float]:
        return self.left + self.width / 2, self.top + self.height / 2


def tsv_to_layout(tsv: str) -> str:
    """Tesseract's words put back on a character grid, one text row per printed line, so
    that a label and its value a few centimetres to the right stay on one row."""
    words = []
    for record in tsv.splitlines()[1:]:
        fields = record.split("\t")
        if len(fields) != 12 or fields[0] != "5" or not fields[11].strip():
            continue
        block, paragraph, line_number = (int(value) for value in fields[2:5])
        left, top, width, height = (int(value) for value in fields[6:10])
        words.append(
            _Word((block, paragraph, line_number), left, top, width, height, fields[11].strip())
        )
    if not words:
        return ""
    lines: dict[tuple[int, int, int], list[_Word]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    slope = _skew(lines.values())
    line_height = float(statistics.median(word.height for word in words))
    char_width = (
        statistics.median(word.width / len(word.text) for word in words if len(word.text) >= 3)
        if any(len(word.text) >= 3 for word in words)
        else line_height * 0.5
    )

    def level(word: _Word) -> float:
        x, y = word.middle
        return y - slope * x

    # Tesseract's lines (one per block) merged into printed rows by their deskewed height.
    ordered = sorted(lines.values(), key=lambda line: statistics.median(map(level, line)))
    rows: list[tuple[float, list[_Word]]] = []
    for line in ordered:
        y = statistics.median(map(level, line))
        if rows and abs(y - rows[-1][0]) < line_height * 0.6:
            rows[-1][1].extend(line)
        else:
            rows.append((y, list(line)))
    out: list[str] = []
    previous = None
    for y, row in rows:
        if previous is not None and y - previous > line_height * 2.6:
            out.append("")
        previous = y
        text = ""
        last: _Word | None = None
        for word in sorted(row, key=lambda word: word.left):
            gap = word.left - (last.left + last.width) if last else 0
            size = max(word.height, last.height) if last else word.height
            if last and last.line == word.line and gap < max(size * 0.8, char_width * 1.8):
                text += " " + word.text  # the next word of a phrase, whatever its font size
            else:
                column = round(word.left / char_width)
                least = (3 if gap > size * 1.5 else 1) if text else 0
                text += " " * max(column - len(text), least) + word.text
            last = word
        out.append(text)
    return "\n".join(out)


def _skew(lines: Iterable[list[_Word]]) -> float:
    """Median slope of Tesseract's lines (dy/dx); a page turned by 1° has 0.017."""
    slopes = []
    for line in lines:
        if len(line) < 2:
            continue
        first, last = line[0].middle, line[-1].middle
        if last[0] - first[0] > 300:
            slopes.append((last[1] - first[1]) / (last[0] - first[0]))
    slope = statistics.median(slopes) if slopes else 0.0
    return slope if abs(slope) < 0.06 else 0.0
