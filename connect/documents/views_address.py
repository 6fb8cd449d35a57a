"""The dossier's e-mail address: shown, changed (rotated) by its client or its accountant,
with the history of who changed it."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connect.documents.profiles import profile_of
from connect.documents.services.inbound_address import (
    inbound_address_history,
    inbound_address_rotate,
    require_address_keeper,
)
from core.errors import ServiceError
from dossiers.selectors import dossier_connect_get_for
from dossiers.services import inbound_email_address
from users.types import AuthedRequest


class RotateForm(forms.Form):
    grace_days = forms.TypedChoiceField(
        label=gettext_lazy("The current address keeps working"),
        coerce=int,
        choices=[
            (0, gettext_lazy("not at all: it stops now")),
            (7, gettext_lazy("for 7 more days")),
            (30, gettext_lazy("for 30 more days")),
        ],
        initial=7,
    )


@login_required
def inbound_address(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    dossier = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    try:
        require_address_keeper(request.user, dossier)
    except ServiceError:
        raise Http404 from None
    form = RotateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        inbound_address_rotate(
            actor=request.user, dossier=dossier, grace_days=form.cleaned_data["grace_days"]
        )
        messages.success(request, _("The dossier has a new e-mail address."))
        return redirect("connect:inbound_address", dossier_id=dossier.public_id)
    profile = profile_of(dossier)
    previous = None
    until = profile.previous_inbound_email_until if profile else None
    if profile and profile.previous_inbound_email_token and until and until > timezone.now():
        previous = {
            "address": f"{profile.previous_inbound_email_token}@"
            + inbound_email_address(dossier).partition("@")[2],
            "until": until,
        }
    return render(
        request,
        "connect/inbound_address.html",
        {
            "dossier": dossier,
            "address": inbound_email_address(dossier),
            "previous": previous,
            "form": form,
            "history": inbound_address_history(dossier),
        },
        status=400 if form.errors else 200,
    )
