"""Invoice facts read from text: who sent it, its number and dates, its totals and how to pay.

Checksummed facts (VAT number, IBAN, structured communication) are found anywhere and trusted
for their check digits; the customer's own VAT number is told apart by the block it sits in.
Other facts are read next to their labels (`labels.LABELS`) and the three totals are chosen
together so that excl. VAT + VAT = incl. VAT whenever the page allows it.
"""

import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from .labels import (
    CUSTOMER_BLOCK,
    CUSTOMER_HINT,
    LANGUAGE_WORDS,
    LEGAL_FORM,
    NOT_A_NAME,
    SUPPLIER_BLOCK,
)
from .layout import Cell, Grid, Hit, fold
from .notes import note_json
from .parse import (
    Amount,
    Found,
    ambiguous_dates,
    amounts,
    be_vats,
    dates,
    eu_vats,
    foreign_tax_ids,
    ibans,
    invoice_numbers,
    structured_references,
    unchecked_vats,
    us_dates,
)
from .words import Word

T = TypeVar("T")

FACT_KEYS = (
    "supplier_name",
    "supplier_vat",
    "invoice_number",
    "issue_date",
    "due_date",
    "total_excl_vat",
    "total_vat",
    "total_incl_vat",
    "payable_amount",
    "currency",
    "iban",
    "structured_reference",
)
# The facts a bookkeeper needs to book the invoice, and how much each weighs in the overall
# confidence (a missing one counts as 0).
KEY_WEIGHTS = {
    "supplier_vat": 0.3,
    "invoice_number": 0.25,
    "issue_date": 0.2,
    "total_incl_vat": 0.25,
}
CENT = Decimal("0.01")
MAX_VAT_RATE = Decimal("0.275")


@dataclass(frozen=True)
class Fact:
    value: str
    confidence: float


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
    facts.update(_dates(grid, month_first=language == "en" and _DOLLAR.search(text) is not None))
    if language == "en":
        # 03/11/2017 in English: 3 November or March 11? Not sure enough to deliver unseen.
        for key in ("issue_date", "due_date"):
            fact = facts.get(key)
            if fact and fact.confidence >= 0.8 and _printed_ambiguously(grid, fact.value):
                facts[key] = Fact(fact.value, 0.7)
    facts.update(_totals(grid))
    currency = _currency(text, has_amounts="total_incl_vat" in facts)
    if currency:
        facts["currency"] = currency
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
    return ""


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
    customers = {found.value for found, _, _, role in roles if role == "customer"} | not_supplier
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
            if name and (LEGAL_FORM.search(name) or not formed):
                return name
    return None


def _iban(grid: Grid) -> Fact | None:
    candidates = []
    for row, line in enumerate(grid.lines):
        for found, score in ibans(line):
            if _role(grid, row, found.start) != "customer":
                candidates.append((found.value, score, row))
    if not candidates:
        return _iban_after_label(grid)
    value, score, _ = min(candidates, key=lambda item: (item[2], -item[1]))
    if len({item[0] for item in candidates}) > 1:
        score -= 0.1
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


def _tight(parse: Callable[[str, str], list[T]]) -> Callable[[str, str], list[T]]:
    """For bare labels ("Date", "Total"): the value must follow the label directly."""

    def parse_tight(text: str, folded: str) -> list[T]:
        rest = re.sub(r"^[\s:.=-]*", "", folded)
        if rest and not re.match(r"[\d€(+-]|eur|[a-z]{3,9}\.?\s\d", rest):
            return []
        return parse(text, folded)

    return parse_tight


def _located(
    grid: Grid, hit: Hit, parse: Callable[[str, str], list[T]], *, below: bool = True
) -> tuple[list[T], str]:
    if hit.strength == 1:
        # A bare word heads a column of a table only when it is the whole cell.
        alone = hit.start == hit.cell.start and not hit.cell.folded[
            hit.end - hit.cell.start :
        ].strip(" :")
        return grid.values(hit, _tight(parse), below=below and alone)
    return grid.values(hit, parse, below=below)


def _invoice_number(grid: Grid) -> Fact | None:
    candidates = []
    for hit in grid.hits:
        if hit.kind not in {"number", "number_title", "number_other"}:
            continue
        if hit.kind == "number_title":
            found, where = grid.values(hit, invoice_numbers, below=False, cells=0)
        else:
            found, where = _located(grid, hit, invoice_numbers)
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


_INLINE_TITLE = re.compile(
    r"(?:facture|factuur|rechnung|invoice|gutschrift|avoir|creditnota|credit\snote)\S*\s"
    r"(?:\S+\s{1,8}){0,4}\S*\d\S*\s+$"
)


_TITLE_DATE = re.compile(
    r"(?<![a-z])\w*(?:facture|factuur|rechnung|invoice|gutschrift|avoir|creditnota|credit\snote)"
    r"\S*\s.{0,40}?\d\S*\s+(?:du|van|vom|of|dated|d\.d\.)\s+(.{6,30})"
)


def _after(grid: Grid, hit: Hit, length: int) -> tuple[str, str]:
    text = grid.lines[hit.cell.row][hit.end : hit.end + length]
    return text, fold(text)


def _printed_ambiguously(grid: Grid, value: str) -> bool:
    day = date.fromisoformat(value)
    return (
        day.day <= 12 and day.day != day.month and any(ambiguous_dates(line) for line in grid.lines)
    )


def _dates(grid: Grid, *, month_first: bool = False) -> dict[str, Fact]:
    read = us_dates if month_first else dates
    issue: list[tuple[date, float, int]] = []
    due: list[tuple[date, float, int]] = []
    for hit in grid.hits:
        if hit.kind == "issue_inline":
            # "Rechnung 2026-7 vom 3.3.2026", in one cell or in cells of one row.
            if not _INLINE_TITLE.search(fold(grid.lines[hit.cell.row][: hit.start])):
                continue
            found, where = read(*_after(grid, hit, 40))[:1], "same"
        elif hit.kind in {"issue", "due"}:
            found, where = _located(grid, hit, read)
        else:
            continue
        if not found:
            continue
        score = {3: 0.9, 2: 0.85, 1: 0.75}[hit.strength] - (0.05 if where == "below" else 0)
        (due if hit.kind == "due" else issue).append((found[0], score, hit.cell.row))
    # "Handelsrechnung (380)   Nr. 471102   vom   05.03.2026": title, number, date on one row.
    for row, line in enumerate(grid.lines):
        folded = fold(line)
        match = _TITLE_DATE.search(folded)
        if match:
            found = read(line[match.start(1) : match.end(1)], folded[match.start(1) : match.end(1)])
            if found:
                issue.append((found[0], 0.85, row))
    facts: dict[str, Fact] = {}
    due_pick = max(due, key=lambda item: (item[1], -item[2])) if due else None
    if issue:
        value, score, _ = max(issue, key=lambda item: (item[1], -item[2]))
        facts["issue_date"] = Fact(value.isoformat(), score)
    else:
        # No label: the first date of the page that is not the due date.
        for line in grid.lines:
            found = [d for d in read(line, fold(line)) if not due_pick or d != due_pick[0]]
            if found:
                facts["issue_date"] = Fact(found[0].isoformat(), 0.5)
                break
    if due_pick:
        value, score, _ = due_pick
        if "issue_date" in facts and value.isoformat() < facts["issue_date"].value:
            score = min(score, 0.4)
        facts["due_date"] = Fact(value.isoformat(), score)
    return facts


@dataclass(frozen=True)
class _Candidate:
    amount: Decimal
    score: float
    row: int


def _totals(grid: Grid) -> dict[str, Fact]:
    found: dict[str, list[_Candidate]] = {"excl": [], "vat": [], "incl": [], "payable": []}
    rates: dict[str, _Candidate] = {}
    for hit in grid.hits:
        kind = {"vat_rate": "vat", "vat_total": "vat"}.get(hit.kind, hit.kind)
        if kind not in found:
            continue
        values: list[Amount]
        values, where = _located(grid, hit, amounts)
        if not values:
            continue
        score = hit.strength - (0.5 if where == "below" else 0)
        candidate = _Candidate(values[-1].value, score, hit.cell.row)
        found[kind].append(candidate)
        if hit.kind == "vat_rate":
            rate = re.search(
                r"\d{1,2}(?:[.,]\d+)?", fold(grid.lines[hit.cell.row][hit.start : hit.end])
            )
            rates[rate.group() if rate else str(len(rates))] = candidate
    # A VAT total can also be the sum of the lines of each rate.
    per_rate = list(rates.values())
    for size in range(2, min(len(per_rate), 4) + 1):
        for combination in itertools.combinations(per_rate, size):
            found["vat"].append(
                _Candidate(
                    sum((c.amount for c in combination), Decimal(0)),
                    min(c.score for c in combination),
                    max(c.row for c in combination),
                )
            )
    incl_options = found["incl"] + [
        _Candidate(c.amount, c.score - 1, c.row) for c in found["payable"]
    ]
    best = _best_totals(_options(found["excl"]), _options(found["vat"]), _options(incl_options))
    excl, vat, incl, consistent = best
    facts: dict[str, Fact] = {}
    if consistent and excl and vat and incl:
        facts = {
            "total_excl_vat": _money(excl, 0.95),
            "total_vat": _money(vat, 0.95),
            "total_incl_vat": _money(incl, 0.95),
        }
    elif incl is None and excl and vat and _plausible(excl.amount, vat.amount):
        facts = _derive(excl, vat, incl)
    else:
        # Labels missing or unreadable (OCR): the page's own arithmetic decides, if it agrees
        # with the labelled total incl. VAT.
        guess = _unlabelled_totals(grid)
        if guess and (incl is None or guess["total_incl_vat"].value == _money(incl, 0).value):
            confidence = 0.8 if incl is not None else 0.55
            facts = {key: Fact(fact.value, confidence) for key, fact in guess.items()}
        else:
            facts = _derive(excl, vat, incl)
    payable = [c for c in found["payable"] if c.amount > 0]
    if payable:
        pick = max(payable, key=lambda c: (c.score, c.row))
        incl_value = Decimal(facts["total_incl_vat"].value) if "total_incl_vat" in facts else None
        sensible = incl_value is None or pick.amount <= incl_value
        facts["payable_amount"] = _money(pick.amount, 0.9 if sensible else 0.5)
    elif "total_incl_vat" in facts:
        incl_fact = facts["total_incl_vat"]
        facts["payable_amount"] = Fact(incl_fact.value, round(incl_fact.confidence * 0.75, 2))
    return facts


def _options(candidates: list[_Candidate]) -> list[_Candidate | None]:
    """The best few distinct amounts for one total (and None: not printed)."""
    by_amount: dict[Decimal, _Candidate] = {}
    for candidate in candidates:
        current = by_amount.get(candidate.amount)
        if current is None or (candidate.score, candidate.row) > (current.score, current.row):
            by_amount[candidate.amount] = candidate
    ranked = sorted(by_amount.values(), key=lambda c: (c.score, c.row), reverse=True)
    return [*ranked[:6], None]


def _best_totals(
    excl: list[_Candidate | None], vat: list[_Candidate | None], incl: list[_Candidate | None]
) -> tuple[_Candidate | None, _Candidate | None, _Candidate | None, bool]:
    best: tuple[tuple[float, int], _Candidate | None, _Candidate | None, _Candidate | None, bool]
    best = ((-1.0, 0), None, None, None, False)
    for e, v, i in itertools.product(excl, vat, incl):
        chosen = [c for c in (e, v, i) if c is not None]
        score = sum(c.score for c in chosen)
        consistent = (
            e is not None
            and v is not None
            and i is not None
            and i.amount > 0
            and abs(e.amount + v.amount - i.amount) <= CENT * 2
            and v.amount <= e.amount * MAX_VAT_RATE + CENT
        )
        if consistent:
            score += 5
        elif e is not None and i is not None and e.amount > i.amount:
            score -= 3
        # Equal scores: totals printed lower on the page win (the last page's totals).
        key = (score, sum(c.row for c in chosen))
        if key > best[0]:
            best = (key, e, v, i, consistent)
    return best[1], best[2], best[3], best[4]


def _money(value: Decimal | _Candidate, confidence: float) -> Fact:
    amount = value.amount if isinstance(value, _Candidate) else value
    return Fact(str(amount.quantize(CENT)), confidence)


def _plausible(excl: Decimal, vat: Decimal) -> bool:
    return excl > 0 and 0 <= vat <= excl * MAX_VAT_RATE + CENT


def _derive(
    excl: _Candidate | None, vat: _Candidate | None, incl: _Candidate | None
) -> dict[str, Fact]:
    """Two labelled totals give the third when they make sense together."""
    facts: dict[str, Fact] = {}
    if excl and incl and _plausible(excl.amount, incl.amount - excl.amount):
        return {
            "total_excl_vat": _money(excl, 0.8),
            "total_vat": _money(incl.amount - excl.amount, 0.65),
            "total_incl_vat": _money(incl, 0.85),
        }
    if excl and vat and not incl and _plausible(excl.amount, vat.amount):
        return {
            "total_excl_vat": _money(excl, 0.8),
            "total_vat": _money(vat, 0.8),
            "total_incl_vat": _money(excl.amount + vat.amount, 0.65),
        }
    if vat and incl and not excl and _plausible(incl.amount - vat.amount, vat.amount):
        return {
            "total_excl_vat": _money(incl.amount - vat.amount, 0.65),
            "total_vat": _money(vat, 0.8),
            "total_incl_vat": _money(incl, 0.85),
        }
    for key, candidate in (("total_excl_vat", excl), ("total_vat", vat), ("total_incl_vat", incl)):
        if candidate is not None and candidate.amount >= 0:
            facts[key] = _money(candidate, 0.7 if candidate.score >= 2 else 0.5)
    return facts


def _unlabelled_totals(grid: Grid) -> dict[str, Fact]:
    """No usable label: the largest a + b = c on the page where b is a VAT rate's share of a."""
    values = sorted(
        {amount.value for line in grid.lines for amount in amounts(line) if amount.value > 0},
        reverse=True,
    )[:60]
    present = set(values)
    for incl in values:
        for excl in values:
            if excl >= incl:
                continue
            vat = incl - excl
            if vat in present and Decimal("0.05") * excl <= vat <= excl * MAX_VAT_RATE + CENT:
                return {
                    "total_excl_vat": _money(excl, 0.55),
                    "total_vat": _money(vat, 0.55),
                    "total_incl_vat": _money(incl, 0.55),
                }
    return {}


# Currencies by ISO code and by symbol; "$" alone is taken for the US dollar, less surely.
_CURRENCIES = (
    ("EUR", r"€|\bEUR\b|\beuros?\b"),
    ("USD", r"US\$|\bUSD\b"),
    ("GBP", r"£|\bGBP\b"),
    ("CHF", r"\bCHF\b|\bSFr\."),
    ("INR", r"₹|\bINR\b|\bRs\.?(?=\s?\d)"),
    ("CAD", r"\bCAD\b|C\$"),
    ("AUD", r"\bAUD\b|A\$"),
    ("SEK", r"\bSEK\b"),
    ("DKK", r"\bDKK\b"),
    ("NOK", r"\bNOK\b"),
    ("PLN", r"\bPLN\b|\bzł"),
    ("CZK", r"\bCZK\b|\bKč"),
    ("JPY", r"\bJPY\b|¥"),
)
_DOLLAR = re.compile(r"(?<![A-Z])\$")
_CURRENCY_LABEL = re.compile(
    r"(?i)(?:currency|devise|monnaie|munteenheid|valuta|w[aä]hrung|rechnungsw[aä]hrung)"
    r"\s?:?\s{0,20}([A-Z]{3})\b"
)


def _currency(text: str, *, has_amounts: bool) -> Fact | None:
    labelled = _CURRENCY_LABEL.search(text)
    if labelled and any(labelled.group(1) == code for code, _ in _CURRENCIES):
        return Fact(labelled.group(1), 0.95)
    counts = Counter({code: len(re.findall(pattern, text)) for code, pattern in _CURRENCIES})
    if not any(counts.values()) and _DOLLAR.search(text):
        return Fact("USD", 0.75)
    ranked = counts.most_common(2)
    code, count = ranked[0]
    if not count:
        return Fact("EUR", 0.5) if has_amounts else None
    other = ranked[1][1] if len(ranked) > 1 else 0
    if other == 0:
        return Fact(code, 0.95)
    return Fact(code, 0.8 if count >= 4 * other else 0.55)
