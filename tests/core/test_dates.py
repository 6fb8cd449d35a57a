"""core.dates: the reader's day and moment, the same text as Django's date_format."""

import datetime

import pytest
from django.utils import formats, timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from core.dates import _compiled, day, moment

LANGUAGES = ("fr", "nl", "de", "en")
moments = st.datetimes(
    min_value=datetime.datetime(1900, 1, 1),  # noqa: DTZ001 (naive bounds, made aware below)
    max_value=datetime.datetime(2200, 12, 31),  # noqa: DTZ001
)


@settings(max_examples=300, deadline=None)
@given(value=moments, language=st.sampled_from(LANGUAGES))
def test_day_and_moment_are_the_text_of_django_date_format(value, language):
    aware = timezone.make_aware(value, datetime.UTC)
    with translation.override(language):
        local = timezone.localtime(aware)
        assert moment(aware) == formats.date_format(local, "SHORT_DATETIME_FORMAT")
        assert moment(aware.isoformat()) == moment(aware)
        assert day(value.date()) == formats.date_format(value.date(), "SHORT_DATE_FORMAT")
        assert day(value.date().isoformat()) == day(value.date())
        assert day(aware) == formats.date_format(local.date(), "SHORT_DATE_FORMAT")


@pytest.mark.parametrize(
    "pattern",
    ["d/m/Y H:i", "j-n-Y", "d.m.y G:i:s", "Y", r"\d\a\y j", "D j M Y", "N j, Y, P"],
)
def test_any_pattern_gives_django_text_or_goes_to_django(pattern):
    value = datetime.datetime(2026, 3, 7, 9, 5, 4, tzinfo=datetime.UTC)
    write = _compiled(pattern)
    if write is not None:  # numbers only: compiled
        from django.utils.dateformat import format as django_format

        assert write(value) == django_format(value, pattern)
    else:
        assert not set(pattern) <= set("djmnYyHGis/.-: ")


def test_what_is_not_a_day_is_shown_as_it_is():
    assert day("not a day") == "not a day"
    assert day("2026-02-30") == "2026-02-30"
    assert moment("never") == "never"
    assert day(None) == "" == moment("")
