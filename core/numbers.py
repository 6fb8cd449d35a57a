"""Numbers from anywhere (a Decimal, a float, the strings stored in JSON facts)."""

from decimal import Decimal, InvalidOperation
from typing import Any


def as_decimal(value: Any) -> Decimal | None:
    """The value as a Decimal, or None when it is missing or not a number."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
