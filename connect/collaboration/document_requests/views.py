"""Document requests in Connect: the list of a dossier's requests, the accountant's new
request, a request's page with the client's upload and the accountant's accept / more needed."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from connect.collaboration.document_requests.forms import (
    MoreNeededForm,
    RequestFilterForm,
    RequestForm,
    RequestUploadForm,
)
from connect.collaboration.document_requests.services import (
    request_accept,
    request_create,
    request_documents_for,
    request_get_for,
    request_list_for,
    request_more_needed,
    request_upload,
    request_upload_categories,
)
from connect.documents.profiles import profile_for
from connect.models import DocumentRequest, RequestStatus
from core.errors import ServiceError
from core.forms import form_add_service_error, form_status
from core.pagination import OneQueryPaginator
from dossiers.access import connect_roles_for
from dossiers.models import Role
from dossiers.selectors import dossier_connect_get_for
from users.types import AuthedRequest

PER_PAGE = 50


@login_required
def request_list(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """A dossier's requests, for its client and its accountant, filtered by status."""
    dossier = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    form = RequestFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_bound and form.is_valid() else ""
    requests = request_list_for(actor=request.user, dossier=dossier, status=status)
    page = OneQueryPaginator(requests, PER_PAGE).get_page(request.GET.get("page"))
    roles = connect_roles_for(actor=request.user, dossier=dossier) or frozenset()
    return render(
        request,
        "connect/requests/list.html",
        {
            "dossier": dossier,
            "form": form,
            "page": page,
            "page_query": urlencode({"status": status}) if status else "",
            "is_accountant": Role.CONNECT_ACCOUNTANT in roles,
            "is_entrepreneur": Role.CONNECT_ENTREPRENEUR in roles,
        },
    )


@login_required
def request_new(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """The accountant asks the client for documents."""
    dossier = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    if Role.CONNECT_ACCOUNTANT not in (
        connect_roles_for(actor=request.user, dossier=dossier) or frozenset()
    ):
        raise Http404
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = request_create(actor=request.user, dossier=dossier, **form.cleaned_data)
        except ServiceError as error:
            if error.code == "forbidden":
                raise Http404 from None
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The request was sent to the client."))
            return redirect("connect:request_detail", request_id=created.public_id)
    return render(
        request,
        "connect/requests/create.html",
        {"dossier": dossier, "form": form},
        status=form_status(form),
    )


def _upload_form(document_request: DocumentRequest, *args: Any) -> RequestUploadForm:
    profile = profile_for(document_request.dossier)
    return RequestUploadForm(
        *args,
        categories=request_upload_categories(document_request.dossier),
        require_due_date=profile.require_due_date,
        require_amount=profile.require_amount,
    )


def _detail(
    request: AuthedRequest,
    document_request: DocumentRequest,
    *,
    upload_form: RequestUploadForm | None = None,
    more_form: MoreNeededForm | None = None,
) -> HttpResponse:
    roles = connect_roles_for(actor=request.user, dossier=document_request.dossier) or frozenset()
    is_entrepreneur = Role.CONNECT_ENTREPRENEUR in roles
    is_accountant = Role.CONNECT_ACCOUNTANT in roles
    can_upload = is_entrepreneur and document_request.status != RequestStatus.ACCEPTED
    can_decide = is_accountant and document_request.status == RequestStatus.PROVIDED
    if can_upload and upload_form is None:
        upload_form = _upload_form(document_request)
    if can_decide and more_form is None:
        more_form = MoreNeededForm()
    status = max(
        form_status(form) if form is not None else 200 for form in (upload_form, more_form)
    )
    return render(
        request,
        "connect/requests/detail.html",
        {
            "dossier": document_request.dossier,
            "document_request": document_request,
            "documents": request_documents_for(
                actor=request.user, document_request=document_request
            ),
            "upload_form": upload_form if can_upload else None,
            "more_form": more_form if can_decide else None,
            "can_decide": can_decide,
            "is_accountant": is_accountant,
            "is_entrepreneur": is_entrepreneur,
        },
        status=status,
    )


@login_required
def request_detail(request: AuthedRequest, request_id: str) -> HttpResponse:
    return _detail(request, request_get_for(actor=request.user, public_id=request_id))


@login_required
@require_POST
def request_upload_view(request: AuthedRequest, request_id: str) -> HttpResponse:
    """The client uploads their files into the request (all are kept, or none)."""
    document_request = request_get_for(actor=request.user, public_id=request_id)
    roles = connect_roles_for(actor=request.user, dossier=document_request.dossier) or frozenset()
    if Role.CONNECT_ENTREPRENEUR not in roles:
        raise Http404
    form = _upload_form(document_request, request.POST, request.FILES)
    if form.is_valid():
        try:
            documents = request_upload(
                actor=request.user,
                document_request=document_request,
                uploads=form.cleaned_data["uploads"],
                category=form.cleaned_data["category"],
                due_date=form.cleaned_data.get("due_date"),
                amount=form.cleaned_data.get("amount"),
            )
        except ServiceError as error:
            if error.code == "forbidden":
                raise Http404 from None
            if error.code == "state":  # the request moved meanwhile (accepted): say so
                messages.error(request, str(error.message))
                return redirect("connect:request_detail", request_id=document_request.public_id)
            form_add_service_error(form, error)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d document was sent to the accountant with the request.",
                    "%(count)d documents were sent to the accountant with the request.",
                    len(documents),
                )
                % {"count": len(documents)},
            )
            return redirect("connect:request_detail", request_id=document_request.public_id)
    return _detail(request, document_request, upload_form=form)


@login_required
@require_POST
def request_accept_view(request: AuthedRequest, request_id: str) -> HttpResponse:
    document_request = request_get_for(actor=request.user, public_id=request_id)
    try:
        request_accept(actor=request.user, document_request=document_request)
    except ServiceError as error:
        if error.code == "forbidden":
            raise Http404 from None
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The request was accepted."))
    return redirect("connect:request_detail", request_id=document_request.public_id)


@login_required
@require_POST
def request_more_needed_view(request: AuthedRequest, request_id: str) -> HttpResponse:
    document_request = request_get_for(actor=request.user, public_id=request_id)
    roles = connect_roles_for(actor=request.user, dossier=document_request.dossier) or frozenset()
    if Role.CONNECT_ACCOUNTANT not in roles:
        raise Http404
    form = MoreNeededForm(request.POST)
    if form.is_valid():
        try:
            request_more_needed(
                actor=request.user,
                document_request=document_request,
                note=form.cleaned_data["note"],
            )
        except ServiceError as error:
            if error.code == "state":
                messages.error(request, str(error.message))
                return redirect("connect:request_detail", request_id=document_request.public_id)
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The client was asked for more documents."))
            return redirect("connect:request_detail", request_id=document_request.public_id)
    return _detail(request, document_request, more_form=form)
