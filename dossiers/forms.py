from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dossiers.models import Firm, ProcessingMode
from users.models import Language


class DossierForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("Letters, digits, dots, dashes or underscores; unique in the firm."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    enterprise_number = forms.CharField(
        label=_("Enterprise number"),
        max_length=20,
        required=False,
        help_text=_("For example 0403.170.701."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)


class DossierInformationForm(DossierForm):
    """Dossier information, with the default processing mode: only the cartouches the firm's
    licence holds are offered, each with its remaining credits."""

    default_processing_mode = forms.ChoiceField(label=_("Default processing mode"))

    def __init__(self, *args: Any, firm: Firm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["default_processing_mode"])
        choices = []
        for cartouche in firm.cartouches.all():
            label = ProcessingMode(cartouche.mode).label
            credits = ngettext(
                "%(count)d credit left", "%(count)d credits left", cartouche.credits
            ) % {"count": cartouche.credits}
            choices.append((cartouche.mode, f"{label} ({credits})"))
        order = list(ProcessingMode.values)
        field.choices = sorted(choices, key=lambda choice: order.index(choice[0]))
        field.error_messages["invalid_choice"] = (
            _("With a light licence only the Transport mode can be chosen.")
            if firm.is_light
            else _("The firm's licence does not hold this cartouche.")
        )
        if firm.is_light:
            field.help_text = _("A light licence holds the Transport cartouche only.")


class ConnectSettingsForm(forms.Form):
    connect_enabled = forms.BooleanField(label=_("Enable Connect for this dossier"), required=False)
    accountant = forms.CharField(
        label=_("Accountant"),
        max_length=254,
        required=False,
        help_text=_("The WinBooksID of the staff member in charge of this dossier."),
        widget=forms.EmailInput(attrs={"list": "staff-options", "autocomplete": "off"}),
    )
