"""The Portal's dossier pages (the firm's staff): create, Dossier information, Connect
settings with the connection test."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connect.documents.selectors import credit_uses_for
from core.errors import ServiceError
from core.forms import form_add_service_error, form_status
from core.pagination import OneQueryPaginator
from dossiers import services
from dossiers.forms import ConnectSettingsForm, DossierForm, DossierInformationForm
from dossiers.members import firm_staff_search_for, roles_on_dossier
from dossiers.models import Dossier, Role
from dossiers.selectors import (
    connection_test_latest_for,
    dossier_staff_get_for,
    firm_staff_get_for,
)
from portal.selectors import audit_list_for
from users.types import AuthedRequest


@login_required
def dossier_create(request: AuthedRequest, firm_id: str) -> HttpResponse:
    firm = firm_staff_get_for(actor=request.user, public_id=firm_id)
    form = DossierForm(request.POST or None, initial={"language": translation.get_language()})
    if request.method == "POST" and form.is_valid():
        try:
            dossier = services.dossier_create(actor=request.user, firm=firm, **form.cleaned_data)
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request, _("The dossier %(code)s was created.") % {"code": dossier.code}
            )
            return redirect("portal:dossier", dossier_id=dossier.public_id)
    return render(
        request, "portal/dossier_form.html", {"firm": firm, "form": form}, status=form_status(form)
    )


@login_required
def dossier_detail(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """Dossier information, with the default processing mode."""
    dossier = dossier_staff_get_for(actor=request.user, public_id=dossier_id)
    initial = {
        "code": dossier.code,
        "name": dossier.name,
        "enterprise_number": dossier.enterprise_number_display,
        "language": dossier.language,
        "default_processing_mode": dossier.default_processing_mode,
    }
    form = DossierInformationForm(request.POST or None, initial=initial, firm=dossier.firm)
    if request.method == "POST" and form.is_valid():
        try:
            services.dossier_update(actor=request.user, dossier=dossier, **form.cleaned_data)
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The dossier information was saved."))
            return redirect("portal:dossier", dossier_id=dossier.public_id)
    context = {
        "dossier": dossier,
        "form": form,
        "audit_events": audit_list_for(actor=request.user, firm=dossier.firm, dossier=dossier),
    }
    return render(request, "portal/dossier_detail.html", context, status=form_status(form))


def _connect_context(request: AuthedRequest, dossier: Dossier) -> dict[str, object]:
    back = reverse("portal:dossier_connect", args=[dossier.public_id])
    add_client = (
        reverse("portal:user_create", args=[dossier.firm.public_id])
        + "?"
        + urlencode(
            {"dossier": str(dossier.public_id), "role": Role.CONNECT_ENTREPRENEUR, "next": back}
        )
    )
    return {
        "dossier": dossier,
        "clients": roles_on_dossier(actor=request.user, dossier=dossier).get(
            Role.CONNECT_ENTREPRENEUR, []
        ),
        "staff": firm_staff_search_for(actor=request.user, firm=dossier.firm),
        "add_client_url": add_client,
        "test": connection_test_latest_for(actor=request.user, dossier=dossier),
        "inbound_address": services.inbound_email_address(dossier),
    }


@login_required
def dossier_connect(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """The dossier's Connect settings: the switch, the accountant, the clients, the test."""
    dossier = dossier_staff_get_for(actor=request.user, public_id=dossier_id)
    initial = {
        "connect_enabled": dossier.connect_enabled,
        "accountant": dossier.accountant.email if dossier.accountant else "",
    }
    form = ConnectSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            test = services.dossier_connect_update(
                actor=request.user,
                dossier=dossier,
                connect_enabled=form.cleaned_data["connect_enabled"],
                accountant_email=form.cleaned_data["accountant"],
            )
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            if test is not None:
                messages.success(request, _("Connect is on. The connection test is running."))
            else:
                messages.success(request, _("The Connect settings were saved."))
            return redirect("portal:dossier_connect", dossier_id=dossier.public_id)
    context = {**_connect_context(request, dossier), "form": form}
    return render(request, "portal/dossier_connect.html", context, status=form_status(form))


@login_required
@require_POST
def connection_test_start(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    dossier = dossier_staff_get_for(actor=request.user, public_id=dossier_id)
    services.connection_test_start(actor=request.user, dossier=dossier)
    return redirect("portal:dossier_connect", dossier_id=dossier.public_id)


@login_required
def connection_test_result(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """The latest connection test of the dossier, as a fragment htmx polls while it runs."""
    dossier = dossier_staff_get_for(actor=request.user, public_id=dossier_id)
    test = connection_test_latest_for(actor=request.user, dossier=dossier)
    return render(request, "partials/connection_test.html", {"dossier": dossier, "test": test})


@login_required
def credits(request: AuthedRequest, firm_id: str) -> HttpResponse:
    """The firm's cartouches with their balance, and the ledger of credits used."""
    firm = firm_staff_get_for(actor=request.user, public_id=firm_id)
    page = OneQueryPaginator(credit_uses_for(actor=request.user, firm=firm), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/credits.html",
        {"firm": firm, "cartouches": firm.cartouches.all(), "page": page},
    )
