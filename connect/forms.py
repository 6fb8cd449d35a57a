from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from connect.models import Binder, Category

ACCEPT = ".pdf,.jpg,.jpeg,.png,.tif,.tiff,.heic,.heif,.xml,application/pdf,image/*,text/xml"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked by the receive service, not here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data]
        return [f for f in files if f]


class FactsForm(forms.Form):
    """The facts a client adds to a document."""

    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    keyword = forms.CharField(label=_("Keyword"), max_length=100, required=False)
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = forms.DecimalField(
        label=_("Amount (EUR)"),
        max_digits=14,
        decimal_places=2,
        required=False,
        min_value=0.01,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    paid = forms.BooleanField(label=_("Paid"), required=False)
    comment = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class UploadForm(FactsForm):
    uploads = MultipleFileField(
        label=_("Files"),
        required=False,
        help_text=_("PDF, photos (JPEG, PNG, TIFF, HEIC) or Peppol UBL e-invoices (XML)."),
    )
    photos = MultipleFileField(
        label=_("Take a photo"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    combine = forms.BooleanField(
        label=_("Combine the photos into one PDF (several pages of one invoice)"),
        required=False,
    )
    send = forms.BooleanField(label=_("Send to the accountant at once"), required=False)

    def all_files(self) -> list[Any]:
        return [*self.cleaned_data.get("uploads", []), *self.cleaned_data.get("photos", [])]


class DocumentForm(FactsForm):
    filename = forms.CharField(label=_("Name"), max_length=200)
    binder = forms.ModelChoiceField(
        label=_("Binder"), queryset=Binder.objects.none(), required=False, to_field_name="public_id"
    )

    field_order = [
        "filename",
        "category",
        "keyword",
        "due_date",
        "amount",
        "paid",
        "comment",
        "binder",
    ]

    def __init__(self, *args: Any, binders: list[Binder], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        own = [b.pk for b in binders if not b.locked]
        binder_field = cast(forms.ModelChoiceField, self.fields["binder"])
        binder_field.queryset = Binder.objects.filter(pk__in=own).order_by("name")
        binder_field.empty_label = _("No binder")


class BinderForm(forms.Form):
    name = forms.CharField(label=_("New binder"), max_length=100)
