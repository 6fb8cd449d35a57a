"""The totals of an invoice, chosen together by arithmetic (excl. VAT + VAT = incl. VAT, the
largest consistent triple), and its currency, from ISO codes and symbols."""

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from .layout import Grid, Hit, fold
from .parse import Amount, amounts
from .values import CENT, MAX_VAT_RATE, Fact, located


@dataclass(frozen=True)
class _Candidate:
    amount: Decimal
    score: float
    row: int


def totals(grid: Grid) -> dict[str, Fact]:
    found: dict[str, list[_Candidate]] = {"excl": [], "vat": [], "incl": [], "payable": []}
    rates: dict[str, _Candidate] = {}
    for hit in grid.hits:
        kind = {"vat_rate": "vat", "vat_total": "vat"}.get(hit.kind, hit.kind)
        if kind not in found:
            continue
        values: list[Amount]
        values, where = located(grid, hit, amounts)
        if not values:
            continue
        score = hit.strength - (0.5 if where == "below" else 0)
        if in_prose(hit):
            # "... d'un montant total de 192,00 €" in a sentence: not the invoice's total.
            score -= 1
        candidate = _Candidate(values[-1].value, score, hit.cell.row)
        if where == "below":
            column = _column_below(grid, hit)
            if len(column) > 2 and abs(column[-1][0] - sum(a for a, _ in column[:-1])) <= CENT:
                # A table's column and its sum row: the sum is the total.
                candidate = _Candidate(column[-1][0], score, column[-1][1])
            elif len(column) > 1:
                # The first line of a table's column (one VAT rate of several): doubtful.
                candidate = _Candidate(values[-1].value, score - 1, hit.cell.row)
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
    incl_value = Decimal(facts["total_incl_vat"].value) if "total_incl_vat" in facts else None
    # A credit note (negative total incl. VAT) has a negative amount to pay.
    sign = -1 if incl_value is not None and incl_value < 0 else 1
    payable = [c for c in found["payable"] if sign * c.amount > 0]
    if payable:
        pick = max(payable, key=lambda c: (c.score, c.row))
        sensible = incl_value is None or sign * pick.amount <= sign * incl_value
        facts["payable_amount"] = _money(pick.amount, 0.9 if sensible else 0.5)
    elif "total_incl_vat" in facts:
        incl_fact = facts["total_incl_vat"]
        facts["payable_amount"] = Fact(incl_fact.value, round(incl_fact.confidence * 0.75, 2))
    return facts


def in_prose(hit: Hit) -> bool:
    """The label stands inside a sentence: four words or more before it in its cell."""
    before = hit.cell.folded[: hit.start - hit.cell.start]
    return len(re.findall(r"[a-z]{2,}", before)) >= 4


def _column_below(grid: Grid, hit: Hit) -> list[tuple[Decimal, int]]:
    """The amounts in the column under a heading label, row by row, until the column ends (a
    label, a cell without an amount, or two empty rows)."""
    cell = hit.cell
    column: list[tuple[Decimal, int]] = []
    empty = 0
    for row in range(cell.row + 1, min(cell.row + 16, len(grid.rows))):
        under = [other for other in grid.rows[row] if other.overlaps(cell.start, cell.end, slack=1)]
        if not under:
            empty += 1
            if empty > 1 and column:
                break
            continue
        empty = 0
        target = max(under, key=lambda o: min(o.end, cell.end) - max(o.start, cell.start))
        found = amounts(target.text)
        if grid.starts_with_label(target) or len(found) != 1:
            break
        column.append((found[0].value, row))
    return column


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
        consistent = e is not None and v is not None and i is not None and _adds_up(e, v, i)
        if consistent:
            # A credit note's all-negative triple counts a little less than a positive one.
            score += 5 if i is not None and i.amount > 0 else 4
        elif e is not None and i is not None and e.amount > i.amount:
            score -= 3
        # Equal scores: totals printed lower on the page win (the last page's totals).
        key = (score, sum(c.row for c in chosen))
        if key > best[0]:
            best = (key, e, v, i, consistent)
    return best[1], best[2], best[3], best[4]


def _adds_up(excl: _Candidate, vat: _Candidate, incl: _Candidate) -> bool:
    """excl. + VAT = incl. with a plausible VAT share, all positive or, on a credit note, all
    negative (-7.67 + -1.12 = -8.79)."""
    sign = 1 if incl.amount > 0 else -1
    e, v, i = (sign * excl.amount, sign * vat.amount, sign * incl.amount)
    return (
        i > 0 and e > 0 and v >= 0 and abs(e + v - i) <= CENT * 2 and v <= e * MAX_VAT_RATE + CENT
    )


def _money(value: Decimal | _Candidate, confidence: float) -> Fact:
    amount = value.amount if isinstance(value, _Candidate) else value
    return Fact(str(amount.quantize(CENT)), confidence)


def _plausible(excl: Decimal, vat: Decimal) -> bool:
    return excl > 0 and 0 <= vat <= excl * MAX_VAT_RATE + CENT


def _derive(
    excl: _Candidate | None, vat: _Candidate | None, incl: _Candidate | None
) -> dict[str, Fact]:
    """Two labelled totals give the third when they make sense together; a total read under a
    weak label (a bare word, a heading above, a sentence) stays doubtful."""
    facts: dict[str, Fact] = {}

    def sure(candidate: _Candidate, confidence: float) -> Fact:
        return _money(candidate, confidence if candidate.score >= 2 else 0.6)

    if excl and incl and _plausible(excl.amount, incl.amount - excl.amount):
        return {
            "total_excl_vat": sure(excl, 0.8),
            "total_vat": _money(incl.amount - excl.amount, 0.65),
            "total_incl_vat": sure(incl, 0.85),
        }
    if excl and vat and not incl and _plausible(excl.amount, vat.amount):
        return {
            "total_excl_vat": sure(excl, 0.8),
            "total_vat": sure(vat, 0.8),
            "total_incl_vat": _money(excl.amount + vat.amount, 0.65),
        }
    if vat and incl and not excl and _plausible(incl.amount - vat.amount, vat.amount):
        return {
            "total_excl_vat": _money(incl.amount - vat.amount, 0.65),
            "total_vat": sure(vat, 0.8),
            "total_incl_vat": sure(incl, 0.85),
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
DOLLAR = re.compile(r"(?<![A-Z])\$")
_CURRENCY_LABEL = re.compile(
    r"(?i)(?:currency|devise|monnaie|munteenheid|valuta|w[aä]hrung|rechnungsw[aä]hrung)"
    r"\s?:?\s{0,20}([A-Z]{3})\b"
)


def currency(text: str, *, has_amounts: bool) -> Fact | None:
    labelled = _CURRENCY_LABEL.search(text)
    if labelled and any(labelled.group(1) == code for code, _ in _CURRENCIES):
        return Fact(labelled.group(1), 0.95)
    counts = Counter({code: len(re.findall(pattern, text)) for code, pattern in _CURRENCIES})
    if not any(counts.values()) and DOLLAR.search(text):
        return Fact("USD", 0.75)
    ranked = counts.most_common(2)
    code, count = ranked[0]
    if not count:
        return Fact("EUR", 0.5) if has_amounts else None
    other = ranked[1][1] if len(ranked) > 1 else 0
    if other == 0:
        return Fact(code, 0.95)
    return Fact(code, 0.8 if count >= 4 * other else 0.55)
