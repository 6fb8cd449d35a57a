"""Forms of the dossier's tasks and of the fiscal deadlines generator."""

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import dates
from django.utils.translation import gettext_lazy as _

from connect.deadlines import VatFrequency
from users.models import User


class AssigneeField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


def _assignee_field(form: forms.Form, assignees: QuerySet[User]) -> None:
    field = cast(forms.ModelChoiceField, form.fields["assignee"])
    field.queryset = assignees
    field.empty_label = _("Everyone in the dossier")


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due_date = forms.DateField(
        label=_("Due date"),
        # A date input takes and shows ISO dates, whatever the language.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    assignee = AssigneeField(
        label=_("Assigned to"),
        queryset=User.objects.none(),
        required=False,
        to_field_name="public_id",
        help_text=_("Reminders go to this person, or to everyone in the dossier."),
    )

    def __init__(self, *args: Any, assignees: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _assignee_field(self, assignees)


class DeadlinesForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    vat = forms.ChoiceField(
        label=_("Periodic VAT returns"),
        choices=[
            (VatFrequency.QUARTERLY.value, _("Quarterly (by the 25th of the next month)")),
            (VatFrequency.MONTHLY.value, _("Monthly (by the 20th of the next month)")),
            ("", _("None (not liable to file VAT returns)")),
        ],
        required=False,
    )
    client_listing = forms.BooleanField(
        label=_("Annual client listing (by 31 March of the next year)"), required=False
    )
    annual_accounts = forms.BooleanField(
        label=_("Annual accounts at the National Bank (within 7 months of the year end)"),
        required=False,
    )
    year_end_month = forms.TypedChoiceField(
        label=_("The financial year ends at the end of"),
        choices=list(dates.MONTHS.items()),
        coerce=int,
        initial=12,
    )
    assignee = AssigneeField(
        label=_("Assigned to"),
        queryset=User.objects.none(),
        required=False,
        to_field_name="public_id",
    )

    def __init__(self, *args: Any, assignees: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _assignee_field(self, assignees)
