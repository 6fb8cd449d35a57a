"""Connect for the accountant: the inbox across their dossiers, the actions on a document,
sharing into the client's binders, and the client's Connect profile."""

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connect import services
from connect.forms import BookForm, InboxFilterForm, ProfileForm, RejectForm, ShareForm
from connect.models import Category, Document, Recognition, Status
from connect.selectors import (
    InboxFilters,
    accountant_dossiers_for,
    binder_list_for,
    document_get_for,
    dossier_new_counts_for,
    inbox_for,
)
from connect.services.pipeline import REVIEW_FACTS, review_queue_for
from dossiers.selectors import dossier_connect_get_for
from portal.errors import ServiceError
from portal.forms import form_add_service_error, form_status
from portal.types import AuthedRequest


def accountant_home(request: AuthedRequest) -> HttpResponse | None:
    """Connect's entry for an accountant: one dossier lands in its inbox, several are listed
    with their counts of new documents. None when the user is no accountant."""
    dossiers = list(accountant_dossiers_for(actor=request.user).order_by("firm__name", "code"))
    if not dossiers:
        return None
    if len(dossiers) == 1:
        return redirect(
            reverse("connect:inbox") + "?" + urlencode({"dossier": str(dossiers[0].public_id)})
        )
    counts = dossier_new_counts_for(actor=request.user)
    rows = [(dossier, counts.get(dossier.pk, 0)) for dossier in dossiers]
    return render(request, "connect/accountant_home.html", {"rows": rows})


@login_required
def inbox(request: AuthedRequest) -> HttpResponse:
    dossiers = accountant_dossiers_for(actor=request.user).order_by("code")
    form = InboxFilterForm(request.GET or None, dossiers=dossiers)
    filters = InboxFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = InboxFilters(
            dossier=data["dossier"],
            category=data["category"],
            status=data["status"],
            sent_from=data["sent_from"],
            sent_to=data["sent_to"],
        )
    page = inbox_for(actor=request.user, filters=filters, cursor=request.GET.get("cursor", ""))
    query = request.GET.copy()
    query.pop("cursor", None)
    next_url = None
    if page.next_cursor:
        query["cursor"] = page.next_cursor
        next_url = "?" + query.urlencode()
    return render(
        request,
        "connect/inbox.html",
        {
            "form": form,
            "filters": inbox_filter_fields(form, dossiers),
            "rows": inbox_rows(page.documents),
            "next_url": next_url,
            "dossier": filters.dossier,
        },
        status=form_status(form) if form.is_bound else 200,
    )


def inbox_filter_fields(form: InboxFilterForm, dossiers: Any) -> list[dict[str, Any]]:
    """The filter form's fields as plain option lists: rendered by one small loop instead of
    Django's widget templates (the inbox is the accountant's busiest page)."""
    data = form.data if form.is_bound else {}
    fields = []
    for name, field in form.fields.items():
        options: list[tuple[str, str]] | None = None
        if name == "dossier":
            options = [("", str(_("All")))] + [
                (str(d.public_id), f"{d.code} · {d.name}") for d in dossiers
            ]
        elif hasattr(field, "choices"):
            options = [(str(value), str(label)) for value, label in field.choices]
        fields.append(
            {
                "name": name,
                "label": field.label,
                "value": data.get(name, ""),
                "options": options,
                "errors": form.errors.get(name, []) if form.is_bound else [],
            }
        )
    return fields


def inbox_rows(documents: list[Document]) -> list[dict[str, Any]]:
    """What each inbox row shows, labels translated once per page rather than per row (the
    inbox is the accountant's busiest page)."""
    categories = {value: str(label) for value, label in Category.choices}
    statuses = {value: str(label) for value, label in Status.choices}
    # What the processing mode still owes, shown beside the status.
    pipeline: dict[str, str] = {
        Recognition.PENDING: str(Recognition.PENDING.label),
        Recognition.REVIEW: str(Recognition.REVIEW.label),
    }
    zero = uuid.UUID(int=0)
    prefix = reverse("connect:document", args=[zero]).split(str(zero))[0]
    return [
        {
            "url": f"{prefix}{document.public_id}/",
            "filename": document.filename,
            "dossier": document.dossier.code,
            "category": categories.get(document.category, document.category),
            "status": statuses.get(document.status, document.status),
            "pipeline": pipeline.get(document.recognition, "")
            if document.status in (Status.SENT, Status.VALIDATED)
            else "",
            "amount": document.amount,
            "currency": document.currency,
            "sent_at": document.sent_at,
        }
        for document in documents
    ]


@login_required
@require_POST
def document_action(request: AuthedRequest, document_id: str, action: str) -> HttpResponse:
    document = document_get_for(actor=request.user, public_id=document_id)
    forms_by_action: dict[str, Any] = {"reject": RejectForm, "book": BookForm}
    try:
        if action == "validate":
            services.document_validate(actor=request.user, document=document)
            messages.success(request, _("The document was validated."))
        elif action in forms_by_action:
            form = forms_by_action[action](request.POST)
            if not form.is_valid():
                raise ServiceError(
                    " ".join(e for errs in form.errors.values() for e in errs), code="invalid"
                )
            if action == "reject":
                services.document_reject(
                    actor=request.user, document=document, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("The document went back to the client."))
            else:
                services.document_book(
                    actor=request.user,
                    document=document,
                    booking_number=form.cleaned_data["booking_number"],
                )
                messages.success(request, _("The document was booked."))
        elif action == "review":
            services.document_review(
                actor=request.user,
                document=document,
                facts={key: request.POST.get(key, "") for key in REVIEW_FACTS},
            )
            messages.success(request, _("The corrected facts are saved: the document is ready."))
        elif action == "mode":
            services.document_mode_set(
                actor=request.user, document=document, mode=request.POST.get("processing_mode", "")
            )
            messages.success(request, _("The processing mode of the document was changed."))
        else:
            raise Http404
    except ServiceError as error:
        if error.code == "forbidden":
            raise Http404 from None
        messages.error(request, str(error.message))
    return redirect("connect:document", document_id=document.public_id)


@login_required
def share(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """Put a document into one of the client's binders, and close an open task with it if
    the accountant chooses one (``?task=<id>`` preselects it)."""
    from connect.services.tasks import open_tasks_for

    dossier = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    try:
        services.require_accountant(request.user, dossier)
    except ServiceError:
        raise Http404 from None
    services.binders_ensure(dossier=dossier)
    binders = binder_list_for(actor=request.user, dossier=dossier)
    tasks = open_tasks_for(actor=request.user, dossier=dossier)
    initial = {"task": request.GET["task"][:36]} if request.GET.get("task") else {}
    form = ShareForm(
        request.POST or None, request.FILES or None, binders=binders, tasks=tasks, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = form.cleaned_data["name"] or upload.name
        if "." not in name.rsplit("/", 1)[-1] and "." in upload.name:
            name = f"{name}.{upload.name.rsplit('.', 1)[1]}"
        try:
            result = services.document_share(
                actor=request.user,
                dossier=dossier,
                binder=form.cleaned_data["binder"],
                filename=name,
                chunks=upload.chunks(),
                keyword=form.cleaned_data["keyword"],
                comment=form.cleaned_data["comment"],
                task=form.cleaned_data.get("task"),
            )
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            if result.duplicate:
                form.add_error(
                    "file", _("This file is already in the dossier: nothing was shared.")
                )
                return render(
                    request, "connect/share.html", {"dossier": dossier, "form": form}, status=422
                )
            if form.cleaned_data.get("task"):
                messages.success(
                    request, _("The document was shared with the client and the task is done.")
                )
            else:
                messages.success(request, _("The document was shared with the client."))
            return redirect("connect:document", document_id=result.document.public_id)
    return render(
        request, "connect/share.html", {"dossier": dossier, "form": form}, status=form_status(form)
    )


@login_required
def profile(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """The client's Connect, configured by the accountant."""
    dossier = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    try:
        services.require_accountant(request.user, dossier)
    except ServiceError:
        raise Http404 from None
    current = services.profile_for(dossier)
    initial = {field: getattr(current, field) for field in ProfileForm.base_fields}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(actor=request.user, dossier=dossier, **form.cleaned_data)
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The Connect profile was saved."))
            return redirect("connect:profile", dossier_id=dossier.public_id)
    return render(
        request,
        "connect/profile.html",
        {"dossier": dossier, "form": form},
        status=form_status(form),
    )


@login_required
def review_queue(request: AuthedRequest) -> HttpResponse:
    """Optimum: the documents whose reading was not confident, oldest first."""
    documents = list(review_queue_for(actor=request.user)[:200])
    return render(request, "connect/review_queue.html", {"documents": documents})
