"""A tool's entry page, shared by Connect and View: which dossier to open."""

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dossiers.models import Dossier


def dossier_chooser(
    request: HttpRequest, dossiers: QuerySet[Dossier], *, url_name: str, template: str
) -> HttpResponse:
    """A tool's entry page: a user with one dossier lands in it; with several, chooses."""
    choices = list(dossiers.order_by("firm__name", "code")[:2])
    if len(choices) == 1:
        return redirect(url_name, dossier_id=choices[0].public_id)
    return render(request, template, {"dossiers": dossiers.order_by("firm__name", "code")})
