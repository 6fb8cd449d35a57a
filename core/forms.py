from http import HTTPStatus

from django import forms

from core.errors import ServiceError


def form_add_service_error(form: forms.Form, error: ServiceError) -> None:
    """Show a service's refusal on the field it names, or on the whole form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def form_status(form: forms.Form) -> int:
    """422 for a form shown again with its errors, 200 otherwise."""
    return HTTPStatus.UNPROCESSABLE_ENTITY if form.errors else HTTPStatus.OK
