"""Amounts and dates in the reader's own format, whatever their source (a Decimal, a date, or
the ISO strings that recognition stores in JSON): "1.234,56" in French and Dutch, "1,234.56"
in English; a day as the language writes it. Use `{% load formats %}`, then `|money` and
`|day` (and `|moment` for a point in time, `|decimal` for a quantity, a unit price or a rate)."""

from typing import Any

from django import template

from core.dates import day, moment
from core.numbers import as_decimal, grouped, money

register = template.Library()


register.filter("money", money)  # core.numbers: the same text in pages, exports and code


#: More decimals than any quantity, price or rate means: beyond, it is noise.
MAX_PLACES = 10


@register.filter(name="decimal")
def decimal_number(value: Any, min_places: Any = 0) -> str:
    """A quantity, a unit price or a rate, grouped in the active language, with its meaningful
    decimals only (trailing zeros trimmed: "1234.500000" is "1.234,5", "21.00" is "21") and at
    least ``min_places`` of them ("12.5" with 2 is "12,50"). Not a number: shown as it is."""
    number = as_decimal(value)
    if number is None or not number.is_finite():
        return "" if value is None else str(value)
    try:
        places = max(0, int(min_places))
    except (TypeError, ValueError):
        places = 0
    exponent = number.normalize().as_tuple().exponent
    meaningful = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    places = min(max(places, meaningful), MAX_PLACES)
    return grouped(number, places)


register.filter("day", day)  # core.dates: also used by rows built in code
register.filter("moment", moment)
