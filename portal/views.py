"""The portal shell: tools hub, language switch, the Portal's dossier pages and View."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ServiceError
from core.pagination import OneQueryPaginator
from dossiers.chooser import dossier_chooser
from dossiers.members import firm_mfa_last_change_for, firm_mfa_required_set, request_memberships
from dossiers.models import FirmLevel
from dossiers.selectors import (
    dossier_search_for,
    dossier_view_list_for,
    firm_staff_get_for,
    firm_staff_list_for,
    landing_url_for,
)
from portal.forms import LanguageForm
from portal.forms_users import FirmMfaForm
from portal.selectors import tools_for
from users.redirects import safe_next
from users.services import user_language_set
from users.types import AuthedRequest

DOSSIERS_PER_PAGE = 50


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        memberships = request_memberships(request)
        return redirect(landing_url_for(actor=request.user, memberships=memberships))
    return redirect("account_login")


@login_required
def hub(request: AuthedRequest) -> HttpResponse:
    tools = tools_for(actor=request.user, memberships=request_memberships(request))
    return render(request, "portal/hub.html", {"tools": tools})


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the UI language; a logged-in user's choice is saved on their account."""
    form = LanguageForm(request.POST)
    next_url = safe_next(request.POST.get("next"), request=request) or "/"
    response = HttpResponseRedirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            user_language_set(user=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
            httponly=True,
        )
        translation.activate(language)
    return response


# --- Portal: the firm's dossiers ------------------------------------------------------------


@login_required
def portal_home(request: AuthedRequest) -> HttpResponse:
    firm = firm_staff_list_for(actor=request.user).first()
    if firm is None:
        raise Http404
    return redirect("portal:firm", firm_id=firm.public_id)


@login_required
def portal_firm(request: AuthedRequest, firm_id: str) -> HttpResponse:
    """The firm's dossiers; a licence admin also sets the firm's two-factor rule here (POST)."""
    firm = firm_staff_get_for(actor=request.user, public_id=firm_id)
    mfa_form = FirmMfaForm(
        request.POST if request.method == "POST" else None,
        initial={"mfa_required_for_staff": firm.mfa_required_for_staff},
    )
    if request.method == "POST" and mfa_form.is_valid():
        required = mfa_form.cleaned_data["mfa_required_for_staff"]
        try:
            firm_mfa_required_set(actor=request.user, firm=firm, required=required)
        except ServiceError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _("Two-factor authentication is now required for the firm's staff.")
                if required
                else _("Two-factor authentication is no longer required for the firm's staff."),
            )
        return redirect("portal:firm", firm_id=firm.public_id)
    query = request.GET.get("q", "").strip()[:100]
    dossiers = dossier_search_for(actor=request.user, firm=firm, query=query)
    page = OneQueryPaginator(dossiers, DOSSIERS_PER_PAGE).get_page(request.GET.get("page"))
    licence_admin = any(
        m.firm_id == firm.pk and m.level == FirmLevel.LICENCE_ADMIN
        for m in request_memberships(request)
    )
    return render(
        request,
        "portal/firm.html",
        {
            "firm": firm,
            "staff_firms": firm_staff_list_for(actor=request.user),
            "page": page,
            "query": query,
            "mfa_form": mfa_form if licence_admin else None,
            "mfa_last_change": firm_mfa_last_change_for(actor=request.user, firm=firm),
        },
    )


# --- View -----------------------------------------------------------------------------------


@login_required
def view_home(request: AuthedRequest) -> HttpResponse:
    return dossier_chooser(
        request,
        dossier_view_list_for(actor=request.user),
        url_name="portal:view_dossier",
        template="portal/view_home.html",
    )
