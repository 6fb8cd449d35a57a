from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from connect.facts import AMOUNT_FACTS, DATE_FACTS
from connect.models import Binder, Category, Status

ACCEPT = ".pdf,.jpg,.jpeg,.png,.tif,.tiff,.heic,.heif,.xml,application/pdf,image/*,text/xml"


def date_input() -> forms.DateInput:
    """A date picker: browsers read only ISO dates (YYYY-MM-DD) in its value, whatever the
    language of the page."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


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
        label=_("Due date"),
        required=False,
        widget=date_input(),
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
    keep = forms.BooleanField(
        label=_("Keep them on my desk (I will send them later)"), required=False
    )

    def clean(self) -> dict[str, Any]:
        """An amount or a due date belongs to one document: with several files (not combined
        into one), each file gets its own on the page, or afterwards on the document."""
        data = super().clean() or {}
        files = self.all_files()
        several = len(files) > 1 and not data.get("combine")
        if several and (data.get("amount") is not None or data.get("due_date") is not None):
            raise forms.ValidationError(
                _(
                    "An amount or a due date belongs to one document: send several files "
                    "without them, then add them to each document."
                ),
                code="facts_for_one",
            )
        return data

    def all_files(self) -> list[Any]:
        return [*self.cleaned_data.get("uploads", []), *self.cleaned_data.get("photos", [])]


class ReplaceForm(forms.Form):
    """A new file for a rejected document."""

    file = forms.FileField(
        label=_("New file"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )
    keep = forms.BooleanField(label=_("Keep it on my desk"), required=False)


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
    parent = forms.ModelChoiceField(
        label=_("Inside"), queryset=Binder.objects.none(), required=False, to_field_name="public_id"
    )

    def __init__(self, *args: Any, binders: list[Binder], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["parent"])
        field.queryset = Binder.objects.filter(
            pk__in=[b.pk for b in binders if not b.locked]
        ).select_related("parent")
        field.empty_label = _("(top level)")


class InboxFilterForm(forms.Form):
    dossier = forms.ModelChoiceField(
        label=_("Dossier"),
        queryset=Binder.objects.none(),
        required=False,
        to_field_name="public_id",
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *Category.choices]
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    sent_from = forms.DateField(
        label=_("Sent from"),
        required=False,
        widget=date_input(),
    )
    sent_to = forms.DateField(
        label=_("Sent until"),
        required=False,
        widget=date_input(),
    )

    def __init__(self, *args: Any, dossiers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["dossier"])
        field.queryset = dossiers
        field.empty_label = _("All")
        status = cast(forms.ChoiceField, self.fields["status"])
        status.choices = [
            ("", _("New and retrieved")),
            (Status.SENT, Status.SENT.label),
            (Status.VALIDATED, Status.VALIDATED.label),
            (Status.RETRIEVED, Status.RETRIEVED.label),
            (Status.BOOKED, Status.BOOKED.label),
            (Status.REJECTED, Status.REJECTED.label),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("sent_from"), cleaned.get("sent_to")
        if start and end and start > end:
            self.add_error("sent_to", _("The end date is before the start date."))
        return cleaned


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the client"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class BookForm(forms.Form):
    booking_number = forms.CharField(label=_("Booking number"), max_length=50)


class ShareForm(forms.Form):
    file = forms.FileField(label=_("File"))
    binder = forms.ModelChoiceField(
        label=_("Binder"), queryset=Binder.objects.none(), to_field_name="public_id"
    )
    name = forms.CharField(label=_("Name shown to the client"), max_length=200, required=False)
    keyword = forms.CharField(label=_("Keywords"), max_length=100, required=False)
    comment = forms.CharField(
        label=_("Note for the client"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    task = forms.ModelChoiceField(
        label=_("Close this task with the document"),
        queryset=Binder.objects.none(),  # the dossier's open tasks, set in __init__
        required=False,
        to_field_name="public_id",
        help_text=_("The task is marked done when the document is shared, with a link to it."),
    )

    def __init__(self, *args: Any, binders: list[Binder], tasks: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["binder"])
        field.queryset = Binder.objects.filter(pk__in=[b.pk for b in binders])
        # The dossier's open tasks (none given: the choice is not offered).
        if tasks is None:
            del self.fields["task"]
        else:
            from django.utils.formats import date_format

            task_field = cast(forms.ModelChoiceField, self.fields["task"])
            task_field.queryset = tasks
            task_field.empty_label = _("No task")
            task_field.label_from_instance = lambda task: (  # type: ignore[method-assign,assignment]
                f"{task.shown_title} ({date_format(task.due_date, 'SHORT_DATE_FORMAT')})"
            )


class ProfileForm(forms.Form):
    auto_send = forms.BooleanField(
        label=_("Send documents to the accountant as soon as they are received"), required=False
    )
    require_due_date = forms.BooleanField(
        label=_("A due date is required before sending"), required=False
    )
    require_amount = forms.BooleanField(
        label=_("An amount is required before sending"), required=False
    )
    pre_validation = forms.BooleanField(
        label=_("The accountant validates documents before they are processed"), required=False
    )
    allowed_categories = forms.MultipleChoiceField(
        label=_("Categories the client may use (none ticked: all)"),
        required=False,
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    email_allow_list = forms.CharField(
        label=_("Accepted senders for the e-mail address"),
        required=False,
        help_text=_("One address or @domain per line; empty: anyone."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    digest_hours = forms.IntegerField(
        label=_("At most one e-mail about new documents every (hours; 0: none)"),
        min_value=0,
        max_value=168,
    )
    notify_client = forms.BooleanField(
        label=_("Tell the client by e-mail when a document is rejected or shared"), required=False
    )
    reminder_days = forms.CharField(
        label=_("Reminders of tasks and requests before their due date (days)"),
        help_text=_("Separated by commas; 0 is the due date itself. For example: 7,1,0."),
        max_length=50,
        required=False,
    )
    reminder_overdue_weekly = forms.BooleanField(
        label=_("Remind every week while a task or request is overdue"), required=False
    )


def _amount_input() -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


def amount_typed(value: str) -> str:
    """An amount typed as people write it ("1.234,56", "1 234,56", "1,234.56", "412,34") in
    the canonical form the services read ("1234.56"). The separator written last is the
    decimal one; a single separator followed by exactly three digits in a language that groups
    with it ("1.234" in Dutch) is a thousands separator. Anything else is returned as typed,
    for the service to refuse with its own message."""
    text = "".join(ch for ch in value.strip() if ch not in " \u00a0\u202f'")
    if not text:
        return ""
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        text = text.replace(thousands, "").replace(decimal, ".")
    elif commas > 1 or dots > 1:
        text = text.replace("," if commas else ".", "")
    elif commas or dots:
        sep = "," if commas else "."
        head, _, tail = text.partition(sep)
        grouping = str(formats.get_format("THOUSAND_SEPARATOR"))
        if sep == grouping and len(tail) == 3 and head.lstrip("-").isdigit():
            text = head + tail
        else:
            text = text.replace(",", ".")
    return text


class ReviewForm(forms.Form):
    """The accountant corrects the facts read from a document (Optimum's review, or any
    document until it is booked). Each value is checked by the service (VAT number, IBAN and
    structured communication by their checksums). Amounts are shown and typed in the reader's
    format, dates with the browser's date field; both reach the service in ISO form."""

    supplier_name = forms.CharField(label=_("Supplier"), max_length=200, required=False)
    supplier_vat = forms.CharField(label=_("Supplier VAT number"), max_length=30, required=False)
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=100, required=False)
    issue_date = forms.DateField(
        label=_("Invoice date"),
        required=False,
        widget=date_input(),
        input_formats=["%Y-%m-%d"],
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=date_input(),
        input_formats=["%Y-%m-%d"],
    )
    total_excl_vat = forms.CharField(
        label=_("Total excl. VAT"), max_length=20, required=False, widget=_amount_input()
    )
    total_vat = forms.CharField(
        label=_("VAT"), max_length=20, required=False, widget=_amount_input()
    )
    total_incl_vat = forms.CharField(
        label=_("Total incl. VAT"), max_length=20, required=False, widget=_amount_input()
    )
    payable_amount = forms.CharField(
        label=_("Amount to pay"), max_length=20, required=False, widget=_amount_input()
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False)
    iban = forms.CharField(label=_("IBAN"), max_length=42, required=False)
    structured_reference = forms.CharField(
        label=_("Structured communication"), max_length=30, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        initial = dict(kwargs.pop("initial", None) or {})
        for key in AMOUNT_FACTS:
            if initial.get(key) not in (None, ""):
                initial[key] = _amount_shown(str(initial[key]))
        for key in DATE_FACTS:
            if initial.get(key) and not _iso_day(str(initial[key])):
                initial.pop(key)  # not a day: the field starts empty rather than wrong
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key in AMOUNT_FACTS:
            if key in data:
                data[key] = amount_typed(data[key] or "")
        for key in DATE_FACTS:
            if key in data:
                data[key] = data[key].isoformat() if data[key] else ""
        return data


def _iso_day(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _amount_shown(value: str) -> str:
    """A stored amount ("1234.5") as the reader types it ("1234,50"), without grouping so that
    it reads back the same; a value that is not a number stays as it is."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    if not number.is_finite():
        return value
    return formats.number_format(number, decimal_pos=2, use_l10n=True, force_grouping=False)


class ModeForm(forms.Form):
    processing_mode = forms.ChoiceField(label=_("Processing mode of this document"), choices=())

    def __init__(self, *args: Any, modes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["processing_mode"]).choices = modes


class SupplierMemorySearchForm(forms.Form):
    q = forms.CharField(label=_("Supplier, VAT number or IBAN"), max_length=100, required=False)
