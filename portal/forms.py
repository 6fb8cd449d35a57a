from http import HTTPStatus
from typing import cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.errors import ServiceError
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


def form_add_service_error(form: forms.Form, error: ServiceError) -> None:
    """Show a service's refusal on the field it names, or on the whole form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def form_status(form: forms.Form) -> int:
    """422 for a form shown again with its errors, 200 otherwise."""
    return HTTPStatus.UNPROCESSABLE_ENTITY if form.errors else HTTPStatus.OK
