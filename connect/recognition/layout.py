"""Text laid out as on the page: rows of cells, and the labels found in them.

Both sources keep the horizontal layout: pypdf's layout mode, and the OCR words placed back on
a character grid (`text.tsv_to_layout`). A *cell* is a run of words separated from the next by
three spaces or more ("Total HTVA" and "1.234,56" on the same row are two cells), so a value is
looked for after its label in the same cell, then in the next cells of the row, then in the
cell just below (a header table: labels on one row, values under them).
"""

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from .labels import LABELS

T = TypeVar("T")

_CELL = re.compile(r"\S+(?: {1,2}\S+)*")
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\t": " "})
_PUNCTUATION = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2013": "-", "\u2014": "-"})
_LEADERS = re.compile(r"(?:\.\s?){3,}|_{3,}|…+")


@lru_cache(maxsize=512)
def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFKD", char)[:1].lower()
    return base if len(base) == 1 else char


def fold(text: str) -> str:
    """Lower case without accents, keeping one character for each character."""
    return "".join(_fold_char(char) for char in text)


def clean(text: str) -> str:
    """Same line lengths, simpler characters: no-break spaces, curly quotes, dot leaders."""
    text = text.translate(_SPACES).translate(_PUNCTUATION)
    return _LEADERS.sub(lambda match: " " * len(match.group()), text)


@dataclass(frozen=True)
class Cell:
    row: int
    start: int
    end: int
    text: str
    folded: str

    def overlaps(self, start: int, end: int, *, slack: int = 0) -> bool:
        return self.start <= end + slack and start <= self.end + slack


@dataclass(frozen=True)
class Hit:
    """A label found in a cell; start and end are columns of the row."""

    kind: str
    strength: int
    cell: Cell
    start: int
    end: int


class Grid:
    def __init__(self, text: str) -> None:
        self.lines = clean(text).split("\n")
        self.rows: list[list[Cell]] = []
        for number, line in enumerate(self.lines):
            folded = fold(line)
            self.rows.append(
                [
                    Cell(
                        number,
                        match.start(),
                        match.end(),
                        match.group(),
                        folded[match.start() : match.end()],
                    )
                    for match in _CELL.finditer(line)
                ]
            )
        self.hits = [hit for row in self.rows for cell in row for hit in _cell_hits(cell)]
        self._hits_by_cell: dict[tuple[int, int], list[Hit]] = {}
        for hit in self.hits:
            self._hits_by_cell.setdefault((hit.cell.row, hit.cell.start), []).append(hit)

    def cells(self) -> Iterator[Cell]:
        for row in self.rows:
            yield from row

    def hits_in(self, cell: Cell) -> list[Hit]:
        return self._hits_by_cell.get((cell.row, cell.start), [])

    def starts_with_label(self, cell: Cell) -> bool:
        return any(hit.start <= cell.start + 1 for hit in self.hits_in(cell))

    def cell_at(self, row: int, column: int) -> Cell | None:
        for cell in self.rows[row]:
            if cell.start <= column < cell.end:
                return cell
        return None

    def values(
        self,
        hit: Hit,
        parse: Callable[[str, str], list[T]],
        *,
        below: bool = True,
        cells: int = 2,
    ) -> tuple[list[T], str]:
        """Values after a label: in the rest of its cell up to the next label, then in the next
        cells of the row, then in the cell under it. Returns the values and where ("same",
        "below" or "")."""
        cell = hit.cell
        following = [other for other in self.hits_in(cell) if other.start >= hit.end]
        stop = min((other.start for other in following), default=cell.end)
        found = parse(self.lines[cell.row][hit.end : stop], self._folded(cell.row, hit.end, stop))
        if not following:
            row = self.rows[cell.row]
            for other in row[row.index(cell) + 1 : row.index(cell) + 1 + cells]:
                if found or self.starts_with_label(other) or other.start - cell.end > 160:
                    break
                found = parse(other.text, other.folded)
        if found:
            return found, "same"
        if not below:
            return [], ""
        for row_number in range(cell.row + 1, min(cell.row + 4, len(self.rows))):
            under = [
                other
                for other in self.rows[row_number]
                if other.overlaps(cell.start, cell.end, slack=1)
            ]
            if not under:
                continue
            target = max(under, key=lambda other: _overlap(other, cell))
            if self.starts_with_label(target):
                return [], ""
            found = parse(target.text, target.folded)
            return (found, "below") if found else ([], "")
        return [], ""

    def _folded(self, row: int, start: int, end: int) -> str:
        return fold(self.lines[row][start:end])

    def block_above(self, cell: Cell, *, rows: int = 10, gap: int = 2) -> list[Cell]:
        """The cells above `cell` in the same column, nearest first, until `gap` empty rows."""
        found: list[Cell] = []
        empty = 0
        start, end = cell.start, cell.end
        for number in range(cell.row - 1, max(cell.row - rows, 0) - 1, -1):
            over = [other for other in self.rows[number] if other.overlaps(start, end)]
            if not over:
                empty += 1
                if empty > gap:
                    break
                continue
            empty = 0
            found.append(max(over, key=lambda other: _overlap(other, cell)))
        return found


def _overlap(a: Cell, b: Cell) -> int:
    return min(a.end, b.end) - max(a.start, b.start)


def _cell_hits(cell: Cell) -> list[Hit]:
    candidates = [
        Hit(label.kind, label.strength, cell, cell.start + match.start(), cell.start + match.end())
        for label in LABELS
        for match in label.pattern.finditer(cell.folded)
        if match.end() > match.start()
    ]
    candidates.sort(key=lambda hit: (hit.start - hit.end, -hit.strength, hit.start))
    kept: list[Hit] = []
    for hit in candidates:
        if all(hit.end <= other.start or hit.start >= other.end for other in kept):
            kept.append(hit)
    kept.sort(key=lambda hit: hit.start)
    # "Rechnungssumme Netto (excl. USt.)": a bare word in brackets after a label qualifies it.
    return [hit for index, hit in enumerate(kept) if not (index and _bracketed(kept, index))]


def _bracketed(hits: list[Hit], index: int) -> bool:
    """A bare word in an open bracket after the previous label."""
    hit, cell = hits[index], hits[index].cell
    between = cell.folded[hits[index - 1].end - cell.start : hit.start - cell.start]
    return hit.strength == 1 and "(" in between and ")" not in between
