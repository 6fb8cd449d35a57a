from typing import cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from users.models import Language


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        language_field = cast(forms.ChoiceField, self.fields["language"])
        language_field.choices = [
            (code, name) for code, name in Language.choices if code in dict(settings.LANGUAGES)
        ]


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
    """The same fields, the code excepted: it identifies the dossier and does not change."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        del self.fields["code"]
