"""The dates of an invoice: issue and due date next to their labels, in a title row
("Rechnung 2026-7 vom 3.3.2026"), or the page's first date when nothing is labelled."""

import re
from collections.abc import Callable
from datetime import date

from .labels import MONTHS
from .layout import Grid, Hit, fold
from .parse import ambiguous_dates, dates, us_dates
from .values import Fact, located

_INLINE_TITLE = re.compile(
    r"(?:facture|factuur|rechnung|invoice|gutschrift|avoir|creditnota|credit\snote)\S*\s"
    r"(?:\S+\s{1,8}){0,4}\S*\d\S*\s+$"
)


_TITLE_DATE = re.compile(
    r"(?<![a-z])\w*(?:facture|factuur|rechnung|invoice|gutschrift|avoir|creditnota|credit\snote)"
    r"\S*\s.{0,40}?\d\S*\s+(?:du|van|vom|of|dated|d\.d\.)\s+(.{6,30})"
)


def _qualified(grid: Grid, hit: Hit) -> bool:
    """The label is followed by a word that makes it another document's ("Date de facture
    associée", "Invoice date original"): a word of three letters or more before the value."""
    word = re.match(r"[\s:.-]*([a-z]{3,})", fold(grid.lines[hit.cell.row][hit.end : hit.end + 30]))
    return word is not None and word.group(1) not in MONTHS and word.group(1) not in _DAY_WORDS


_DAY_WORDS = {"den", "the", "vom", "van", "per", "dated", "from", "bis", "tot", "avant", "voor"}


def _after(grid: Grid, hit: Hit, length: int) -> tuple[str, str]:
    text = grid.lines[hit.cell.row][hit.end : hit.end + length]
    return text, fold(text)


def printed_ambiguously(grid: Grid, value: str) -> bool:
    day = date.fromisoformat(value)
    return (
        day.day <= 12 and day.day != day.month and any(ambiguous_dates(line) for line in grid.lines)
    )


# Payment terms: "Zahlbar innerhalb 30 Tagen netto bis 04.07.2026", "net by", "payable avant
# le", "te betalen vóór": a date right after a net or due keyword and a "by". A discount date
# ("3 % Skonto innerhalb 10 Tagen bis 15.06.2026") has no such keyword before its "bis".
_NET_DUE = re.compile(
    r"(?<![a-z])(?:netto|net|nett|rein|zahlbar|payable|pay|paid|due|faellig|fallig|a\spayer"
    r"|(?:te\s)?betalen|betaalbaar|ohne\sabzug|sans\sescompte|zonder\skorting)[\s,:]{1,3}"
    r"(?:bis(?:\s(?:zum|spatestens))?|before|by|on\sor\sbefore|avant(?:\sle)?|au\splus\stard\sle"
    r"|le|voor|tegen|uiterlijk(?:\sop)?|op)[\s:]{1,3}(?=\d|[a-z]{3,9}\.?\s\d)"
)
# "bis zum 31.03.2026 ohne Abzug", "avant le 31/03/2026 net": the net date named after it.
_DUE_NET = re.compile(
    r"(?<![a-z])(?:bis(?:\szum)?|before|by|avant(?:\sle)?|voor|tot)\s{1,3}(\S{6,10}|\d{1,2}\.?\s"
    r"[a-z]{3,9}\.?\s\d{4})\s{1,3}(?:ohne(?:\s(?:abzug|skonto))?|netto|net|sans\sescompte"
    r"|zonder\skorting|without\sdiscount)(?![a-z])"
)
# "Montant prélevé le 16 novembre 2019": a direct debit's date is when the invoice is paid.
_DEBIT = re.compile(
    r"(?<![a-z])(?:preleve|debite|domicilie|debited|collected|withdrawn)e?s?\s(?:le|op|on)\s{1,3}"
    r"(?=\d)|(?<![a-z])(?:wird|werden)\sam\s{1,3}(?=\d[\d.]+\s(?:von\s|.{0,80}(?:eingezogen|abgebucht)))"
)
_DISCOUNT = re.compile(r"skonto|escompte|korting|discount|remise|rabatt")
NET_TERMS_SCORE = 0.85
DEBIT_SCORE = 0.7


def payment_terms(
    grid: Grid, read: Callable[[str, str], list[date]]
) -> list[tuple[date, float, int]]:
    """Due dates written in a sentence of payment terms or of a direct debit."""
    found = []
    for row, line in enumerate(grid.lines):
        folded = fold(line)
        for pattern, score in ((_NET_DUE, NET_TERMS_SCORE), (_DEBIT, DEBIT_SCORE)):
            for match in pattern.finditer(folded):
                after = read(
                    line[match.end() : match.end() + 24], folded[match.end() : match.end() + 24]
                )
                # The clause of the date: "bis 15.03.2026 mit 3 % Skonto" is a discount's.
                tail = re.split(r"[,;]\s", folded[match.end() : match.end() + 45])[0]
                if after and not _DISCOUNT.search(tail):
                    found.append((after[0], score, row))
        for match in _DUE_NET.finditer(folded):
            value = read(line[match.start(1) : match.end(1)], folded[match.start(1) : match.end(1)])
            if value:
                found.append((value[0], NET_TERMS_SCORE, row))
    return found


def read_dates(grid: Grid, *, month_first: bool = False) -> dict[str, Fact]:
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
            found, where = located(grid, hit, read)
        else:
            continue
        if not found:
            continue
        score = {3: 0.9, 2: 0.85, 1: 0.75}[hit.strength] - (0.05 if where == "below" else 0)
        if len(set(found)) > 1 or _qualified(grid, hit):
            # Several dates after one label, or "Date de facture associée": doubtful.
            score = min(score, 0.6)
        (due if hit.kind == "due" else issue).append((found[0], score, hit.cell.row))
    # "Handelsrechnung (380)   Nr. 471102   vom   05.03.2026": title, number, date on one row.
    for row, line in enumerate(grid.lines):
        folded = fold(line)
        match = _TITLE_DATE.search(folded)
        if match:
            found = read(line[match.start(1) : match.end(1)], folded[match.start(1) : match.end(1)])
            if found:
                issue.append((found[0], 0.85, row))
    due.extend(payment_terms(grid, read))
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
