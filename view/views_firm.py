"""View for the firm: the accountant's dashboard across their dossiers, and the switches that
turn reports off for one dossier or for every dossier of the firm."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.errors import ServiceError
from core.forms import form_add_service_error, form_status
from dossiers.access import is_firm_staff
from dossiers.selectors import firm_staff_get_for
from users.types import AuthedRequest
from view.firm_dashboard import (
    firm_dashboard_for,
    report_dossier_get_for,
    report_dossier_switches,
    report_history,
    report_switches_off,
)
from view.firm_rows import rows_html
from view.forms_firm import FirmDashboardForm, ReportSwitchForm
from view.reports import REPORTS
from view.services import reports_switch


@login_required
@require_safe
def view_firm(request: AuthedRequest) -> HttpResponse:
    """Documents waiting in each dossier the user is the accountant of, quiet dossiers, and the
    credits of the firms where they are staff. Nobody's page for a user who is neither. The
    lists of dossiers show the most urgent rows; ``all=1`` shows every row."""
    form = FirmDashboardForm(request.GET if "days" in request.GET else None)
    show_all = request.GET.get("all") == "1"
    dashboard = firm_dashboard_for(
        actor=request.user, quiet_days=form.days_or_default(), show_all=show_all
    )
    if dashboard.is_empty:
        raise Http404
    everything = request.GET.copy()
    everything["all"] = "1"
    waiting_rows, quiet_rows = rows_html(dashboard)  # built by code (view/firm_rows.py)
    return render(
        request,
        "portal/view_firm.html",
        {
            "form": form,
            "dashboard": dashboard,
            "totals": dashboard.totals,
            "show_all": show_all,
            "all_query": everything.urlencode(),
            "waiting_rows": waiting_rows,
            "quiet_rows": quiet_rows,
        },
        status=form_status(form),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def view_reports(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """The reports one dossier shows (its view.admin, or its firm's staff)."""
    dossier = report_dossier_get_for(actor=request.user, public_id=dossier_id)
    firm_off = report_switches_off(firm=dossier.firm)
    form = ReportSwitchForm(
        request.POST if request.method == "POST" else None,
        off=report_switches_off(firm=dossier.firm, dossier=dossier),
        locked=firm_off,
    )
    if request.method == "POST" and form.is_valid():
        try:
            reports_switch(actor=request.user, dossier=dossier, off=form.off_keys())
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The reports of this dossier are saved."))
            return redirect("portal:view_reports", dossier_id=dossier.public_id)
    is_staff = is_firm_staff(user=request.user, firm_id=dossier.firm_id)
    return render(
        request,
        "portal/view_reports.html",
        {
            "dossier": dossier,
            "firm": dossier.firm,
            "form": form,
            "firm_off": [r for r in REPORTS if r.key in firm_off],
            "is_staff": is_staff,
            "audit_events": report_history(firm=dossier.firm, dossier=dossier),
        },
        status=form_status(form),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def view_firm_reports(request: AuthedRequest, firm_id: str) -> HttpResponse:
    """The reports every dossier of the firm shows (the firm's staff)."""
    firm = firm_staff_get_for(actor=request.user, public_id=firm_id)
    form = ReportSwitchForm(
        request.POST if request.method == "POST" else None,
        off=report_switches_off(firm=firm),
    )
    if request.method == "POST" and form.is_valid():
        try:
            reports_switch(actor=request.user, firm=firm, off=form.off_keys())
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The reports of every dossier of the firm are saved."))
            return redirect("portal:view_firm_reports", firm_id=firm.public_id)
    titles = {r.key: r.title for r in REPORTS}
    return render(
        request,
        "portal/view_reports.html",
        {
            "firm": firm,
            "form": form,
            "dossier_switches": [
                (dossier, [titles.get(key, key) for key in keys])
                for dossier, keys in report_dossier_switches(firm=firm)
            ],
            "is_staff": True,
            "audit_events": report_history(firm=firm),
        },
        status=form_status(form),
    )
