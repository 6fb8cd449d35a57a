"""Days and points in time in the reader's own format, whatever their source (a date, a
datetime, or the ISO strings that recognition stores in JSON): the same text in pages
(``|day`` and ``|moment``, portal/templatetags/formats.py) and in rows built by code."""

import datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime


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
