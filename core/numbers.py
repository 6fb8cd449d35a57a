"""Numbers from anywhere (a Decimal, a float, the strings stored in JSON facts), and an amount
as the reader writes it (the ``|money`` filter of ``{% load formats %}``)."""

from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.core.signals import setting_changed
from django.utils import formats
from django.utils.translation import get_language


def as_decimal(value: Any) -> Decimal | None:
    """The value as a Decimal, or None when it is missing or not a number."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def grouped(number: Decimal | int | float, places: int) -> str:
    """``number`` with ``places`` decimals, its thousands grouped, in the active language: the
    text of ``formats.number_format(number, places, use_l10n=True, force_grouping=True)``
    (decimals cut, not rounded; a number too small to show is 0), in one ``format`` rather
    than Django's digit-by-digit loop. Pages show hundreds of amounts (the inbox, View's
    reports): this is their cost. Django's own function serves what the fast path does not
    cover (floats, grouping other than by one size, numbers beyond ``Decimal``'s
    precision)."""
    separators = _separators(get_language())
    if separators is not None and (
        isinstance(number, Decimal) or (isinstance(number, int) and not isinstance(number, bool))
    ):
        try:
            value = Decimal(number)
            if value.is_finite() and len(value.as_tuple().digits) < MAX_DIGITS:
                step = _STEPS.get(places) or Decimal(1).scaleb(-places)
                # Django's cut-off below which a number shows as 0 ("0.1" for no decimals).
                if abs(value) < (_TENTH if places == 0 else step):
                    value = _ZERO
                text = format(value.quantize(step, rounding=ROUND_DOWN), ",f")
                thousand, decimal = separators
                return text.replace(",", "\0").replace(".", decimal).replace("\0", thousand)
        except InvalidOperation:
            pass
    return formats.number_format(number, places, use_l10n=True, force_grouping=True)


#: From this many digits on, Django's own function (its scientific notation, and no overflow of
#: ``quantize``).
MAX_DIGITS = 26
_ZERO = Decimal(0)
_SEPARATORS: dict[str | None, tuple[str, str] | None] = {}


def _separators(language: str | None) -> tuple[str, str] | None:
    """The language's thousands and decimal separators (for Python's "," and "."); ``None``
    when its groups are not all of three digits (Django's loop handles those)."""
    try:
        return _SEPARATORS[language]
    except KeyError:
        pass
    table = None
    if formats.get_format("NUMBER_GROUPING", language, use_l10n=True) == 3:
        table = (
            str(formats.get_format("THOUSAND_SEPARATOR", language, use_l10n=True)),
            str(formats.get_format("DECIMAL_SEPARATOR", language, use_l10n=True)),
        )
    _SEPARATORS[language] = table
    return table


def _forget_separators(**kwargs: Any) -> None:
    _SEPARATORS.clear()


setting_changed.connect(_forget_separators, dispatch_uid="core_numbers_separators")
_TENTH = Decimal("0.1")
_STEPS = {0: Decimal(1), 1: Decimal("0.1"), 2: Decimal("0.01"), 3: Decimal("0.001")}


def money(value: Any, currency: str = "") -> str:
    """An amount with two decimals, grouped, in the active language; the currency after it.
    Anything that is not a number is shown as it is (never "None")."""
    amount = as_decimal(value)
    if amount is None:
        return "" if value is None else str(value)
    text = grouped(amount, 2)
    return f"{text}\u00a0{currency}" if currency else text
