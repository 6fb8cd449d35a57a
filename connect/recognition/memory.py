"""Supplier memory, the pure part: where a fact stood on a supplier's invoice, and reading it
there again on the next invoice of the same supplier (issue 13, part 4).

``learn(words, fact_key, value)`` finds the words that print ``value`` (the accountant's
correction) and the label they stand next to: the words just before it on its line, else the
phrase just above it, else no label at all (the value's place on the page). It returns a
``Placement``: the label's text and where the value stood relative to it, in page fractions.

``apply(words, placements)`` looks for each placement's label on another invoice, takes the
words where the value stood relative to it, and reads them as the fact's kind (amount, date,
VAT number...). What cannot be read is left out, never guessed. Each fact carries the
placement's ``confidence``, which the caller computes from how often the placement held
(``connect/documents/services/memory.py``).

Words come from ``words.words_of``: coordinates are shares (0..1) of the page, ``line``
numbers the visual lines of a page.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from connect.facts import FACT_KINDS

from .facts import Fact
from .layout import fold
from .parse import amounts, be_vats, dates, eu_vats, ibans, invoice_numbers, structured_references
from .words import Word

RIGHT, BELOW, PAGE = "right", "below", "page"

MAX_SPAN = 8  # words of one value (a supplier's name, an IBAN printed in groups)
MAX_LABEL = 4  # words of a label
#: How far a value may move from where it stood, as a fraction of the page's width: amounts of
#: another length move a right-aligned column's left edge.
X_SLACK = 0.06
CURRENCY_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP", "₹": "INR"}


@dataclass(frozen=True)
class Placement:
    """Where one fact stood: next to ``label`` (RIGHT: on its line, BELOW: under it), or,
    with no label, at a place of the page (PAGE). The value's box is given relative to the
    label's left edge and top (for PAGE, to the page's corner): ``dx0``..``dx1``
    horizontally, ``dy`` vertically. ``page`` is 0 (the first page) or -1 (the last)."""

    fact: str
    label: str
    relation: str
    page: int
    label_x: float
    label_top: float
    dx0: float
    dx1: float
    dy: float
    span: int
    confidence: float = 0.0

    def same_place(self, other: "Placement", *, slack: float = 0.02) -> bool:
        """The same label and relation, the value within ``slack`` of where it was."""
        return (
            label_tokens(self.label) == label_tokens(other.label)
            and self.relation == other.relation
            and abs(self.dy - other.dy) <= slack
            and (abs(self.dx0 - other.dx0) <= slack or abs(self.dx1 - other.dx1) <= slack)
        )


def confidence(*, hits: int, misses: int) -> float:
    """How far a remembered place is trusted: Laplace's rule of succession, (hits + 1) /
    (hits + misses + 2). The lesson itself is the first hit, so a place taught once reads at
    0.67, below the review threshold (0.8): the next invoice is still checked; confirmed
    twice, it reaches 0.8; each miss pulls it down."""
    return round((hits + 1) / (hits + misses + 2), 2)


# --- words and lines -------------------------------------------------------------------------


def _lines(words: Iterable[Word]) -> list[list[Word]]:
    by_line: dict[tuple[int, int], list[Word]] = {}
    for word in words:
        if word.text.strip():
            by_line.setdefault((word.page, word.line), []).append(word)
    return [
        sorted(line, key=lambda w: w.x0)
        for _, line in sorted(by_line.items(), key=lambda item: item[0])
    ]


def _height(words: Sequence[Word]) -> float:
    return max(sum(w.bottom - w.top for w in words) / max(len(words), 1), 0.004)


def _phrase_gap(a: Word, b: Word) -> bool:
    """A gap wider than a few spaces between two words of a line: another cell."""
    return b.x0 - a.x1 > max(1.2 * _height([a, b]), 0.012)


_PUNCT_ONLY = re.compile(r"^[\W_]+$")
_TOKEN = re.compile(r"[a-z0-9]+")


def label_tokens(label: str) -> tuple[str, ...]:
    """A label as it is compared: folded words, punctuation dropped ("N° :" and "n°" agree)."""
    return tuple(_TOKEN.findall(fold(label)))


def _is_label_word(word: Word) -> bool:
    return not any(char.isdigit() for char in word.text) and not _PUNCT_ONLY.match(word.text)


def _page_of(page: int, last: int) -> int:
    return 0 if page == 0 or last == 0 else -1 if page == last else page


# --- values ------------------------------------------------------------------------------------


def _compact(text: str) -> str:
    return re.sub(r"[\s.\-/]", "", text).upper()


def read(kind: str, text: str) -> str | None:
    """The value of ``kind`` printed in ``text``, in its normal form (as the facts hold it)."""
    folded = fold(text)
    if kind == "amount":
        found = amounts(text)
        return str(found[0].value.quantize(Decimal("0.01"))) if found else None
    if kind == "date":
        found_dates = dates(text, folded)
        return found_dates[0].isoformat() if found_dates else None
    if kind == "vat":
        vats = be_vats(text) or eu_vats(text)
        if not vats and re.fullmatch(r"\s*[01]\d{9}\s*", text):
            vats = be_vats("BE" + text.strip())
        return vats[0].value if vats else None
    if kind == "iban":
        found_ibans = ibans(text)
        return found_ibans[0][0].value if found_ibans else None
    if kind == "reference":
        references = structured_references(text, folded)
        return references[0][0].value if references else None
    if kind == "currency":
        for sign, code in CURRENCY_SIGNS.items():
            if sign in text:
                return code
        found_code = re.search(r"\b[A-Z]{3}\b", text)
        return found_code.group() if found_code else None
    if kind == "number":
        numbers = invoice_numbers(text)
        return numbers[0] if numbers else None
    name = " ".join(text.split()).strip(" :;,-")
    return name or None


def _matches(kind: str, text: str, value: str) -> bool:
    """``text`` prints ``value`` and nothing else of its kind."""
    if kind in {"name", "number"}:
        return _compact(text) == _compact(value)
    if kind == "vat":
        compact = _compact(text)
        return compact == _compact(value) or (value.startswith("BE") and compact == value[2:])
    if kind == "iban":
        return _compact(text) == _compact(value)
    if kind == "reference":
        digits = re.sub(r"\D", "", text)
        return len(digits) == 12 and digits == re.sub(r"\D", "", value)
    if kind == "currency":
        stripped = text.strip(" .:;,()")
        return stripped.upper() == value.upper() or CURRENCY_SIGNS.get(stripped) == value.upper()
    if kind == "amount":
        found = amounts(text)
        return len(found) == 1 and str(found[0].value.quantize(Decimal("0.01"))) == value
    found_dates = dates(text, fold(text))
    return len(found_dates) == 1 and found_dates[0].isoformat() == value


# --- learning ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Occurrence:
    line: list[Word]
    start: int
    end: int  # exclusive

    @property
    def words(self) -> list[Word]:
        return self.line[self.start : self.end]


def _occurrences(lines: list[list[Word]], kind: str, value: str) -> list[_Occurrence]:
    """The shortest runs of words of a line that print ``value``."""
    found: list[_Occurrence] = []
    for line in lines:
        runs = []
        for start in range(len(line)):
            for end in range(start + 1, min(len(line), start + MAX_SPAN) + 1):
                if _matches(kind, " ".join(w.text for w in line[start:end]), value):
                    runs.append((start, end))
                    break
        for start, end in runs:
            if not any((s, e) != (start, end) and start <= s and e <= end for s, e in runs):
                found.append(_Occurrence(line, start, end))
    return found


def _label_left(occurrence: _Occurrence) -> tuple[list[Word], bool] | None:
    """The words of the label just before the value on its line (one phrase, no digits), and
    whether that label starts its phrase (a "Label: value" cell, not the end of a sentence)."""
    line, index = occurrence.line, occurrence.start - 1
    label: list[Word] = []
    while index >= 0 and len(label) < MAX_LABEL:
        word = line[index]
        if label and _phrase_gap(word, label[0]):
            break
        if _PUNCT_ONLY.match(word.text):  # leaders, a lone colon
            index -= 1
            continue
        if not _is_label_word(word):
            break
        label.insert(0, word)
        index -= 1
    if not label or sum(char.isalpha() for w in label for char in w.text) < 2:
        return None
    starts = index < 0 or _phrase_gap(line[index], label[0]) or not _is_label_word(line[index])
    return label, starts


def _label_above(lines: list[list[Word]], occurrence: _Occurrence) -> list[Word] | None:
    """The phrase just above the value, over its column (a header row)."""
    value = occurrence.words
    x0, x1 = min(w.x0 for w in value), max(w.x1 for w in value)
    top, height = min(w.top for w in value), _height(value)
    page = value[0].page
    above = [
        line for line in lines if line[0].page == page and 0 < top - line[0].top <= 3.5 * height
    ]
    for line in sorted(above, key=lambda line: -line[0].top):
        over = [w for w in line if w.x0 <= x1 + 0.01 and x0 <= w.x1 + 0.01]
        if not over:
            continue
        # The whole phrase of the line that stands over the value.
        phrase = _phrase_around(line, line.index(over[0]))
        words = [w for w in phrase if _is_label_word(w)][:MAX_LABEL]
        if len(words) != len([w for w in phrase if not _PUNCT_ONLY.match(w.text)]):
            return None  # a value over a value: a table of numbers, not a header
        return words or None
    return None


def _phrase_around(line: list[Word], index: int) -> list[Word]:
    start = index
    while start > 0 and not _phrase_gap(line[start - 1], line[start]):
        start -= 1
    end = index
    while end + 1 < len(line) and not _phrase_gap(line[end], line[end + 1]):
        end += 1
    return line[start : end + 1]


def _placement(
    fact: str, occurrence: _Occurrence, label: list[Word] | None, relation: str, last: int
) -> Placement:
    value = occurrence.words
    x0, x1, top = min(w.x0 for w in value), max(w.x1 for w in value), min(w.top for w in value)
    page = _page_of(value[0].page, last)
    if label is None:
        return Placement(fact, "", PAGE, page, 0.0, 0.0, x0, x1, top, len(value))
    lx, ltop = min(w.x0 for w in label), min(w.top for w in label)
    return Placement(
        fact,
        " ".join(w.text for w in label)[:200],
        relation,
        page,
        round(lx, 4),
        round(ltop, 4),
        round(x0 - lx, 4),
        round(x1 - lx, 4),
        round(top - ltop, 4),
        len(value),
    )


def learn(words: Sequence[Word], fact_key: str, value: str) -> Placement | None:
    """Where ``value`` (the corrected ``fact_key``) stands in ``words``, with its label; None
    when the value is not printed on the page (as the accountant typed it)."""
    kind = FACT_KINDS.get(fact_key)
    if kind is None or not value or not words:
        return None
    lines = _lines(words)
    last = max(w.page for w in words)
    ranked: list[tuple[tuple[int, ...], Placement]] = []
    for order, occurrence in enumerate(_occurrences(lines, kind, value)):
        # Totals stand last on the page: among equals, the lowest wins; other facts the first.
        position = -order if kind == "amount" else order
        left = _label_left(occurrence)
        if left is not None:
            label, starts = left
            rank = (0 if starts else 1, position)
            ranked.append((rank, _placement(fact_key, occurrence, label, RIGHT, last)))
            continue
        above = _label_above(lines, occurrence)
        if above is not None:
            ranked.append(((2, position), _placement(fact_key, occurrence, above, BELOW, last)))
        else:
            ranked.append(((3, position), _placement(fact_key, occurrence, None, PAGE, last)))
    if not ranked:
        return None
    return min(ranked, key=lambda item: item[0])[1]


# --- applying ----------------------------------------------------------------------------------


def _label_hits(lines: list[list[Word]], tokens: tuple[str, ...]) -> list[list[Word]]:
    """Runs of words of a line whose tokens are the label's."""
    hits = []
    for line in lines:
        pieces = [(token, i) for i, w in enumerate(line) for token in _TOKEN.findall(fold(w.text))]
        for start in range(len(pieces) - len(tokens) + 1):
            if tuple(token for token, _ in pieces[start : start + len(tokens)]) == tokens:
                first, last = pieces[start][1], pieces[start + len(tokens) - 1][1]
                hits.append(line[first : last + 1])
    return hits


def _value_words(
    lines: list[list[Word]],
    placement: Placement,
    *,
    page: int,
    x: float,
    top: float,
    after: float,
    exclude: list[Word],
) -> list[Word]:
    """The words of the line nearest to where the value stood, inside its horizontal range."""
    lo, hi = x + placement.dx0 - X_SLACK, x + placement.dx1 + X_SLACK
    expected_top = top + placement.dy
    best: list[Word] = []
    best_distance = 1.0
    for line in lines:
        if line[0].page != page:
            continue
        distance = abs(line[0].top - expected_top)
        if distance > max(0.6 * _height(line), 0.006) or distance >= best_distance:
            continue
        inside = [
            w
            for w in line
            if w not in exclude and w.x0 >= after - 0.002 and w.x0 <= hi and w.x1 >= lo
        ]
        if inside:
            best, best_distance = inside, distance
    return best


def _read_words(kind: str, words: list[Word], span: int) -> str | None:
    if kind == "name":
        return read(kind, " ".join(w.text for w in words[:span]))
    if kind == "number":
        return read(kind, " ".join(w.text for w in words[: max(span, 1)]))
    # Other kinds check themselves: read the whole run, then shorter runs from its start.
    for end in range(len(words), 0, -1):
        value = read(kind, " ".join(w.text for w in words[:end]))
        if value is not None:
            return value
    return None


def apply(words: Sequence[Word], placements: Iterable[Placement]) -> dict[str, Fact]:
    """The facts read where the placements say, each with its placement's confidence."""
    if not words:
        return {}
    lines = _lines(words)
    last = max(w.page for w in words)
    facts: dict[str, Fact] = {}
    for placement in placements:
        kind = FACT_KINDS.get(placement.fact)
        if kind is None:
            continue
        page = last if placement.page == -1 else min(placement.page, last)
        value: str | None = None
        if placement.relation == PAGE:
            found = _value_words(lines, placement, page=page, x=0.0, top=0.0, after=0.0, exclude=[])
            value = _read_words(kind, found, placement.span) if found else None
        else:
            hits = [
                hit
                for hit in _label_hits(lines, label_tokens(placement.label))
                if hit[0].page == page
            ]
            # The label nearest to where it stood first (a page may print it twice).
            hits.sort(
                key=lambda hit: (
                    abs(hit[0].top - placement.label_top) + abs(hit[0].x0 - placement.label_x)
                )
            )
            for hit in hits:
                x, top = min(w.x0 for w in hit), min(w.top for w in hit)
                after = max(w.x1 for w in hit) if placement.relation == RIGHT else 0.0
                found = _value_words(
                    lines, placement, page=page, x=x, top=top, after=after, exclude=hit
                )
                value = _read_words(kind, found, placement.span) if found else None
                if value is not None:
                    break
        if value is not None:
            facts[placement.fact] = Fact(value, round(placement.confidence, 2))
    return facts


def recall(facts: dict[str, Fact], remembered: dict[str, Fact]) -> dict[str, Fact]:
    """The facts of a reading with the memory's put first: a remembered value takes the place
    of the generic reader's (the memory exists because that reader was wrong for this
    supplier) with the memory's own confidence; when both read the same value, the surer of
    the two confidences is kept."""
    merged = dict(facts)
    for key, fact in remembered.items():
        generic = merged.get(key)
        if generic is not None and generic.value == fact.value:
            merged[key] = Fact(fact.value, max(generic.confidence, fact.confidence))
        else:
            merged[key] = fact
    return merged
