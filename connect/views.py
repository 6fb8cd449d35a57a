"""Connect: the document exchange. This first slice lists the user's Connect dossiers."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from dossiers.selectors import dossier_connect_get_for, dossier_connect_list_for
from portal.types import AuthedRequest
from portal.views import dossier_chooser
from users.models import Role
from users.selectors import roles_by_dossier_for


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    return dossier_chooser(
        request,
        dossier_connect_list_for(actor=request.user),
        url_name="connect:dossier",
        template="connect/home.html",
    )


@login_required
def dossier(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    current = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    roles = roles_by_dossier_for(actor=request.user).get(current.pk, set())
    others = dossier_connect_list_for(actor=request.user).exclude(pk=current.pk)
    return render(
        request,
        "connect/dossier.html",
        {
            "dossier": current,
            "roles": [Role(r).label for r in sorted(roles)],
            "other_dossiers": others,
        },
    )
