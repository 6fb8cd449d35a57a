"""Amounts and dates in the reader's format, whatever their source."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from portal.templatetags.formats import day, moment, money


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
