"""Messages between a dossier's users: the user's conversations, a dossier's, one thread, and
the conversation about a document."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from connect.collaboration.messages.forms import DocumentThreadForm, MessageForm, ThreadForm
from connect.collaboration.messages.selectors import (
    document_thread_for,
    thread_get_for,
    thread_list_for,
    thread_messages_for,
)
from connect.collaboration.messages.services import message_post, thread_create, thread_mark_read
from connect.documents.selectors import document_get_for
from connect.models import Status, Thread
from core.errors import ServiceError
from core.forms import form_add_service_error, form_status
from core.pagination import OneQueryPaginator
from dossiers.selectors import dossier_connect_get_for, dossier_connect_list_for
from users.types import AuthedRequest

PER_PAGE = 50


def _file(form: MessageForm) -> dict[str, Any]:
    """The optional file, as the services take it."""
    upload: UploadedFile | None = form.cleaned_data.get("file")
    if upload is None:
        return {}
    return {"filename": upload.name or "", "chunks": upload.chunks()}


def _thread_url(thread: Thread) -> str:
    return reverse("connect:thread", args=[thread.public_id])


@login_required
@require_GET
def inbox(request: AuthedRequest) -> HttpResponse:
    """The user's conversations across their dossiers, unread first in each line's badge."""
    if request.GET.get("dossier"):  # "new conversation in…": the dossier's page
        chosen = dossier_connect_get_for(actor=request.user, public_id=request.GET["dossier"])
        return redirect("connect:threads", dossier_id=chosen.public_id)
    page = OneQueryPaginator(thread_list_for(actor=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "dossiers": dossier_connect_list_for(actor=request.user).order_by("code"),
    }
    return render(request, "connect/messages/inbox.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def threads(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """A dossier's conversations, and the form to start one."""
    dossier = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    form = ThreadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            thread = thread_create(
                actor=request.user,
                dossier=dossier,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                **_file(form),
            )
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Your message was sent."))
            return redirect(_thread_url(thread))
    page = OneQueryPaginator(
        thread_list_for(actor=request.user, dossier=dossier), PER_PAGE
    ).get_page(request.GET.get("page"))
    context = {"dossier": dossier, "page": page, "form": form}
    return render(request, "connect/messages/threads.html", context, status=form_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def thread(request: AuthedRequest, thread_id: str) -> HttpResponse:
    """One conversation: shown (and marked read up to its newest message), and answered."""
    current = thread_get_for(actor=request.user, public_id=thread_id)
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            posted = message_post(
                actor=request.user, thread=current, body=form.cleaned_data["body"], **_file(form)
            )
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Your message was sent."))
            return redirect(f"{_thread_url(current)}#message-{posted.pk}")
    shown = thread_messages_for(actor=request.user, thread=current)
    newest = shown.messages[-1].created_at if shown.messages else None
    if newest is not None and (shown.read_at is None or shown.read_at < newest):
        # Read up to the newest message already (a page opened again): nothing to write.
        thread_mark_read(actor=request.user, thread=current, until=newest)
    context = {
        "thread": current,
        "dossier": current.dossier,
        "shown": shown,
        "form": form,
    }
    return render(request, "connect/messages/thread.html", context, status=form_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def document_thread(request: AuthedRequest, document_id: str) -> HttpResponse:
    """The conversation about a document: opened when there is one, offered otherwise."""
    document = document_get_for(actor=request.user, public_id=document_id)
    existing = document_thread_for(actor=request.user, document=document)
    if request.method == "GET" and existing is not None:
        return redirect(_thread_url(existing))
    form = DocumentThreadForm(
        request.POST or None, request.FILES or None, initial={"subject": document.filename}
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = thread_create(
                actor=request.user,
                dossier=document.dossier,
                document=document,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                **_file(form),
            )
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Your message was sent."))
            return redirect(_thread_url(created))
    context = {
        "document": document,
        "dossier": document.dossier,
        "form": form,
        "is_draft": document.status == Status.DRAFT,
    }
    return render(
        request, "connect/messages/document_thread.html", context, status=form_status(form)
    )
