"""The person's own API tokens page: made (shown once, after the password is asked again),
listed and revoked; a token may be restricted to one of the person's firms."""

from allauth.account.decorators import reauthentication_required
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.errors import ServiceError
from core.forms import form_add_service_error, form_status
from dossiers.members import api_token_firm_list_for
from users import services
from users.forms import ApiTokenForm
from users.selectors import MENU_API_TOKENS, api_token_list_for
from users.types import AuthedRequest


@login_required
@reauthentication_required(allow_get=True)
def api_tokens(request: AuthedRequest) -> HttpResponse:
    """The user's personal API tokens: made here (shown once, after the password is asked
    again), listed, revoked."""
    firms = api_token_firm_list_for(actor=request.user)
    form = ApiTokenForm(request.POST or None, firms=firms)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.api_token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
                scope=form.cleaned_data["scope"],
                firm=form.cleaned_data["firm"],
            )
            created = {"token": token, "raw": raw}
            form = ApiTokenForm(firms=firms)
            request.session.pop(MENU_API_TOKENS, None)  # the menu now offers this page
        except ServiceError as error:
            form_add_service_error(form, error)
    response = render(
        request,
        "users/api_tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": api_token_list_for(actor=request.user).select_related("firm"),
            "now": timezone.now(),
        },
        status=form_status(form),
    )
    response["Cache-Control"] = "no-store"  # the new token is on this page
    return response
