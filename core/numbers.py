"""Numbers from anywhere (a Decimal, a float, the strings stored in JSON facts), and an amount
as the reader writes it (the ``|money`` filter of ``{% load formats %}``)."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats


def as_decimal(value: Any) -> Decimal | None:
    """The value as a Decimal, or None when it is missing or not a number."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def money(value: Any, currency: str = "") -> str:
    """An amount with two decimals, grouped, in the active language; the currency after it.
    Anything that is not a number is shown as it is (never "None")."""
    amount = as_decimal(value)
    if amount is None:
        return "" if value is None else str(value)
    text = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    return f"{text}\u00a0{currency}" if currency else text
