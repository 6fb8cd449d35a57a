"""Amounts and dates in the reader's format, whatever their source."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from portal.templatetags.formats import day, decimal_number, moment, money


@pytest.mark.parametrize(
    ("language", "amount", "date", "time"),
    [
        ("fr", "1\u00a0234,56\u00a0EUR", "02/12/2026", "13/12/2026 01:37"),
        ("nl", "1.234,56\u00a0EUR", "2-12-2026", "13-12-2026 01:37"),
        ("de", "1.234,56\u00a0EUR", "02.12.2026", "13.12.2026 01:37"),
        ("en", "1,234.56\u00a0EUR", "02/12/2026", "13/12/2026 01:37"),
    ],
)
def test_amounts_and_dates_follow_the_language(language, amount, date, time) -> None:
    with translation.override(language):
        assert money("1234.56", "EUR") == amount
        assert money(Decimal("1234.56"), "EUR") == amount
        assert day("2026-12-02") == date
        assert day(datetime.date(2026, 12, 2)) == date
        assert moment("2026-12-13T00:37:05.979719+00:00") == time  # Brussels is UTC+1


def test_what_is_not_a_number_or_date_is_shown_as_it_is() -> None:
    with translation.override("fr"):
        assert money(None) == ""
        assert money("n/a") == "n/a"
        assert money(True) == "True"
        assert day(None) == ""
        assert day("soon") == "soon"
        assert moment("") == ""


@pytest.mark.parametrize(
    ("language", "quantity", "price", "rate", "thousand", "fine"),
    [
        ("fr", "1\u00a0234,5", "12,50", "5,5", "1\u00a0000", "0,0125"),
        ("nl", "1.234,5", "12,50", "5,5", "1.000", "0,0125"),
        ("de", "1.234,5", "12,50", "5,5", "1.000", "0,0125"),
        ("en", "1,234.5", "12.50", "5.5", "1,000", "0.0125"),
    ],
)
def test_quantities_prices_and_rates_keep_their_meaningful_decimals(
    language, quantity, price, rate, thousand, fine
) -> None:
    with translation.override(language):
        assert decimal_number("1234.500000") == quantity  # UBL's raw precision, trimmed
        assert decimal_number(Decimal("12.5"), 2) == price  # at least two for a price
        assert decimal_number("5.50") == rate
        assert decimal_number(Decimal("21.00")) == "21"
        assert decimal_number("1E+3") == thousand
        assert decimal_number("0.0125", 2) == fine  # a fine price keeps its four decimals


def test_a_quantity_that_is_not_a_number_is_shown_as_it_is() -> None:
    with translation.override("fr"):
        assert decimal_number(None) == ""
        assert decimal_number("n/a") == "n/a"
        assert decimal_number("NaN") == "NaN"
        assert decimal_number(True) == "True"
