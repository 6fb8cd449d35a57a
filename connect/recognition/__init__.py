"""Recognition of invoices for the premium and optimum processing modes (DESIGN.md §2).

`recognise_file` reads a PDF's text layer, or OCRs a scan or a photo, and extracts the facts a
bookkeeper needs (`FACT_KEYS`), each with a confidence; `Recognition.as_json()` is the
`recognized` object of the API (§4).
"""

import dataclasses
from pathlib import Path

from .facts import FACT_KEYS, KEY_WEIGHTS, Fact, Recognition, overall_confidence, recognise_text
from .text import RecognitionError, extract_text, layout_text
from .words import Word, read_words, words_of

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
    reading = read_words(path, content_type)
    text = layout_text(reading.words)
    if not text.strip():
        return Recognition(
            facts={}, confidence=0.0, text="", method="none", language=None, notes=reading.notes
        )
    recognised = recognise_text(text, method=reading.method, not_supplier=not_supplier)
    if reading.method == "ocr" and _incomplete(recognised):
        # Tesseract's block finder sometimes drops a column: read the page again as one
        # column and keep, fact by fact, the surer reading.
        again = read_words(path, content_type, psm=4)
        second = recognise_text(
            layout_text(again.words), method=again.method, not_supplier=not_supplier
        )
        recognised = merge(recognised, second)
    if reading.method == "ocr" and _incomplete(recognised):
        # A noisy page with shaded rows reads as a picture: read it once more in black and
        # white, as one column.
        flat = read_words(path, content_type, psm=4, binary=True)
        third = recognise_text(
            layout_text(flat.words), method=flat.method, not_supplier=not_supplier
        )
        recognised = merge(recognised, third)
    return dataclasses.replace(
        recognised, words=tuple(reading.words), notes=(*reading.notes, *recognised.notes)
    )


def _incomplete(recognised: Recognition) -> bool:
    """A key fact is missing, or the totals do not add up."""
    incl = recognised.facts.get("total_incl_vat")
    missing = any(key not in recognised.facts for key in KEY_WEIGHTS)
    return missing or incl is None or incl.confidence < 0.9


TOTALS = ("total_excl_vat", "total_vat", "total_incl_vat", "payable_amount")


def merge(first: Recognition, second: Recognition) -> Recognition:
    """The surer value of each fact; the totals are taken together, from one reading."""
    facts: dict[str, Fact] = {}
    for key in FACT_KEYS:
        if key in TOTALS:
            continue
        candidates = [r.facts[key] for r in (first, second) if key in r.facts]
        if candidates:
            facts[key] = max(candidates, key=lambda fact: fact.confidence)
    totals = max(
        (first, second),
        key=lambda r: r.facts["total_incl_vat"].confidence if "total_incl_vat" in r.facts else 0,
    )
    facts.update({key: totals.facts[key] for key in TOTALS if key in totals.facts})
    return dataclasses.replace(
        first,
        facts=facts,
        confidence=overall_confidence(facts),
        text=first.text if len(first.text) >= len(second.text) else second.text,
        language=first.language or second.language,
    )
