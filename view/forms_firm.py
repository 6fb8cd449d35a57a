"""Forms of View's firm side: the firm dashboard's filter and the report switches."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from view.firm_dashboard import QUIET_DAYS_DEFAULT, QUIET_DAYS_MAX, QUIET_DAYS_MIN
from view.reports import REPORTS, SECTIONS, Report

# The bounds are QUIET_DAYS_MIN and QUIET_DAYS_MAX (a lazy message cannot be %-formatted here).
_DAYS_MESSAGE = _("Enter a whole number of days between 1 and 365.")


class FirmDashboardForm(forms.Form):
    """The firm dashboard's one setting: a dossier is quiet after this many days."""

    days = forms.IntegerField(
        label=_("No upload for (days)"),
        min_value=QUIET_DAYS_MIN,
        max_value=QUIET_DAYS_MAX,
        required=False,
        error_messages={
            "invalid": _DAYS_MESSAGE,
            "min_value": _DAYS_MESSAGE,
            "max_value": _DAYS_MESSAGE,
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def days_or_default(self) -> int:
        """The days asked for, or the default when none (or an invalid number) was given."""
        if self.is_bound and self.is_valid() and self.cleaned_data["days"]:
            return int(self.cleaned_data["days"])
        return QUIET_DAYS_DEFAULT


@dataclass(frozen=True)
class SwitchItem:
    """One report in the form: its checkbox, or (switched off for the whole firm) a note."""

    report: Report
    field: forms.BoundField | None


class ReportSwitchForm(forms.Form):
    """One checkbox per report, ticked when the report is shown. ``off`` holds the keys
    switched off here; ``locked`` those switched off for every dossier of the firm, shown as
    such and kept as they are (the dossier page does not change the firm's choice)."""

    def __init__(
        self,
        *args: Any,
        off: set[str],
        locked: frozenset[str] | set[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")  # the label follows its checkbox
        super().__init__(*args, **kwargs)
        self.off = set(off)
        self.locked = set(locked)
        for report in REPORTS:
            if report.key in self.locked:
                continue
            self.fields[report.key] = forms.BooleanField(
                label=str(report.title), required=False, initial=report.key not in self.off
            )

    def off_keys(self) -> set[str]:
        """The reports to switch off here (call after ``is_valid``)."""
        unticked = {key for key in self.fields if not self.cleaned_data.get(key)}
        return unticked | (self.off & self.locked)

    def sections(self) -> list[tuple[str | Promise, list[SwitchItem]]]:
        """The reports grouped by section, in the dashboard's order."""
        return [
            (
                title,
                [
                    SwitchItem(r, self[r.key] if r.key in self.fields else None)
                    for r in REPORTS
                    if r.section == key
                ],
            )
            for key, title in SECTIONS.items()
            if any(r.section == key for r in REPORTS)
        ]
