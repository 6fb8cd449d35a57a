"""Days and points in time in the reader's own format, whatever their source (a date, a
datetime, or the ISO strings that recognition stores in JSON): the same text in pages
(``|day`` and ``|moment``, portal/templatetags/formats.py) and in rows built by code."""

import datetime
import functools
from collections.abc import Callable
from typing import Any

from django.utils import formats, timezone
from django.utils.dateformat import re_formatchars
from django.utils.dateparse import parse_date, parse_datetime


def day(value: Any) -> str:
    """A day (a date, a datetime or an ISO string) in the language's short date format."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        parsed: Any = _day_of(value[:10]) if len(value) >= 10 else None
        if parsed is None:
            return value
        value = parsed
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return _formatted(value, "SHORT_DATE_FORMAT")


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
    return _formatted(value, "SHORT_DATETIME_FORMAT")


@functools.lru_cache(maxsize=4096)
def _day_of(text: str) -> datetime.date | None:
    """An ISO day read from JSON facts (pages show the same dates again and again)."""
    try:
        return parse_date(text)
    except ValueError:
        return None


def _formatted(value: Any, name: str) -> str:
    """``formats.date_format(value, name)``: the same text, through a formatter compiled once
    per format when the format uses only numbers (day, month, year, hour, minute, second),
    as the four languages' short formats do; Django's formatter otherwise."""
    pattern = formats.get_format(name)
    write = _compiled(str(pattern)) if isinstance(value, datetime.date) else None
    text = write(value) if write is not None else None
    return text if text is not None else formats.date_format(value, name)


#: The numbers compiled here, by Django's format character (django.utils.dateformat).
_NUMBERS: dict[str, Callable[[Any], str]] = {
    "d": lambda v: f"{v.day:02d}",
    "j": lambda v: str(v.day),
    "m": lambda v: f"{v.month:02d}",
    "n": lambda v: str(v.month),
    "Y": lambda v: f"{v.year:04d}",
    "y": lambda v: f"{v.year % 100:02d}",
}
_TIME_NUMBERS: dict[str, Callable[[Any], str]] = {
    "H": lambda v: f"{v.hour:02d}",
    "G": lambda v: str(v.hour),
    "i": lambda v: f"{v.minute:02d}",
    "s": lambda v: f"{v.second:02d}",
}


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> Callable[[Any], str | None] | None:
    if "\\" in pattern:
        return None
    pieces = re_formatchars.split(pattern)
    parts: list[Callable[[Any], str] | str] = []
    times = False
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            if piece:
                parts.append(piece)
        elif piece in _NUMBERS:
            parts.append(_NUMBERS[piece])
        elif piece in _TIME_NUMBERS:
            parts.append(_TIME_NUMBERS[piece])
            times = True
        else:
            return None

    def write(value: Any) -> str | None:
        if times and not isinstance(value, datetime.datetime):
            return None  # Django refuses a time format for a date: let it say so
        return "".join(part if isinstance(part, str) else part(value) for part in parts)

    return write
