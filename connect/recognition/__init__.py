"""Recognition of invoices for the premium and optimum processing modes (DESIGN.md §2).

`recognise_file` reads a PDF's text layer, or OCRs a scan or a photo, and extracts the facts a
bookkeeper needs (`FACT_KEYS`), each with a confidence; `Recognition.as_json()` is the
`recognized` object of the API (§4).
"""

import dataclasses
import time
from pathlib import Path

from connect.facts import AMOUNT_FACTS

from .facts import FACT_KEYS, KEY_WEIGHTS, Fact, Recognition, overall_confidence, recognise_text
from .scan import BINARY, CONTRAST, PLAIN
from .text import RecognitionError, extract_text, layout_text
from .words import Word, fill, read_words, words_of

__all__ = [
    "FACT_KEYS",
    "Fact",
    "Recognition",
    "RecognitionError",
    "Word",
    "extract_text",
    "recognise_file",
    "recognise_text",
    "words_of",
]


def recognise_file(
    path: Path, content_type: str, *, not_supplier: frozenset[str] = frozenset()
) -> Recognition:
    """Raises RecognitionError when OCR fails or times out (worth a retry). VAT numbers in
    ``not_supplier`` (the client company's own, on a purchase invoice) are never taken for
    the supplier's."""
    deadline = time.monotonic() + RECOGNITION_SECONDS
    reading = read_words(path, content_type)
    text = layout_text(reading.words)
    if not text.strip():
        return Recognition(
            facts={}, confidence=0.0, text="", method="none", language=None, notes=reading.notes
        )
    recognised = recognise_text(text, method=reading.method, not_supplier=not_supplier)
    for psm, prepare in REREADINGS:
        if reading.method != "ocr" or not _incomplete(recognised):
            break
        # Tesseract's block finder drops the values of a column on a noisy page: read the page
        # again, with its contrast forced, as one column, then in black and white as one block
        # (shaded rows make it take a table for a picture). Keep, fact by fact, the surest of
        # the readings so far, of the new reading alone, and of the words so far with the new
        # reading's words added where they had none.
        remaining = deadline - time.monotonic()
        if remaining < REREADING_SECONDS:
            break  # the task's time limit is near: keep what was read
        try:
            other = read_words(
                path, content_type, psm=psm, prepare=prepare, timeout=min(120, int(remaining))
            )
        except RecognitionError:
            break
        reading = fill(reading, other)
        for words in (other.words, reading.words):
            again = recognise_text(
                layout_text(words), method=reading.method, not_supplier=not_supplier
            )
            recognised = merge(recognised, again)
    return dataclasses.replace(
        recognised, words=tuple(reading.words), notes=(*reading.notes, *recognised.notes)
    )


# The time all readings of one document may take (the recognition task stops at 540 s), and
# the least a further reading is started with.
RECOGNITION_SECONDS = 300
REREADING_SECONDS = 20
# Tesseract's page segmentation mode and how the page is made ready, for each further reading.
REREADINGS = ((3, CONTRAST), (4, PLAIN), (4, CONTRAST), (6, BINARY))


def _incomplete(recognised: Recognition) -> bool:
    """A key fact is missing, or the totals do not add up."""
    incl = recognised.facts.get("total_incl_vat")
    missing = any(key not in recognised.facts for key in KEY_WEIGHTS)
    return missing or incl is None or incl.confidence < 0.9


def merge(first: Recognition, second: Recognition) -> Recognition:
    """The surer value of each fact; the totals are taken together, from one reading."""
    facts: dict[str, Fact] = {}
    for key in FACT_KEYS:
        if key in AMOUNT_FACTS:
            continue
        candidates = [r.facts[key] for r in (first, second) if key in r.facts]
        if candidates:
            facts[key] = max(candidates, key=lambda fact: fact.confidence)
    totals = max(
        (first, second),
        key=lambda r: r.facts["total_incl_vat"].confidence if "total_incl_vat" in r.facts else 0,
    )
    facts.update({key: totals.facts[key] for key in AMOUNT_FACTS if key in totals.facts})
    return dataclasses.replace(
        first,
        facts=facts,
        confidence=overall_confidence(facts),
        text=first.text if len(first.text) >= len(second.text) else second.text,
        language=first.language or second.language,
    )
