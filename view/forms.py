"""View: the period of a dossier's dashboard (GET ``from`` and ``to``, ISO dates)."""

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from view.period import Period

MAX_YEARS = 5
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class PeriodForm(forms.Form):
    """From and to, both included (GET ``from``/``to``); a missing or empty one takes the
    default (the last 12 months). The period runs forwards and spans at most five years."""

    def __init__(self, data: Any = None, *, today: date | None = None) -> None:
        self.default = Period.default(today)
        # Always bound: an empty or missing date shows, and means, the default.
        values = {"from": self.default.start.isoformat(), "to": self.default.end.isoformat()}
        for name in values:
            given = data.get(name, "") if data is not None else ""
            if isinstance(given, str) and given.strip():
                values[name] = given.strip()[:30]
        super().__init__(values)
        # "from" is a Python keyword: the fields are added by name.
        self.fields["from"] = _date_field(_("From"))
        self.fields["to"] = _date_field(_("To"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("from", "to"):
            day = cleaned.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(name, self.fields[name].error_messages["invalid"])
        if self.errors:
            return cleaned
        start, end = cleaned["from"], cleaned["to"]
        if start > end:
            self.add_error("to", _("The end of the period must not be before its start."))
        elif end > _years_later(start, MAX_YEARS):
            self.add_error("to", _("The period cannot be longer than five years."))
        else:
            cleaned["period"] = Period(start, end)
        return cleaned

    @property
    def period(self) -> Period:
        """The validated period (call after ``is_valid()``)."""
        return self.cleaned_data["period"]

    def first_error(self) -> str:
        for errors in self.errors.values():
            return str(errors[0])
        return ""
