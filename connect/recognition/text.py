"""The text of a document laid out as on the page, made from its words (`words.py`).

Each visual line becomes one text row; a word far from the previous one is put at its column
(its left edge counted in the page's median character width), so a label and its value a few
centimetres to the right stay on one row with at least three spaces between them, which is what
`layout.Grid` reads as two cells. Vertical gaps become empty rows (blocks of an address).
"""

import statistics
from itertools import groupby, pairwise
from pathlib import Path

from .scan import RecognitionError
from .words import Reading, Word, read_words

__all__ = ["RecognitionError", "extract_text", "layout_text", "meaningful"]


def extract_text(
    path: Path, content_type: str, *, ocr: bool = True, timeout: int = 120
) -> tuple[str, str]:
    """The document's text and how it was read: "text", "ocr" or "none"."""
    reading = read_words(path, content_type, ocr=ocr, timeout=timeout)
    return layout_text(reading.words), reading.method


def text_of(reading: Reading) -> str:
    return layout_text(reading.words)


def meaningful(text: str) -> int:
    return sum(char.isalnum() for char in text)


def layout_text(words: list[Word]) -> str:
    pages = []
    for _, on_page in groupby(words, key=lambda word: word.page):
        pages.append(_page_text(list(on_page)))
    return "\n\n\n".join(page for page in pages if page)


def _page_text(words: list[Word]) -> str:
    long = [word for word in words if len(word.text) >= 3]
    char = (
        statistics.median((word.x1 - word.x0) / len(word.text) for word in long) if long else 0.008
    )
    char = min(max(char, 0.004), 0.02)
    lines = [list(line) for _, line in groupby(words, key=lambda word: word.line)]
    middles = [statistics.median(word.middle for word in line) for line in lines]
    steps = [b - a for a, b in pairwise(middles) if b - a > 0]
    height = statistics.median(word.height for word in words) if words else 0.01
    pitch = max(min(statistics.median(steps) if steps else height, height * 2), height)
    out: list[str] = []
    previous: float | None = None
    for line, middle in zip(lines, middles, strict=True):
        if previous is not None:
            out.extend([""] * min(3, max(0, round((middle - previous) / pitch) - 1)))
        previous = middle
        text = ""
        last: Word | None = None
        for word in sorted(line, key=lambda word: word.x0):
            gap = word.x0 - last.x1 if last else 0.0
            if last and gap < char * 1.6:
                text += " " + word.text
            else:
                column = round(word.x0 / char)
                least = (3 if gap > char * 3 else 1) if text else 0
                text += " " * max(column - len(text), least) + word.text
            last = word
        out.append(text.rstrip())
    return "\n".join(out).strip("\n")
