"""View: a dossier's dashboard, and the figures of each report as JSON (for the charts) and
CSV. Only users with a View role on the dossier reach them (404 for anyone else); a report
the dossier or its firm switched off is a 404 too."""

import csv
import re
from http import HTTPStatus
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from core.forms import form_status
from dossiers.access import connect_roles_for
from dossiers.models import Dossier, Role
from dossiers.selectors import dossier_view_get_for
from users.types import AuthedRequest
from view.dossier_dashboard import dashboard_for, enabled_report_for, is_empty, report_data_for
from view.firm_dashboard import report_dossiers_for
from view.forms import PeriodForm
from view.report_data import ReportData
from view.reports import sections_of
from view.tiles import Tile, headline


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _read_only(request: AuthedRequest) -> HttpResponse | None:
    """These pages only read: another method is refused, once the dossier was found (so that
    a foreign dossier answers 404 whatever the method)."""
    if request.method in ("GET", "HEAD"):
        return None
    return HttpResponseNotAllowed(["GET", "HEAD"])


@login_required
@cache_control(private=True, no_cache=True)
def view_dossier(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    dossier = dossier_view_get_for(actor=request.user, public_id=dossier_id)
    if refused := _read_only(request):
        return refused
    form = PeriodForm(request.GET)
    sections: list[tuple[str, object, list[ReportData]]] = []
    tiles: list[Tile] = []
    empty, next_step = False, None
    if form.is_valid():
        reports = dashboard_for(actor=request.user, dossier=dossier, period=form.period)
        data = {report.key: report for report in reports}
        sections = [
            (key, title, [data[report.key] for report in section])
            for key, title, section in sections_of([report.report for report in reports])
        ]
        empty = is_empty(reports)
        if empty:
            next_step = _next_step(request, dossier)
        else:
            tiles = headline(reports)
    return render(
        request,
        "portal/view_dossier.html",
        {
            "dossier": dossier,
            "form": form,
            "sections": sections,
            "tiles": tiles,
            "empty": empty,
            "next_step": next_step,
            "period_query": urlencode(form.period.as_query()) if form.is_valid() else "",
            "can_choose_reports": report_dossiers_for(actor=request.user)
            .filter(pk=dossier.pk)
            .exists(),
        },
        status=form_status(form),
    )


def _next_step(request: AuthedRequest, dossier: Dossier) -> str | None:
    """What the reader can do about an empty dashboard: the client adds documents in Connect,
    the accountant asks the client for them; someone with View alone waits (None)."""
    roles = connect_roles_for(actor=request.user, dossier=dossier) or frozenset()
    if Role.CONNECT_ENTREPRENEUR in roles:
        return "upload"
    if Role.CONNECT_ACCOUNTANT in roles:
        return "ask"
    return None


def _report_or_error(
    request: AuthedRequest, dossier_id: str, key: str
) -> tuple[Dossier, ReportData, PeriodForm] | JsonResponse:
    """The dossier (404 without a View role), the report (404 when unknown or switched off),
    then the period (400 when invalid), in that order."""
    try:
        dossier = dossier_view_get_for(actor=request.user, public_id=dossier_id)
    except Http404:
        return _error(HTTPStatus.NOT_FOUND, "not_found", _("Not found."))
    if request.method not in ("GET", "HEAD"):
        refused = _error(
            HTTPStatus.METHOD_NOT_ALLOWED,
            "method_not_allowed",
            _("This method is not allowed here."),
        )
        refused["Allow"] = "GET, HEAD"
        return refused
    report = enabled_report_for(actor=request.user, dossier=dossier, key=key)
    if report is None:
        return _error(HTTPStatus.NOT_FOUND, "not_found", _("Not found."))
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return _error(HTTPStatus.BAD_REQUEST, "period_invalid", form.first_error())
    data = report_data_for(actor=request.user, dossier=dossier, report=report, period=form.period)
    return dossier, data, form


@login_required
@cache_control(private=True, no_cache=True)
def view_dossier_data(request: AuthedRequest, dossier_id: str, report: str) -> HttpResponse:
    """One report's columns, rows and chart series, for the period in ``from``/``to``."""
    found = _report_or_error(request, dossier_id, report)
    if isinstance(found, JsonResponse):
        return found
    _dossier, data, form = found
    return JsonResponse(data.as_json(form.period))


@login_required
@cache_control(private=True, no_cache=True)
def view_dossier_csv(request: AuthedRequest, dossier_id: str, report: str) -> HttpResponse:
    """The numbers one report shows, as CSV: the table's columns, plain values."""
    found = _report_or_error(request, dossier_id, report)
    if isinstance(found, JsonResponse):
        if found.status_code == HTTPStatus.NOT_FOUND:
            raise Http404
        return found
    dossier, data, form = found
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", dossier.code).strip("-") or "dossier"
    period = form.period
    name = f"{code}-{data.key}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    csv.writer(response).writerows(data.csv_rows())
    return response
