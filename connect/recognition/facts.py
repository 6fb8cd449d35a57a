"""Invoice facts read from text: who sent it, its number and dates, its totals and how to pay.

Checksummed facts (VAT number, IBAN, structured communication) are found anywhere and trusted
for their check digits; the customer's own VAT number is told apart by the block it sits in.
Other facts are read next to their labels (`labels.LABELS`) and the three totals are chosen
together so that excl. VAT + VAT = incl. VAT whenever the page allows it.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TypeVar

from connect.facts import DATE_FACTS, FACT_KEYS

from .dates import printed_ambiguously, read_dates
from .labels import (
    CUSTOMER_BLOCK,
    CUSTOMER_HINT,
    LANGUAGE_WORDS,
    LEGAL_FORM,
    NOT_A_NAME,
    SUPPLIER_BLOCK,
)
from .layout import Cell, Grid, fold
from .notes import note_json
from .parse import (
    Found,
    be_vats,
    eu_vats,
    foreign_tax_ids,
    ibans,
    invoice_numbers,
    structured_references,
    unchecked_vats,
)
from .sections import named_supplier, section_role
from .totals import DOLLAR, currency, totals
from .values import Fact, located
from .words import Word

T = TypeVar("T")

# The facts a bookkeeper needs to book the invoice, and how much each weighs in the overall
# confidence (a missing one counts as 0).
KEY_WEIGHTS = {
    "supplier_vat": 0.3,
    "invoice_number": 0.25,
    "issue_date": 0.2,
    "total_incl_vat": 0.25,
}


@dataclass(frozen=True)
class Recognition:
    facts: dict[str, Fact]
    confidence: float
    text: str
    method: str  # "text" (the PDF's own text), "ocr" or "none"
    language: str | None
    # The words the facts were read from (`words.Word`, with their places on the page), for a
    # caller that needs to find where a value stood; not part of `as_json()`.
    words: tuple[Word, ...] = field(default=(), repr=False, compare=False)
    # What the reader noticed about the document as a whole ("blank", "upside_down", ...).
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The `recognized` object of the API (DESIGN.md §4)."""
        data: dict[str, Any] = {
            key: self.facts[key].value if key in self.facts else None for key in FACT_KEYS
        }
        data["confidence"] = f"{self.confidence:.2f}"
        data["confidences"] = {
            key: f"{self.facts[key].confidence:.2f}" for key in FACT_KEYS if key in self.facts
        }
        data["source"] = self.method
        data["language"] = self.language
        if self.notes:
            data["notes"] = [note_json(note) for note in self.notes]
        return data


def overall_confidence(facts: dict[str, Fact]) -> float:
    total = sum(
        weight * facts[key].confidence for key, weight in KEY_WEIGHTS.items() if key in facts
    )
    return round(total / sum(KEY_WEIGHTS.values()), 4)


def recognise_text(
    text: str, *, method: str = "text", not_supplier: frozenset[str] = frozenset()
) -> Recognition:
    grid = Grid(text)
    facts: dict[str, Fact] = {}
    notes: list[str] = []
    vat = _supplier_vat(grid, not_supplier)
    if vat:
        facts["supplier_vat"] = Fact(vat[0].value, vat[1])
        if vat[1] < 0.5 and not eu_vats(vat[0].value) and not be_vats(vat[0].value):
            notes.append(f"vat_checksum:{vat[0].value}")
    for line in grid.lines:
        notes.extend(f"not_eu_vat:{value}" for value in foreign_tax_ids(line))
    name = _supplier_name(grid, vat[2] if vat else None)
    if name:
        facts["supplier_name"] = name
    others = {
        "invoice_number": _invoice_number(grid),
        "iban": _iban(grid),
        "structured_reference": _structured_reference(grid),
    }
    facts.update({key: fact for key, fact in others.items() if fact})
    language = detect_language(text)
    facts.update(read_dates(grid, month_first=language == "en" and DOLLAR.search(text) is not None))
    if language == "en":
        # 03/11/2017 in English: 3 November or March 11? Not sure enough to deliver unseen.
        for key in DATE_FACTS:
            fact = facts.get(key)
            if fact and fact.confidence >= 0.8 and printed_ambiguously(grid, fact.value):
                facts[key] = Fact(fact.value, 0.7)
    facts.update(totals(grid))
    money = currency(text, has_amounts="total_incl_vat" in facts)
    if money:
        facts["currency"] = money
    return Recognition(
        facts=facts,
        confidence=overall_confidence(facts),
        text=text,
        method=method,
        language=language,
        notes=tuple(dict.fromkeys(notes)),
    )


def detect_language(text: str) -> str | None:
    words = Counter(re.findall(r"[a-z]+", fold(text)))
    scores = {
        language: sum(words[word] for word in vocabulary.split())
        for language, vocabulary in LANGUAGE_WORDS.items()
    }
    language, score = max(scores.items(), key=lambda item: item[1])
    return language if score >= 3 else None


# Parties ------------------------------------------------------------------------------------


def _role(grid: Grid, row: int, start: int) -> str:
    """What the place of a number says of its owner: "customer" in the customer's block or
    labelled as theirs, "supplier" under a supplier label, "" when nothing says."""
    cell = grid.cell_at(row, start)
    if cell is None:
        return ""
    before = cell.folded[: start - cell.start]
    row_cells = grid.rows[row]
    previous = row_cells[row_cells.index(cell) - 1] if row_cells.index(cell) > 0 else None
    if previous and cell.start - previous.end < 30:
        before = previous.folded + " " + before
    if CUSTOMER_HINT.search(before):
        return "customer"
    for above in [cell, *grid.block_above(cell, rows=9, gap=1)]:
        text = above.folded.strip()
        if CUSTOMER_BLOCK.match(text):
            return "customer"
        if SUPPLIER_BLOCK.match(text):
            return "supplier"
    return section_role(grid, row)


def _masked_lines(grid: Grid) -> list[str]:
    """The lines with IBANs blanked, so no VAT number is read inside an account number."""
    lines = []
    for line in grid.lines:
        for found, _ in ibans(line):
            line = line[: found.start] + " " * (found.end - found.start) + line[found.end :]
        lines.append(line)
    return lines


def _supplier_vat(
    grid: Grid, not_supplier: frozenset[str] = frozenset()
) -> tuple[Found, float, Cell | None] | None:
    candidates: list[tuple[Found, float, int]] = []
    for row, line in enumerate(_masked_lines(grid)):
        for found in be_vats(line):
            score = 0.95 if found.prefixed else 0.85
            candidates.append((found, score - 0.15 * found.repaired, row))
        for found in eu_vats(line):
            if found.value.startswith("BE"):
                continue
            labelled = re.search(r"(?i)tva|btw|vat|mwst|ust|tax|entreprise|unternehm", line)
            candidates.append((found, 0.9 if labelled else 0.75, row))
    roles = [(found, score, row, _role(grid, row, found.start)) for found, score, row in candidates]
    suppliers = {found.value for found, _, _, role in roles if role == "supplier"}
    # A number printed in both parties' blocks stays the supplier's, doubtfully.
    both = {found.value for found, _, _, role in roles if role == "customer"} & suppliers
    customers = {found.value for found, _, _, role in roles if role == "customer"} - both
    customers |= not_supplier
    eligible = [item for item in roles if item[0].value not in customers]
    if not eligible:
        # A labelled number whose check digits fail: shown, doubtful, for the reviewer.
        for row, line in enumerate(_masked_lines(grid)):
            for found in unchecked_vats(line):
                if found.value not in customers and _role(grid, row, found.start) != "customer":
                    return found, 0.4, grid.cell_at(row, found.start)
        return None
    counts = Counter(item[0].value for item in eligible)
    letterhead = _letterhead_name(grid)
    evidence = {
        id(item): 3 * (item[3] == "supplier")
        + (counts[item[0].value] > 1)
        + any(_SUPPLIER_LINE.search(line) for line in grid.lines[max(item[2] - 1, 0) : item[2] + 2])
        + _in_letterhead(grid, item[2], item[0].start)
        + 2 * _names_letterhead(grid, item[2], item[0].start, letterhead)
        for item in eligible
    }
    # The best evidenced value; for that value, its first occurrence.
    eligible.sort(key=lambda item: (-evidence[id(item)], item[2], -item[1]))
    found, score, row, _ = min(
        (item for item in eligible if item[0].value == eligible[0][0].value),
        key=lambda item: item[2],
    )
    score = max(score, max(item[1] for item in eligible if item[0].value == found.value))
    rivals = {item[0].value for item in eligible} - {found.value}
    if rivals:
        best_rival = max(evidence[id(item)] for item in eligible if item[0].value in rivals)
        score = min(score, 0.75 if evidence[id(eligible[0])] > best_rival else 0.55)
    if found.value in both:
        score = min(score, 0.6)
    return found, score, grid.cell_at(row, found.start)


# A line that also gives the supplier's bank, registration or contact details (a footer).
_SUPPLIER_LINE = re.compile(
    r"(?i)\biban\b|\bbic\b|\brp[mr]\b|\bkbo\b|\bbce\b|@|www\.|\btel\b|\bt[eé]l\.|\bphone\b"
    r"|\bcapital\b|\bsi[eè]ge\b|\bzetel\b|\bsitz\b"
)


def _letterhead_name(grid: Grid) -> str | None:
    """The first words of the page when they look like a company's name."""
    name = _first_name(grid, rows=6, formed=False)
    return fold(name) if name and LEGAL_FORM.search(name) else None


def _names_letterhead(grid: Grid, row: int, start: int, name: str | None) -> bool:
    """The number is printed next to the name that heads the page (a footer that repeats it)."""
    cell = grid.cell_at(row, start)
    if cell is None or name is None:
        return False
    block = [cell, *grid.block_above(cell, rows=4, gap=0)]
    return block[-1].row > 2 and any(name in other.folded for other in block)


def _in_letterhead(grid: Grid, row: int, start: int) -> bool:
    """The number sits in the block that starts the page (the sender's letterhead)."""
    cell = grid.cell_at(row, start)
    if cell is None:
        return False
    block = [cell, *grid.block_above(cell, rows=10, gap=1)]
    first = next((number for number, line in enumerate(grid.lines) if line.strip()), 0)
    return block[-1].row <= first + 1


_STREET = re.compile(
    r"(?<![a-z])(?:rue|straat|strasse|strase|avenue|av\.|chaussee|steenweg|laan|lei|weg|dreef"
    r"|plein|place|boulevard|bd|markt|platz|square|quai|kaai|allee|gasse|route|parvis)(?![a-z])"
    r"|\w+(?:straat|strasse|laan|weg|plein|dreef|platz|gasse)\b"
)


def _name(text: str, grid: Grid, cell: Cell | None) -> str | None:
    text = re.sub(r"^\s*(?:[A-Za-zÀ-ÿ]+\s?:\s+)", "", text) if ":" in text[:15] else text
    text = text.strip(" -|·,;:")
    folded = fold(text)
    if not 3 <= len(text) <= 60 or sum(char.isalpha() for char in text) < 3:
        return None
    digits = sum(char.isdigit() for char in text)
    if digits > len(text) * 0.2 or (text[0].isdigit() and not LEGAL_FORM.search(text)):
        return None
    if NOT_A_NAME.match(folded) or CUSTOMER_BLOCK.match(folded) or SUPPLIER_BLOCK.match(folded):
        return None
    if re.search(r"@|www\.|https?:|\.(?:be|com|eu|nl|fr|de|lu)\b|\+\d", folded):
        return None
    if _STREET.search(folded) and digits:
        return None
    if text.endswith(".") and len(text.split()) > 3 and not LEGAL_FORM.search(text):
        return None  # a sentence
    if cell is not None and grid.hits_in(cell):
        return None
    return text


def _supplier_name(grid: Grid, vat_cell: Cell | None) -> Fact | None:
    named = named_supplier(grid)
    if named:
        return named
    letterhead = _first_name(grid, rows=8, formed=True)
    if vat_cell is not None:
        # "Garage Martin SRL - Rue Haute 5 - TVA BE 0123.456.749": the name before the number.
        parts = _NAME_SEPARATOR.split(vat_cell.text)
        own = _name(parts[0], grid, None) if len(parts) > 1 else None
        if own and LEGAL_FORM.search(own):
            return Fact(own, 0.75)
        names = []
        for cell in grid.block_above(vat_cell, rows=10, gap=2):
            for part in _NAME_SEPARATOR.split(cell.text):
                name = _name(part, grid, cell)
                if name and not re.search(r"\d{3}", part):
                    names.append(name)
        formed = [name for name in names if LEGAL_FORM.search(name)]
        if formed:
            return Fact(formed[-1], 0.7)
        if letterhead:
            return Fact(letterhead, 0.6)
        if own or names:
            return Fact(own or names[-1], 0.45)
    if letterhead:
        return Fact(letterhead, 0.5)
    # The first words of the page, only on a page that reads as an invoice at all.
    name = _first_name(grid, rows=4, formed=False) if grid.hits else None
    return Fact(name, 0.3) if name else None


_NAME_SEPARATOR = re.compile(r"\s[-|·•:»«*]\s|,\s")


def _first_name(grid: Grid, *, rows: int, formed: bool) -> str | None:
    for row in grid.rows[:rows]:
        for cell in row:
            name = _name(cell.text, grid, cell)
            if name and not LEGAL_FORM.search(name):
                name = _wrapped(grid, cell, name)
            if name and (LEGAL_FORM.search(name) or not formed):
                return name
    return None


def _wrapped(grid: Grid, cell: Cell, name: str) -> str:
    """A name wrapped over two lines of the letterhead ("MVM Musterhafter" over
    "Versicherungsverein Musterstadt a.G."): the line right below, in the same column, ends with
    the legal form that the first line lacks."""
    below = grid.rows[cell.row + 1] if cell.row + 1 < len(grid.rows) else []
    for other in below:
        if other.start == cell.start and LEGAL_FORM.search(other.text):
            rest = _name(other.text, grid, other)
            joined = _name(f"{name} {rest}", grid, None) if rest else None
            if joined and rest and LEGAL_FORM.search(rest.split()[-1]):
                return joined
    return name


def _iban(grid: Grid) -> Fact | None:
    candidates = []
    for row, line in enumerate(grid.lines):
        for found, score in ibans(line):
            if _role(grid, row, found.start) != "customer":
                label = _IBAN_LABEL.search(line[max(found.start - 16, 0) : found.start])
                candidates.append((found.value, score, row, label is not None))
    if not candidates:
        return _iban_after_label(grid)
    if len({item[0] for item in candidates}) > 1:
        # Two accounts: the one printed after an "IBAN" label, if only one is; else unsure.
        labelled = {item[0] for item in candidates if item[3]}
        if len(labelled) == 1:
            candidates = [item for item in candidates if item[0] in labelled]
    value, score, _, _ = min(candidates, key=lambda item: (item[2], -item[1]))
    if len({item[0] for item in candidates}) > 1:
        score = min(score - 0.1, 0.7)
    return Fact(value, score)


_IBAN_LABEL = re.compile(r"(?i)\biban\b[^A-Z0-9\n]{0,12}")
_IBAN_SHAPED = re.compile(r"[A-Z]{2}\d{2}(?:\s?[0-9A-Z]){8,30}")


def _iban_after_label(grid: Grid) -> Fact | None:
    """An IBAN cut by a line break ("IBAN BE71 0961" / "2345 6769"), or one whose check
    digits fail (shown, doubtful, for the reviewer)."""
    for row, line in enumerate(grid.lines):
        label = _IBAN_LABEL.search(line)
        if not label or _role(grid, row, label.start()) == "customer":
            continue
        rest = line[label.end() :].strip()
        following = grid.lines[row + 1].strip() if row + 1 < len(grid.lines) else ""
        for found, score in ibans(f"{rest} {following}"):
            if found.start == 0:
                return Fact(found.value, min(score, 0.85))
        shaped = _IBAN_SHAPED.match(rest)
        if shaped:
            return Fact(re.sub(r"\s", "", shaped.group()), 0.35)
    return None


def _structured_reference(grid: Grid) -> Fact | None:
    candidates = []
    for row, line in enumerate(grid.lines):
        for found, score in structured_references(line, fold(line)):
            candidates.append((found.value, score, row))
    if not candidates:
        return None
    value, score, _ = max(candidates, key=lambda item: (item[1], -item[2]))
    return Fact(value, score)

    # Labelled facts -----------------------------------------------------------------------------


def _invoice_number(grid: Grid) -> Fact | None:
    candidates = []
    for hit in grid.hits:
        if hit.kind not in {"number", "number_title", "number_other"}:
            continue
        if hit.kind == "number_title":
            found, where = grid.values(hit, invoice_numbers, below=False, cells=0)
        else:
            found, where = located(grid, hit, invoice_numbers)
        if found:
            score = {"number_title": 0.7, "number_other": 0.55}.get(
                hit.kind, 0.9 if where == "same" else 0.8
            )
            candidates.append((found[0], score, hit.cell.row))
    if not candidates:
        return None
    value, score, _ = max(candidates, key=lambda item: (item[1], -item[2]))
    # Another number under an equally strong label: unsure which is the invoice's.
    if any(item[0] != value and item[1] >= score for item in candidates):
        score = min(score, 0.6)
    return Fact(value, score)
