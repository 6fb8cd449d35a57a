"""Connect for the accountant: the actions on a document, sharing into the client's binders, the
review queue and the client's Connect settings (the inbox itself: views_inbox.py)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connect.documents import services
from connect.documents.forms import BookForm, ProfileForm, RejectForm, ReviewForm, ShareForm
from connect.documents.hooks import share_tasks_for
from connect.documents.queue import (
    queue_neighbours_for,
)
from connect.documents.selectors import (
    accountant_dossiers_for,
    binder_list_for,
    document_get_for,
    dossier_to_handle_counts_for,
)
from connect.documents.services.review import REVIEW_FACTS, review_queue_for
from connect.documents.views_inbox import member_firm_ids, queue_context, queue_url
from core.errors import ServiceError
from core.forms import form_add_service_error, form_status
from dossiers.selectors import dossier_connect_get_for
from users.types import AuthedRequest


def accountant_home(request: AuthedRequest) -> HttpResponse | None:
    """Connect's entry for an accountant: one dossier lands in its inbox, several are listed
    with their counts of documents to handle. None when the user is no accountant."""
    dossiers = list(accountant_dossiers_for(actor=request.user).order_by("firm__name", "code"))
    if not dossiers:
        return None
    if len(dossiers) == 1:
        return redirect(
            reverse("connect:inbox") + "?" + urlencode({"dossier": str(dossiers[0].public_id)})
        )
    counts = dossier_to_handle_counts_for(actor=request.user)
    rows = [(dossier, counts.get(dossier.pk, 0)) for dossier in dossiers]
    return render(request, "connect/accountant_home.html", {"rows": rows})


# --- the work queue -------------------------------------------------------------------------


@login_required
@require_POST
def document_action(request: AuthedRequest, document_id: str, action: str) -> HttpResponse:
    """An action on one document. With ``then=next`` (book and next, reject and next), the
    accountant goes on to the next document of the queue (its order and filters come in
    ``queue``), or back to the inbox when none is left."""
    document = document_get_for(actor=request.user, public_id=document_id)
    forms_by_action: dict[str, Any] = {"reject": RejectForm, "book": BookForm}
    queue = queue_context(request.user, QueryDict(request.POST.get("queue", "")))
    following: Any = False
    if request.POST.get("then") == "next":
        # Found before the action: the order may depend on what the action changes.
        following = queue_neighbours_for(
            actor=request.user,
            filters=queue.filters,
            order=queue.order,
            document=document,
            firm_ids=member_firm_ids(request),
        ).next
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
            # Through the form: amounts typed as the reader writes them ("1.234,56"), dates ISO.
            review = ReviewForm(request.POST)
            if not review.is_valid():
                refused = (str(e) for errs in review.errors.values() for e in errs)
                raise ServiceError(" ".join(refused), code="invalid")
            services.document_review(
                actor=request.user,
                document=document,
                facts={key: review.cleaned_data[key] for key in REVIEW_FACTS},
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
        following = False
    if following is not False:
        return redirect(queue_url(following, queue.query))
    return redirect(queue_url(document, queue.query))


@login_required
def share(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """Put a document into one of the client's binders, and close an open task with it if
    the accountant chooses one (``?task=<id>`` preselects it)."""
    dossier = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    try:
        services.require_accountant(request.user, dossier)
    except ServiceError:
        raise Http404 from None
    services.binders_ensure(dossier=dossier)
    binders = binder_list_for(actor=request.user, dossier=dossier)
    tasks = share_tasks_for(actor=request.user, dossier=dossier)
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
