"""The filters of a dossier's list of reads (GET)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from connect.documents.forms import date_input
from connect.documents.reads import ReadFilters
from connect.models import ReadKind


class ReadFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=date_input())
    end = forms.DateField(label=_("To"), required=False, widget=date_input())
    user = forms.CharField(label=_("User (e-mail)"), required=False, max_length=254)
    how = forms.ChoiceField(
        label=_("How"), required=False, choices=[("", _("All")), *ReadKind.choices]
    )
    document = forms.CharField(label=_("Document name"), required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end of the period must not be before its start."))
        return cleaned

    def filters(self) -> ReadFilters:
        """The filters asked for; none when the form is unbound or not valid."""
        if not self.is_bound or not self.is_valid():
            return ReadFilters()
        data = self.cleaned_data
        return ReadFilters(
            start=data["start"],
            end=data["end"],
            user=data["user"].strip(),
            how=data["how"],
            document=data["document"].strip(),
        )
