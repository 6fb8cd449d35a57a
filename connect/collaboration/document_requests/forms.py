"""Forms of document requests: the accountant's request, the client's upload into it, the
accountant's "more needed" note, and the list's filter."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from connect.documents.forms import MultipleFileField, date_input
from connect.models import Category, RequestStatus


class RequestForm(forms.Form):
    description = forms.CharField(
        label=_("Documents needed"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: bank statements of all your accounts."),
    )
    period = forms.CharField(
        label=_("Period"),
        max_length=100,
        required=False,
        help_text=_("For example: October 2026."),
    )
    due_date = forms.DateField(label=_("Due date"), widget=date_input())


class RequestUploadForm(forms.Form):
    """The client's files for a request. The facts the dossier's profile requires before
    sending are asked for here too (the files are sent at once)."""

    uploads = MultipleFileField(
        label=_("Files"),
        required=False,
        help_text=_("PDF, photos (JPEG, PNG, TIFF, HEIC) or Peppol UBL e-invoices (XML)."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)

    def __init__(
        self,
        *args: Any,
        categories: list[str],
        require_due_date: bool = False,
        require_amount: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault(
            "initial", {"category": Category.OTHER if Category.OTHER in categories else ""}
        )
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["category"])
        field.choices = [(value, label) for value, label in Category.choices if value in categories]
        if require_due_date:
            self.fields["due_date"] = forms.DateField(
                label=_("Due date"),
                widget=date_input(),
            )
        if require_amount:
            self.fields["amount"] = forms.DecimalField(
                label=_("Amount (EUR)"),
                max_digits=14,
                decimal_places=2,
                min_value=0.01,
                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            )


class MoreNeededForm(forms.Form):
    note = forms.CharField(
        label=_("What is still missing"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *RequestStatus.choices],
    )
