"""The words of a document with their places on the page.

A text PDF's words come from its text layer (pdfplumber); a scan's or a photo's from Tesseract's
TSV output, after the page has been turned upright, straightened and cleaned (`scan.py`). Both
give the same `Word`: its text, its page, its box as a share of the page's width and height, and
the visual line it belongs to, so that a label and its value can be paired by position and a
caller can later find where a value stood.

This API is relied upon outside recognition (the supplier memory): keep `Word` and `words_of`
stable.
"""

import logging
import re
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .scan import IMAGE_TYPES, PLAIN, Page, image_pages, ocr_page, pdf_pages

logger = logging.getLogger(__name__)

PDF_PAGES = 10
MEANINGFUL_CHARACTERS = 40


@dataclass(frozen=True)
class Word:
    text: str
    page: int  # 0-based
    x0: float  # the box, as a share (0..1) of the page's width and height
    top: float
    x1: float
    bottom: float
    line: int  # the visual line on its page: the words of one line share it

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass
class Reading:
    """What `read_words` found: the words, how they were read, and what the reader noticed
    (`notes`: "blank", "upside_down", "turned", "unreadable")."""

    words: list[Word]
    method: str
    notes: tuple[str, ...] = ()
    # Page sizes in points (text) or pixels (OCR): the aspect ratio of each page.
    sizes: tuple[tuple[float, float], ...] = ()


def words_of(path: Path, content_type: str, *, ocr: bool = True) -> tuple[list[Word], str]:
    """The document's words and how they were read: "text" (the PDF's own text layer), "ocr"
    or "none". Raises `RecognitionError` when OCR fails or runs out of time."""
    reading = read_words(path, content_type, ocr=ocr)
    return reading.words, reading.method


def read_words(
    path: Path,
    content_type: str,
    *,
    ocr: bool = True,
    timeout: int = 120,
    psm: int = 3,
    prepare: str = PLAIN,
) -> Reading:
    """`psm` is Tesseract's page segmentation mode: 3 finds the blocks of the page, 4 reads it
    as one column (it keeps the values that 3 sometimes drops from a right-hand column).
    `prepare` is how the pages are made ready for it (`scan.ocr_page`)."""
    deadline = time.monotonic() + timeout
    if content_type == "application/pdf":
        reading = pdf_words(path)
        if meaningful(reading.words) >= MEANINGFUL_CHARACTERS or not ocr:
            return reading if reading.words else Reading([], "none")
        if not shutil.which("tesseract") or not shutil.which("pdftoppm"):
            logger.warning("OCR skipped for %s: tesseract or pdftoppm is not installed", path.name)
            return reading if reading.words else Reading([], "none")
        with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
            return _ocr(pdf_pages(path, Path(tmp), deadline), deadline, psm, prepare)
    if content_type in IMAGE_TYPES and ocr:
        if not shutil.which("tesseract"):
            logger.warning("OCR skipped for %s: tesseract is not installed", path.name)
            return Reading([], "none")
        with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
            return _ocr(image_pages(path, Path(tmp)), deadline, psm, prepare)
    return Reading([], "none")


def meaningful(words: list[Word]) -> int:
    return sum(len(re.findall(r"[^\W_]", word.text)) for word in words)


# Text PDFs ----------------------------------------------------------------------------------


def pdf_words(path: Path) -> Reading:
    """The words of the text layer of the first pages; no words if there is none."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException

    words: list[Word] = []
    sizes = []
    try:
        with pdfplumber.open(path) as pdf:
            for number, page in enumerate(pdf.pages[:PDF_PAGES]):
                width, height = float(page.width), float(page.height)
                if width <= 0 or height <= 0:
                    continue
                sizes.append((width, height))
                # Words are cut where the ink leaves a gap, not at space characters: some
                # producers draw a space on top of the next glyph ("Nr. 4 71102").
                inked = page.filter(lambda obj: obj.get("text") != " ")
                raw = inked.extract_words(x_tolerance_ratio=0.15, y_tolerance=2.5)
                boxes = [
                    (
                        str(item["text"]),
                        _share(item["x0"], width),
                        _share(item["top"], height),
                        _share(item["x1"], width),
                        _share(item["bottom"], height),
                    )
                    for item in raw
                    if str(item["text"]).strip() and item.get("upright", True)
                ]
                words.extend(lines_of(boxes, number))
    except (PDFSyntaxError, PSException, OSError, ValueError, KeyError, TypeError) as error:
        logger.info("No text layer read from %s: %s", path.name, error)
        return Reading([], "none")
    except Exception as error:
        logger.info("No text layer read from %s: %s", path.name, error)
        return Reading([], "none")
    return Reading(words, "text" if words else "none", sizes=tuple(sizes))


def _share(value: object, whole: float) -> float:
    """A coordinate as a share of the page, kept on the page (a glyph's box may overhang)."""
    return min(max(float(value) / whole, 0.0), 1.0)  # type: ignore[arg-type]


def lines_of(boxes: list[tuple[str, float, float, float, float]], page: int) -> list[Word]:
    """Words grouped into visual lines: a word joins a line when their heights overlap by
    half of the smaller one. Lines are numbered from the top, words ordered left to right."""
    lines: list[list[tuple[str, float, float, float, float]]] = []
    bands: list[tuple[float, float]] = []
    for box in sorted(boxes, key=lambda box: (box[2] + box[4]) / 2):
        _, _, top, _, bottom = box
        for index in range(len(lines) - 1, max(len(lines) - 4, -1), -1):
            band_top, band_bottom = bands[index]
            overlap = min(bottom, band_bottom) - max(top, band_top)
            if overlap >= 0.5 * min(bottom - top, band_bottom - band_top):
                lines[index].append(box)
                bands[index] = (
                    statistics.median(b[2] for b in lines[index]),
                    statistics.median(b[4] for b in lines[index]),
                )
                break
        else:
            lines.append([box])
            bands.append((top, bottom))
    order = sorted(range(len(lines)), key=lambda index: sum(bands[index]))
    words = []
    for number, index in enumerate(order):
        for text, x0, top, x1, bottom in sorted(lines[index], key=lambda box: box[1]):
            words.append(Word(text, page, x0, top, x1, bottom, number))
    return words


# Scans and photos ---------------------------------------------------------------------------


def _ocr(pages: list[Page], deadline: float, psm: int, prepare: str) -> Reading:
    words: list[Word] = []
    notes: list[str] = []
    sizes = []
    for number, page in enumerate(pages):
        result = ocr_page(page, deadline, psm=psm, prepare=prepare)
        notes.extend(note for note in result.notes if note not in notes)
        sizes.append(result.size)
        words.extend(lines_of(result.boxes, number))
    if not words and not {"blank", "upside_down", "unreadable"} & set(notes):
        notes.append("blank")
    return Reading(words, "ocr" if words else "none", tuple(notes), tuple(sizes))


_TURNS = frozenset({"upside_down", "turned"})


def fill(first: Reading, other: Reading) -> Reading:
    """`first`'s words, and `other`'s words where `first` read none: Tesseract's block finder
    drops whole columns of a noisy page (the amounts beside their labels), and another reading of
    the same page (one column, black and white) finds them where they stand. A word of `other`
    is added when it overlaps no word of `first`; the lines are then drawn again. Readings of
    pages turned differently are not mixed."""
    if (
        first.method != "ocr"
        or other.method != "ocr"
        or first.sizes != other.sizes
        or _TURNS & set(first.notes) != _TURNS & set(other.notes)
    ):
        return first
    words: list[Word] = []
    for page in sorted({word.page for word in (*first.words, *other.words)}):
        have = [word for word in first.words if word.page == page]
        boxes = [(w.text, w.x0, w.top, w.x1, w.bottom) for w in have]
        boxes += [
            (w.text, w.x0, w.top, w.x1, w.bottom)
            for w in other.words
            if w.page == page and not any(_overlap(w, mine) for mine in have)
        ]
        words.extend(lines_of(boxes, page))
    return Reading(words, first.method, first.notes, first.sizes)


def _overlap(a: Word, b: Word) -> bool:
    across = min(a.x1, b.x1) - max(a.x0, b.x0)
    down = min(a.bottom, b.bottom) - max(a.top, b.top)
    return across > 0 and down > 0.3 * min(a.height, b.height)
