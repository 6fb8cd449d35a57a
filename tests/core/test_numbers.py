"""core.numbers.grouped: the text of Django's number_format (grouped, localized), faster."""

from decimal import Decimal

import pytest
from django.utils import formats, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from core.numbers import grouped, money

LANGUAGES = ("fr", "nl", "de", "en")

numbers = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
)


def django_text(number, places):
    return formats.number_format(number, places, use_l10n=True, force_grouping=True)


@settings(max_examples=400, deadline=None)
@given(number=numbers, places=st.integers(0, 6), language=st.sampled_from(LANGUAGES))
def test_grouped_is_the_text_of_django_number_format(number, places, language):
    with translation.override(language):
        assert grouped(number, places) == django_text(number, places)


@pytest.mark.parametrize(
    ("number", "places", "language", "text"),
    [
        (Decimal("1234567.891"), 2, "fr", "1\xa0234\xa0567,89"),
        (Decimal("1234567.891"), 2, "nl", "1.234.567,89"),
        (Decimal("1234567.899"), 2, "en", "1,234,567.89"),  # cut, not rounded, as Django
        (Decimal("-0.004"), 2, "de", "0,00"),  # too small to show: 0, no sign
        (Decimal("-0.5"), 0, "en", "-0"),  # Django's own rule for no decimals
        (Decimal("1E+40"), 2, "en", "10,000,000,000,000,000,000,000,000,000,000,000,000,000.00"),
        (1234, 0, "fr", "1\xa0234"),
    ],
)
def test_grouped_examples(number, places, language, text):
    with translation.override(language):
        assert grouped(number, places) == text == django_text(number, places)


def test_money_places_the_currency_after_the_amount():
    with translation.override("nl"):
        assert money("1234.5", "EUR") == "1.234,50\xa0EUR"
        assert money(None) == ""
        assert money("n/a") == "n/a"
