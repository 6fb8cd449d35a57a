"""Forms of supplier payments: a paying account, and a batch of invoices to pay (one row per
invoice, in a formset). They parse; the payments service decides."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from connect.models import PayingAccount
from connect.payments.batches import MAX_LINES
from connect.payments.sepa import PAIN_DEFAULT, PAIN_VERSIONS

VERSION_LABELS = {
    "pain.001.001.03": _("SEPA pain.001.001.03 (accepted by every Belgian bank)"),
    "pain.001.001.09": _("SEPA pain.001.001.09 (the newer version, if your bank asks for it)"),
}


class PayingAccountForm(forms.Form):
    name = forms.CharField(label=_("Account holder"), max_length=70)
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    bic = forms.CharField(
        label=_("BIC (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class BatchForm(forms.Form):
    account = forms.ChoiceField(label=_("Pay from the account"))
    pain_version = forms.ChoiceField(
        label=_("File format"),
        initial=PAIN_DEFAULT,
        choices=[(version, VERSION_LABELS[version]) for version in PAIN_VERSIONS],
    )

    def __init__(self, *args: Any, accounts: list[PayingAccount], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["account"])
        field.choices = [(str(a.public_id), f"{a.name} · {a.iban}") for a in accounts]
        self.accounts = {str(a.public_id): a for a in accounts}

    def chosen_account(self) -> PayingAccount:
        return self.accounts[self.cleaned_data["account"]]


class PaymentLineForm(forms.Form):
    """One invoice of the list: ticked to pay it, with what the client may correct."""

    document = forms.UUIDField(widget=forms.HiddenInput)
    selected = forms.BooleanField(label=_("Pay"), required=False)
    creditor_name = forms.CharField(label=_("Supplier"), max_length=200, required=False)
    creditor_iban = forms.CharField(
        label=_("IBAN of the supplier"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    amount = forms.DecimalField(
        label=_("Amount (EUR)"),
        max_digits=20,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    execution_date = forms.DateField(
        label=_("Execution date"),
        required=False,
        # The browser's date picker reads and writes ISO dates, whatever the language.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    structured_reference = forms.CharField(
        label=_("Structured communication"), max_length=30, required=False
    )
    remittance = forms.CharField(label=_("Free communication"), max_length=200, required=False)


PaymentLineFormSet = forms.formset_factory(
    PaymentLineForm, extra=0, max_num=MAX_LINES, absolute_max=MAX_LINES, validate_max=True
)
