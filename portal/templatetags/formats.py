"""Amounts and dates in the reader's own format, whatever their source (a Decimal, a date, or
the ISO strings that recognition stores in JSON): "1.234,56" in French and Dutch, "1,234.56"
in English; a day as the language writes it. Use `{% load formats %}`, then `|money` and
`|day` (and `|moment` for a point in time, `|decimal` for a quantity, a unit price or a rate)."""

import datetime
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.numbers import as_decimal, money

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
    return formats.number_format(number, places, use_l10n=True, force_grouping=True)


@register.filter
def day(value: Any) -> str:
    """A day (a date, a datetime or an ISO string) in the language's short date format."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        parsed: Any = parse_date(value[:10]) if len(value) >= 10 else None
        if parsed is None:
            return value
        value = parsed
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return formats.date_format(value, "SHORT_DATE_FORMAT")


@register.filter
def moment(value: Any) -> str:
    """A point in time (a datetime or an ISO string) in local time and the language's short
    date and time format."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            return value
        value = parsed
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "SHORT_DATETIME_FORMAT")
