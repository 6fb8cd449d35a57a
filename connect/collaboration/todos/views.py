"""Tasks of a dossier for its users (client and accountant): a list, a month calendar, the
task page (edit, done, reopen), and the accountant's generator of fiscal deadlines."""

import calendar
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dates, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_GET, require_POST

from connect.collaboration.todos import services
from connect.collaboration.todos.forms import DeadlinesForm, TaskForm
from connect.models import Task
from core.errors import ServiceError
from core.forms import form_add_service_error, form_status
from core.pagination import OneQueryPaginator
from dossiers.access import connect_roles_for
from dossiers.models import Dossier, Role
from dossiers.selectors import dossier_connect_get_for
from users.types import AuthedRequest

PER_PAGE = 50
#: The list's and calendar's filter: "open" (default), "done" or "all".
STATUS_FILTERS = ("open", "done", "all")


def _status_filter(request: AuthedRequest) -> str:
    value = request.GET.get("status", "open")
    return value if value in STATUS_FILTERS else "open"


def _status_options() -> list[tuple[str, str]]:
    # A context: "Open" alone is also the verb of the portal's buttons.
    return [
        ("open", pgettext("task status", "Open")),
        ("done", pgettext("task status", "Done")),
        ("all", _("All")),
    ]


def _is_accountant(request: AuthedRequest, dossier: Dossier) -> bool:
    return Role.CONNECT_ACCOUNTANT in (connect_roles_for(actor=request.user, dossier=dossier) or ())


@login_required
@require_GET
def task_list(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    dossier = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    status = _status_filter(request)
    tasks = services.task_list_for(actor=request.user, dossier=dossier, status=status)
    page = OneQueryPaginator(tasks, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "connect/tasks/list.html",
        {
            "dossier": dossier,
            "page": page,
            "status": status,
            "status_options": _status_options(),
            "extra": urlencode({"status": status}),
            "today": timezone.localdate(),
            "is_accountant": _is_accountant(request, dossier),
        },
    )


def _month(value: str) -> date:
    """The first day of the month "2026-03"; anything else: the current month."""
    try:
        year, month = (int(part) for part in value.split("-"))
        if 2000 <= year <= 2100:
            return date(year, month, 1)
    except (TypeError, ValueError):
        pass
    return timezone.localdate().replace(day=1)


def _shift(month: date, months: int) -> date:
    index = month.month - 1 + months
    return date(month.year + index // 12, index % 12 + 1, 1)


@login_required
@require_GET
def task_calendar(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """A month of the dossier's tasks: one row per week, Monday to Sunday."""
    dossier = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    status = _status_filter(request)
    month = _month(request.GET.get("month", ""))
    weeks = calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(
        month.year, month.month
    )
    tasks = services.task_list_for(
        actor=request.user,
        dossier=dossier,
        status=status,
        due_from=weeks[0][0],
        due_to=weeks[-1][-1],
    )
    by_day: dict[date, list[Task]] = {}
    for task in tasks:
        by_day.setdefault(task.due_date, []).append(task)
    previous, following = _shift(month, -1), _shift(month, 1)
    return render(
        request,
        "connect/tasks/calendar.html",
        {
            "dossier": dossier,
            "month": month,
            "month_label": f"{dates.MONTHS[month.month]} {month.year}",
            "weekdays": [dates.WEEKDAYS[day] for day in range(7)],
            "weeks": [
                [
                    {
                        "date": day,
                        "in_month": day.month == month.month,
                        "tasks": by_day.get(day, []),
                    }
                    for day in week
                ]
                for week in weeks
            ],
            "previous": urlencode({"month": previous.strftime("%Y-%m"), "status": status}),
            "following": urlencode({"month": following.strftime("%Y-%m"), "status": status}),
            "previous_label": f"{dates.MONTHS[previous.month]} {previous.year}",
            "following_label": f"{dates.MONTHS[following.month]} {following.year}",
            "month_value": month.strftime("%Y-%m"),
            "status": status,
            "status_options": _status_options(),
            "today": timezone.localdate(),
        },
    )


@login_required
def task_create(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    dossier = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    assignees = services.task_assignees_for(actor=request.user, dossier=dossier)
    form = TaskForm(request.POST or None, assignees=assignees)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_create(actor=request.user, dossier=dossier, **form.cleaned_data)
        except ServiceError as error:
            if error.code == "forbidden":
                raise Http404 from None
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The task was created."))
            return redirect("connect:task", task_id=task.public_id)
    return render(
        request,
        "connect/tasks/form.html",
        {"dossier": dossier, "form": form},
        status=form_status(form),
    )


@login_required
def task_detail(request: AuthedRequest, task_id: str) -> HttpResponse:
    """A task: what it is, its state, and the form to change it."""
    task = services.task_get_for(actor=request.user, public_id=task_id)
    dossier = task.dossier
    assignees = services.task_assignees_for(actor=request.user, dossier=dossier)
    initial = {
        "title": task.shown_title,
        "description": task.shown_description,
        "due_date": task.due_date,
        "assignee": task.assignee.public_id if task.assignee else None,
    }
    form = TaskForm(request.POST or None, initial=initial, assignees=assignees)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_update(actor=request.user, task=task, **form.cleaned_data)
        except ServiceError as error:
            if error.code == "forbidden":
                raise Http404 from None
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The task was saved."))
            return redirect("connect:task", task_id=task.public_id)
    return render(
        request,
        "connect/tasks/detail.html",
        {
            "task": task,
            "dossier": dossier,
            "form": form,
            "is_accountant": _is_accountant(request, dossier),
            "today": timezone.localdate(),
        },
        status=form_status(form),
    )


@login_required
@require_POST
def task_done(request: AuthedRequest, task_id: str) -> HttpResponse:
    task = services.task_get_for(actor=request.user, public_id=task_id)
    try:
        services.task_complete(actor=request.user, task=task)
    except ServiceError:
        raise Http404 from None
    messages.success(request, _("The task is done."))
    return redirect("connect:task", task_id=task.public_id)


@login_required
@require_POST
def task_reopen(request: AuthedRequest, task_id: str) -> HttpResponse:
    task = services.task_get_for(actor=request.user, public_id=task_id)
    try:
        services.task_reopen(actor=request.user, task=task)
    except ServiceError:
        raise Http404 from None
    messages.success(request, _("The task is open again."))
    return redirect("connect:task", task_id=task.public_id)


@login_required
@require_POST
def task_delete(request: AuthedRequest, task_id: str) -> HttpResponse:
    task = services.task_get_for(actor=request.user, public_id=task_id)
    try:
        services.task_delete(actor=request.user, task=task)
    except ServiceError:
        raise Http404 from None
    messages.success(request, _("The task was deleted."))
    return redirect("connect:tasks", dossier_id=task.dossier.public_id)


@login_required
def task_deadlines(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """The accountant records the Belgian fiscal deadlines of a year as tasks."""
    dossier = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    if not _is_accountant(request, dossier):
        raise Http404
    assignees = services.task_assignees_for(actor=request.user, dossier=dossier)
    initial = {
        "year": timezone.localdate().year,
        "vat": "quarterly",
        "client_listing": True,
        "annual_accounts": True,
        "year_end_month": 12,
    }
    form = DeadlinesForm(request.POST or None, initial=initial, assignees=assignees)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        year, month = data["year"], data["year_end_month"]
        try:
            added = services.deadlines_generate(
                actor=request.user,
                dossier=dossier,
                year=year,
                vat=data["vat"] or None,
                client_listing=data["client_listing"],
                annual_accounts=data["annual_accounts"],
                year_end=date(year, month, calendar.monthrange(year, month)[1]),
                assignee=data["assignee"],
            )
        except ServiceError as error:
            if error.code == "forbidden":
                raise Http404 from None
            form_add_service_error(form, error)
        else:
            if added:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d deadline was added.", "%(count)d deadlines were added.", added
                    )
                    % {"count": added},
                )
            else:
                messages.success(request, _("These deadlines were already planned."))
            return redirect(reverse("connect:tasks", args=[dossier.public_id]) + "?status=all")
    return render(
        request,
        "connect/tasks/deadlines.html",
        {"dossier": dossier, "form": form},
        status=form_status(form),
    )
