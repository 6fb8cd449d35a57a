"""Connect for the client company: invoices and documents, the desk, binders, upload, send."""

from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from connect.documents import services
from connect.documents.forms import (
    BinderForm,
    UploadForm,
)
from connect.documents.photos import photos_to_pdf
from connect.documents.selectors import (
    SECTIONS,
    binder_among,
    binder_list_for,
    builtin_binders_present,
    document_list_for,
    document_search,
)
from connect.documents.views_accountant import accountant_home
from connect.documents.views_desk import desk_context, send_and_tell, upload_words
from connect.models import (
    Category,
    Document,
    Source,
    Status,
)
from core.errors import ServiceError
from core.pagination import OneQueryPaginator
from dossiers.access import connect_roles_for
from dossiers.chooser import dossier_chooser
from dossiers.models import Dossier, Role
from dossiers.selectors import (
    dossier_connect_get_for,
    dossier_connect_get_with_others_for,
    dossier_connect_list_for,
)
from dossiers.services import inbound_email_address
from users.types import AuthedRequest

PER_PAGE = 50
SECTION_TABS = {"invoices": ("desk", "sent", "archive"), "documents": ("desk", "sent", "shared")}


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    if request.GET.get("dossier"):  # the dossier switch
        chosen = dossier_connect_get_for(actor=request.user, public_id=request.GET["dossier"])
        return redirect("connect:dossier", dossier_id=chosen.public_id)

    answer = accountant_home(request)
    if answer is not None:
        return answer
    return dossier_chooser(
        request,
        dossier_connect_list_for(actor=request.user),
        url_name="connect:dossier",
        template="connect/home.html",
    )


@login_required
def dossier(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    current = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    return redirect("connect:section", dossier_id=current.public_id, section="invoices")


def _roles(request: AuthedRequest, dossier: Dossier) -> frozenset[str]:
    return connect_roles_for(actor=request.user, dossier=dossier) or frozenset()


@login_required
def section(request: AuthedRequest, dossier_id: str, section: str) -> HttpResponse:
    """Invoices or Documents of a dossier, one tab at a time, with the upload form."""
    current, others = dossier_connect_get_with_others_for(actor=request.user, public_id=dossier_id)
    if section not in SECTIONS:
        raise Http404
    tab = request.GET.get("tab", "desk")
    if tab not in SECTION_TABS[section]:
        tab = "desk"
    binders = binder_list_for(actor=request.user, dossier=current)
    if not builtin_binders_present(binders):  # the dossier's first visit: one write, then read
        services.binders_ensure(dossier=current)
        binders = binder_list_for(actor=request.user, dossier=current)
    binder = None
    if request.GET.get("binder"):
        binder = binder_among(binders, request.GET["binder"])
    documents = document_list_for(
        actor=request.user, dossier=current, section=section, tab=tab, binder=binder
    )
    query = request.GET.get("q", "").strip()[:200]
    documents = document_search(documents, query)
    page = OneQueryPaginator(documents, PER_PAGE).get_page(request.GET.get("page"))
    initial_category = Category.PURCHASE_INVOICE if section == "invoices" else Category.OTHER
    context: dict[str, Any] = {
        "dossier": current,
        "section": section,
        "tab": tab,
        "tabs": SECTION_TABS[section],
        "page": page,
        "binders": binders,
        "binder": binder,
        "upload_form": UploadForm(initial={"category": initial_category}),
        "binder_form": BinderForm(binders=binders),
        "query": query,
        "page_query": urlencode(
            {
                "tab": tab,
                **({"binder": str(binder.public_id)} if binder else {}),
                **({"q": query} if query else {}),
            }
        ),
        "is_entrepreneur": Role.CONNECT_ENTREPRENEUR in _roles(request, current),
        "inbound_address": inbound_email_address(current),
        "other_dossiers": others,
    }
    if context["is_entrepreneur"]:
        context.update(desk_context(request, current))
        context["upload_words"] = upload_words()
    return render(request, "connect/section.html", context)


def _wants_json(request: AuthedRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def upload(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """Receive one or several files (or photos combined into one PDF). Answers JSON per file
    to the page's script, or goes back to the desk with a message per file."""
    current = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    if Role.CONNECT_ENTREPRENEUR not in _roles(request, current):
        raise Http404  # the desk is the client's; the accountant shares instead
    form = UploadForm(request.POST, request.FILES)
    section = "documents" if request.POST.get("section") == "documents" else "invoices"
    back = reverse("connect:section", args=[current.public_id, section])
    if not form.is_valid():
        error = " ".join(str(m) for errors in form.errors.values() for m in errors)
        return _upload_answer(request, back, [], error, HTTPStatus.BAD_REQUEST)
    uploads = form.all_files()
    too_large = int(request.META.get("CONTENT_LENGTH") or 0) > settings.CONNECT_MAX_UPLOAD_SIZE
    if not uploads:
        message = (
            _("The file is too large.") if too_large else _("Choose at least one file to send.")
        )
        return _upload_answer(request, back, [], message, HTTPStatus.BAD_REQUEST)
    if len(uploads) > settings.CONNECT_MAX_FILES_PER_REQUEST:
        message = ngettext(
            "Send at most %(count)d file at once.",
            "Send at most %(count)d files at once.",
            settings.CONNECT_MAX_FILES_PER_REQUEST,
        ) % {"count": settings.CONNECT_MAX_FILES_PER_REQUEST}
        return _upload_answer(request, back, [], message, HTTPStatus.BAD_REQUEST)
    facts = {
        key: form.cleaned_data[key]
        for key in ("category", "keyword", "due_date", "amount", "paid", "comment")
    }
    batch: list[tuple[str, Any]] = [(f.name, f.chunks()) for f in uploads]
    results: list[dict[str, Any]] = []
    if form.cleaned_data["combine"] and len(uploads) > 1:
        try:
            pdf = photos_to_pdf(
                (f.chunks() for f in uploads), max_pixels=settings.CONNECT_MAX_IMAGE_PIXELS
            )
        except ServiceError as error:
            return _upload_answer(request, back, [], str(error.message), HTTPStatus.BAD_REQUEST)
        stem = uploads[0].name.rsplit(".", 1)[0]
        batch = [(f"{stem}.pdf", [pdf])]
    received: list[Document] = []
    for name, chunks in batch:
        try:
            result = services.document_receive(
                dossier=current,
                actor=request.user,
                filename=name,
                chunks=chunks,
                source=Source.WEB,
                **facts,
            )
        except ServiceError as error:
            results.append({"name": name, "ok": False, "message": str(error.message)})
            continue
        received.append(result.document)
        url = reverse("connect:document", args=[result.document.public_id])
        if result.duplicate:
            message = _("Already in this dossier: the earlier document is kept.")
        else:
            message = _("Received.")
        results.append(
            {
                "name": name,
                "ok": True,
                "id": str(result.document.public_id),
                "duplicate": result.duplicate,
                "message": message,
                "url": url,
            }
        )
    keep = form.cleaned_data["keep"]
    sent, problem = _send_received(request, current, received, keep=keep)
    for answer in results:
        if not answer["ok"] or answer["duplicate"]:
            continue
        answer["sent"] = answer["id"] in sent
        if answer["sent"]:
            answer["message"] = _("Received and sent to the accountant.")
        elif problem:
            answer["message"] = _("Received, kept on your desk: %(problem)s") % {"problem": problem}
        else:
            answer["message"] = _("Received, kept on your desk.")
    ok = any(r["ok"] for r in results)
    return _upload_answer(
        request, back, results, "", HTTPStatus.OK if ok else HTTPStatus.BAD_REQUEST
    )


def _send_received(
    request: AuthedRequest, dossier: Dossier, received: list[Document], *, keep: bool
) -> tuple[set[str], str]:
    """Uploading sends (unless the client keeps the files on the desk). When a fact the
    profile requires is missing, the files stay on the desk and the answer says why (the
    desk's banner offers to send them once it is added). Returns the public ids that left
    the desk, and the reason the others did not."""
    drafts = [d for d in received if d.status == Status.DRAFT]
    problem = ""
    if drafts and not keep:
        try:
            services.documents_send(actor=request.user, dossier=dossier, documents=drafts)
        except ServiceError as error:
            problem = str(error.message)
    sent = (
        Document.objects.visible_to(request.user)
        .filter(pk__in=[d.pk for d in received])
        .exclude(status=Status.DRAFT)
    )
    return {str(public_id) for public_id in sent.values_list("public_id", flat=True)}, problem


def _upload_answer(
    request: AuthedRequest, back: str, results: list[dict[str, Any]], error: str, status: int
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"results": results, "error": error}, status=status)
    if error:
        messages.error(request, error)
    for result in results:
        level = messages.success if result["ok"] else messages.error
        level(request, f"{result['name']}: {result['message']}")
    return redirect(back)


@login_required
@require_POST
def send(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """Send the chosen documents of the desk to the accountant."""
    current = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    chosen = request.POST.getlist("documents")[:500]
    documents = list(
        Document.objects.visible_to(request.user).filter(
            dossier=current, public_id__in=_uuids(chosen)
        )
    )
    send_and_tell(request, current, documents)
    section = "documents" if request.POST.get("section") == "documents" else "invoices"
    return redirect("connect:section", dossier_id=current.public_id, section=section)


def _uuids(values: list[str]) -> list[str]:
    import uuid

    valid = []
    for value in values:
        try:
            valid.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return valid


@login_required
@require_POST
def binder_create(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    current = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    form = BinderForm(request.POST, binders=binder_list_for(actor=request.user, dossier=current))
    if form.is_valid():
        try:
            created = services.binder_create(
                actor=request.user,
                dossier=current,
                name=form.cleaned_data["name"],
                parent=form.cleaned_data["parent"],
            )
        except ServiceError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request, _("The binder %(name)s was created.") % {"name": created.name}
            )
    else:
        messages.error(request, _("Give the binder a name."))
    return redirect(reverse("connect:section", args=[current.public_id, "documents"]) + "?tab=desk")
