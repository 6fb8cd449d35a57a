"""What every fact reader shares: a fact with its confidence, and a value read after its label."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from .layout import Grid, Hit

T = TypeVar("T")

CENT = Decimal("0.01")
MAX_VAT_RATE = Decimal("0.275")


@dataclass(frozen=True)
class Fact:
    value: str
    confidence: float


_VALUE_START = re.compile(r"[\d€$£₹(+-]|eur|usd|gbp|chf|inr|rs\.?\s?\d|[a-z]{3,9}\.?\s\d")


def tight(parse: Callable[[str, str], list[T]]) -> Callable[[str, str], list[T]]:
    """For bare labels ("Date", "Total"): the value must follow the label directly."""

    def parse_tight(text: str, folded: str) -> list[T]:
        rest = re.sub(r"^[\s:.=-]*", "", folded)
        if rest and not re.match(
            r"[\d€$£₹(+-]|eur|usd|gbp|chf|inr|rs\.?\s?\d|[a-z]{3,9}\.?\s\d", rest
        ):
            return []
        return parse(text, folded)

    return parse_tight


def located(
    grid: Grid, hit: Hit, parse: Callable[[str, str], list[T]], *, below: bool = True
) -> tuple[list[T], str]:
    if hit.strength == 1:
        # A bare word heads a column of a table only when it is the whole cell.
        alone = hit.start == hit.cell.start and not hit.cell.folded[
            hit.end - hit.cell.start :
        ].strip(" :")
        return grid.values(hit, tight(parse), below=below and alone)
    return grid.values(hit, parse, below=below)
