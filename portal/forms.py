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
