"""Connect for the client company: invoices and documents, the desk, binders, upload, send."""

import tempfile
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from connect import services
from connect.downloads import stored_file_response
from connect.forms import (
    ACCEPT,
    BinderForm,
    BookForm,
    DocumentForm,
    ModeForm,
    RejectForm,
    ReviewForm,
    UploadForm,
)
from connect.models import (
    Category,
    Document,
    Processing,
    ReadKind,
    Recognition,
    Source,
    Status,
)
from connect.photos import photos_to_pdf
from connect.reads import document_reads_record, reader_of
from connect.selectors import (
    SECTIONS,
    binder_get_for,
    binder_list_for,
    document_get_for,
    document_list_for,
    document_replacements_for,
    document_search,
)
from connect.services.accountant import OPEN
from connect.services.pipeline import REVIEW_FACTS, facts_correctable
from connect.views_desk import desk_context, send_and_tell, upload_words
from core.errors import ServiceError
from core.forms import form_add_service_error, form_status
from dossiers.chooser import dossier_chooser
from dossiers.members import roles_on_dossier_for
from dossiers.models import Dossier, ProcessingMode, Role
from dossiers.selectors import dossier_connect_get_for, dossier_connect_list_for
from dossiers.services import inbound_email_address, modes_held
from users.types import AuthedRequest

PER_PAGE = 50
SECTION_TABS = {"invoices": ("desk", "sent", "archive"), "documents": ("desk", "sent", "shared")}


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    if request.GET.get("dossier"):  # the dossier switch
        chosen = dossier_connect_get_for(actor=request.user, public_id=request.GET["dossier"])
        return redirect("connect:dossier", dossier_id=chosen.public_id)
    from connect.views_accountant import accountant_home

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


def _roles(request: AuthedRequest, dossier: Dossier) -> set[str]:
    return roles_on_dossier_for(actor=request.user, dossier=dossier)


@login_required
def section(request: AuthedRequest, dossier_id: str, section: str) -> HttpResponse:
    """Invoices or Documents of a dossier, one tab at a time, with the upload form."""
    current = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    if section not in SECTIONS:
        raise Http404
    tab = request.GET.get("tab", "desk")
    if tab not in SECTION_TABS[section]:
        tab = "desk"
    services.binders_ensure(dossier=current)
    binders = binder_list_for(actor=request.user, dossier=current)
    binder = None
    if request.GET.get("binder"):
        binder = binder_get_for(
            actor=request.user, dossier=current, public_id=request.GET["binder"]
        )
    documents = document_list_for(
        actor=request.user, dossier=current, section=section, tab=tab, binder=binder
    )
    query = request.GET.get("q", "").strip()[:200]
    documents = document_search(documents, query)
    page = Paginator(documents, PER_PAGE).get_page(request.GET.get("page"))
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
        "other_dossiers": dossier_connect_list_for(actor=request.user).exclude(pk=current.pk),
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
    sent = Document.objects.filter(pk__in=[d.pk for d in received]).exclude(status=Status.DRAFT)
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
    documents = list(Document.objects.filter(dossier=current, public_id__in=_uuids(chosen)))
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
def document(request: AuthedRequest, document_id: str) -> HttpResponse:
    """A document's page: its pages large beside the facts read from it; while it is on the
    client's desk, the form to change them; for the accountant, the actions and the way
    through the work queue (its order and filters ride in the query string)."""
    current = document_get_for(actor=request.user, public_id=document_id)
    return _document_page(request, current)


def _document_page(
    request: AuthedRequest, current: Document, *, facts_form: ReviewForm | None = None
) -> HttpResponse:
    """The document's page; ``facts_form`` is the accountant's correction of the read facts
    sent back with its errors (then the client's form is not bound, and the work queue's
    place comes from the form)."""
    from django.http import QueryDict

    from connect.pages import PAGE_CAP
    from connect.queue import queue_neighbours_for
    from connect.services.previews import preview_state
    from connect.views_accountant import queue_context

    binders = binder_list_for(actor=request.user, dossier=current.dossier)
    roles = _roles(request, current.dossier)
    editable = (
        current.status in services.documents.EDITABLE
        and current.source != Source.SHARED
        and Role.CONNECT_ENTREPRENEUR in roles
    )
    initial = {
        "filename": current.filename,
        "category": current.category,
        "keyword": current.keyword,
        "due_date": current.due_date,
        "amount": current.amount,
        "paid": current.paid,
        "comment": current.comment,
        "binder": current.binder.public_id if current.binder else None,
    }
    prefilled = _prefill_from_reading(current, initial) if editable else []
    client_post = request.method == "POST" and facts_form is None
    form = DocumentForm(request.POST if client_post else None, initial=initial, binders=binders)
    for name in prefilled:
        form.fields[name].help_text = _("Read from the document: check it before saving.")
    if client_post:
        if not editable:
            raise Http404
        if form.is_valid():
            try:
                services.document_update(actor=request.user, document=current, **form.cleaned_data)
            except ServiceError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("The document was saved."))
                return redirect("connect:document", document_id=current.public_id)
    is_accountant = Role.CONNECT_ACCOUNTANT in roles
    can_correct = is_accountant and facts_correctable(current)
    state = preview_state(current)
    replacements = document_replacements_for(actor=request.user, document=current)
    context: dict[str, Any] = {
        "document": current,
        "form": form,
        "editable": editable,
        "events": current.events.select_related("actor"),
        "is_accountant": is_accountant,
        "can_validate": is_accountant
        and current.status == Status.SENT
        and services.profile_for(current.dossier).pre_validation,
        "can_close": is_accountant and current.status in OPEN,
        "facts": _facts_rows(current.recognized, typed=current),
        "replaces": replacements.replaces,
        "replaced_by": replacements.replaced_by,
        "disagreements": _disagreements(current.recognized),
        "reading_notes": _reading_notes(current.recognized),
        "attachments": list(current.attachments.all()),
        "invoice": _ubl_invoice(current),
        "preview_state": state,
        "accept": ACCEPT,
        "can_retry_preview": current.processing != Processing.QUARANTINED
        or Role.CONNECT_ACCOUNTANT in roles,
        "pages": _pages(current) if state == "ready" else [],
        "page_count": current.page_count or 0,
        "pages_capped": (current.page_count or 0) > PAGE_CAP and state == "ready",
    }
    from connect.services.supplier_accounts import can_confirm, iban_change_for

    context["iban_change"] = iban_change_for(current)
    context["can_confirm_iban"] = context["iban_change"] is not None and can_confirm(
        request.user, current.dossier
    )
    if is_accountant:
        params = QueryDict(request.POST.get("queue", "")) if facts_form else request.GET
        queue = queue_context(request.user, params)
        neighbours = queue_neighbours_for(
            actor=request.user, filters=queue.filters, order=queue.order, document=current
        )
        query = f"?{queue.query}" if queue.query else ""
        context |= {
            "queue_query": queue.query,
            "inbox_url": reverse("connect:inbox") + query,
            "previous_url": reverse("connect:document", args=[neighbours.previous.public_id])
            + query
            if neighbours.previous
            else "",
            "next_url": reverse("connect:document", args=[neighbours.next.public_id]) + query
            if neighbours.next
            else "",
            "reject_form": RejectForm(),
            "book_form": BookForm(),
        }
        context["book_form"].fields["booking_number"].widget.attrs["data-shortcut"] = "b"
        context["reject_form"].fields["reason"].widget.attrs["data-shortcut"] = "r"
    if is_accountant and current.recognition == Recognition.REVIEW:
        context["review_form"] = ReviewForm(
            initial={k: v for k, v in (current.recognized or {}).items() if k in REVIEW_FACTS}
        )
    if can_correct:
        context["facts_form"] = facts_form or ReviewForm(
            prefix="facts",
            initial={k: v for k, v in (current.recognized or {}).items() if k in REVIEW_FACTS},
        )
        context["facts_open"] = facts_form is not None or request.GET.get("edit") == "1"
    if is_accountant and current.status in (Status.DRAFT, Status.SENT, Status.VALIDATED):
        modes = [(m, str(ProcessingMode(m).label)) for m in modes_held(current.dossier.firm)]
        context["mode_form"] = ModeForm(
            initial={"processing_mode": current.processing_mode}, modes=modes
        )
    status = form_status(facts_form) if facts_form is not None else form_status(form)
    response = render(request, "connect/document.html", context, status=status)
    document_reads_record(reader=reader_of(request), documents=[current], how=ReadKind.PAGE)
    return response


@login_required
@require_POST
def document_facts(request: AuthedRequest, document_id: str) -> HttpResponse:
    """The accountant corrects the facts read from a document (any mode, until it is booked):
    back to its page in the work queue; a fact that is not valid shows the page again with
    the form's errors, nothing written; a document that cannot be corrected any more says
    why. Anyone but the dossier's accountant: 404."""
    from django.http import QueryDict

    from connect.views_accountant import queue_context, queue_url

    current = document_get_for(actor=request.user, public_id=document_id)
    if Role.CONNECT_ACCOUNTANT not in _roles(request, current.dossier):
        raise Http404
    form = ReviewForm(request.POST, prefix="facts")
    queue = queue_context(request.user, QueryDict(request.POST.get("queue", "")))
    if form.is_valid():
        try:
            services.document_correct_facts(
                actor=request.user,
                document=current,
                facts={key: form.cleaned_data[key] for key in REVIEW_FACTS},
            )
        except ServiceError as error:
            if error.code == "forbidden":
                raise Http404 from None
            if error.code == "state":
                messages.error(request, str(error.message))
                return redirect(queue_url(current, queue.query))
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The corrected facts are saved."))
            return redirect(queue_url(current, queue.query))
    return _document_page(request, current, facts_form=form)


def _pages(document: Document) -> list[dict[str, Any]]:
    from connect.pages import page_numbers

    url = reverse("connect:page", args=[document.public_id, 1]).removesuffix("1.jpg")
    return [{"number": n, "url": f"{url}{n}.jpg"} for n in page_numbers(document)]


def _prefill_from_reading(document: Document, initial: dict[str, Any]) -> list[str]:
    """The client's form starts from what was read (an e-invoice, recognition) where the
    client typed nothing: the due date and the amount to pay. Returns the fields filled."""
    from django.utils.dateparse import parse_date

    from core.numbers import as_decimal

    read = document.recognized or {}
    filled = []
    if document.due_date is None and isinstance(read.get("due_date"), str):
        due = parse_date(read["due_date"][:10])
        if due is not None:
            initial["due_date"] = due
            filled.append("due_date")
    if document.amount is None:
        amount = as_decimal(read.get("payable_amount")) or as_decimal(read.get("total_incl_vat"))
        if amount is not None and amount > 0:
            initial["amount"] = amount.quantize(Decimal("0.01"))
            filled.append("amount")
    return filled


FACT_LABELS = {
    "supplier_name": gettext_lazy("Supplier"),
    "supplier_vat": gettext_lazy("Supplier VAT number"),
    "invoice_number": gettext_lazy("Invoice number"),
    "issue_date": gettext_lazy("Invoice date"),
    "due_date": gettext_lazy("Due date"),
    "total_excl_vat": gettext_lazy("Total excl. VAT"),
    "total_vat": gettext_lazy("VAT"),
    "total_incl_vat": gettext_lazy("Total incl. VAT"),
    "payable_amount": gettext_lazy("Amount to pay"),
    "currency": gettext_lazy("Currency"),
    "iban": gettext_lazy("IBAN"),
    "structured_reference": gettext_lazy("Structured communication"),
}


def _facts_rows(
    facts: dict[str, Any] | None, typed: Document | None = None
) -> list[dict[str, Any]]:
    """The facts read from a document, with how sure the reading is of each, and where the
    client typed something else (the amount, the due date), what they typed."""
    if not facts:
        return []
    from connect.views_accountant import DOUBTFUL, read_total, typed_differs

    confidences = facts.get("confidences") or {}
    remembered = set(facts.get("remembered") or ())
    differs: dict[str, Any] = {}
    if typed is not None and typed.amount is not None:
        total = read_total(facts)
        if total is not None and typed_differs(facts, typed.amount):
            key = "total_incl_vat" if facts.get("total_incl_vat") else "payable_amount"
            differs[key] = typed.amount
    due = typed.due_date if typed is not None else None
    if due is not None and facts.get("due_date") and str(facts["due_date"])[:10] != due.isoformat():
        differs["due_date"] = due
    rows = []
    for key, label in FACT_LABELS.items():
        value = facts.get(key)
        confidence = confidences.get(key)
        rows.append(
            {
                "key": key,
                "label": label,
                "value": value,
                "kind": REVIEW_FACTS.get(key, "text"),
                "doubtful": confidence is not None and Decimal(str(confidence)) < DOUBTFUL,
                "remembered": key in remembered,
                "mismatch": key in differs,
                "typed": differs.get(key),
            }
        )
    return rows


def _disagreements(facts: dict[str, Any] | None) -> list[dict[str, Any]]:
    """What a hybrid PDF prints against its embedded XML (whose facts are kept)."""
    return [
        {"label": FACT_LABELS.get(row.get("fact", ""), row.get("fact")), **row}
        for row in (facts or {}).get("disagreements") or []
        if isinstance(row, dict)
    ]


def _reading_notes(facts: dict[str, Any] | None) -> list[str]:
    """What the reader noticed (a blank or turned scan, a tax number from outside the EU), in
    the reader's language."""
    from connect.recognition.notes import MESSAGES

    shown = []
    for note in (facts or {}).get("notes") or []:
        message = MESSAGES.get(note.get("code", "")) if isinstance(note, dict) else None
        if message:
            shown.append(_(message) % {"value": note.get("value") or ""})
    return shown


def _ubl_invoice(document: Document) -> Any:
    """The e-invoice for its preview: an XML file always; the XML inside a PDF when some of its
    checks failed (the PDF is the preview). Kept with the document when it was read
    (``einvoice_preview``); a document read before that is read here once, and kept."""
    from connect.einvoice import EInvoice, EInvoiceError, parse
    from connect.einvoice.pdf import embedded_invoice_of
    from connect.einvoice.stored import UNREADABLE, preview_dump, preview_load
    from connect.services.processing import local_copy

    failed = set((document.recognized or {}).get("checks_failed") or ()) - {"pdf_disagrees"}
    if not document.is_ubl and not (document.carries_einvoice and failed):
        return None
    try:
        return preview_load(document.einvoice_preview)
    except KeyError:
        pass
    invoice: EInvoice | None
    try:
        if document.is_ubl:
            with default_storage.open(document.storage_name, "rb") as handle:
                invoice = parse(handle.read(settings.CONNECT_MAX_UPLOAD_SIZE + 1))
        else:
            with tempfile.TemporaryDirectory(prefix="portal-preview-") as workdir:
                invoice = embedded_invoice_of(local_copy(document, Path(workdir))).invoice
    except EInvoiceError:
        invoice = None
    except OSError:
        return None  # the file is missing for now: nothing is kept
    stored = preview_dump(invoice) if invoice is not None else UNREADABLE
    Document.objects.filter(pk=document.pk).update(einvoice_preview=stored)
    document.einvoice_preview = stored
    return invoice


@login_required
def attachment(request: AuthedRequest, document_id: str, attachment_id: str) -> HttpResponseBase:
    """A file embedded in an e-invoice: always downloaded, never shown inline."""
    current = document_get_for(actor=request.user, public_id=document_id)
    found = current.attachments.filter(public_id=attachment_id).first()
    if found is None:
        raise Http404
    response = stored_file_response(
        found.storage_name,
        as_attachment=True,
        filename=found.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    document_reads_record(reader=reader_of(request), documents=[current], how=ReadKind.ATTACHMENT)
    return response


@login_required
def page(request: AuthedRequest, document_id: str, number: int) -> HttpResponseBase:
    """One page as an image, made on its first request (connect.pages). Part of the
    document's page, whose read is recorded; a page image fetched on its own is recorded as a
    read of the page. A file in quarantine is not rendered."""
    import logging

    from connect.pages import PageError, page_image, page_numbers

    current = document_get_for(actor=request.user, public_id=document_id)
    if number not in page_numbers(current) or current.processing == Processing.QUARANTINED:
        raise Http404  # a file put aside after crashing the worker is not rendered here
    try:
        name = page_image(current, number)
    except PageError as error:
        logging.getLogger(__name__).warning("page %s of document %s: %s", number, current.pk, error)
        return HttpResponse(
            _("This page could not be shown."),
            status=HTTPStatus.SERVICE_UNAVAILABLE,
            content_type="text/plain; charset=utf-8",
        )
    response = stored_file_response(name, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    _record_page_read(request, current)
    return response


def _record_page_read(request: AuthedRequest, document: Document) -> None:
    """A page image shows the whole page: fetched without the document's page (whose read is
    recorded), it is recorded as a read of the page; fetched with it, it adds nothing."""
    from datetime import timedelta

    from django.utils import timezone

    from connect.models import DocumentRead

    recent = DocumentRead.objects.filter(
        document=document,
        actor=request.user,
        how=ReadKind.PAGE,
        at__gte=timezone.now() - timedelta(hours=1),
    )
    if not recent.exists():
        document_reads_record(reader=reader_of(request), documents=[document], how=ReadKind.PAGE)


@login_required
@require_POST
def preview_retry(request: AuthedRequest, document_id: str) -> HttpResponse:
    """Make a failed preview again (the client's or the accountant's button)."""
    from django.http import QueryDict

    from connect.services.previews import document_preview_retry

    current = document_get_for(actor=request.user, public_id=document_id)
    try:
        document_preview_retry(actor=request.user, document=current)
    except ServiceError as error:
        messages.info(request, str(error.message))
    else:
        messages.success(request, _("The preview is being made again."))
    back = reverse("connect:document", args=[current.public_id])
    query = QueryDict(request.POST.get("queue", "")).urlencode()
    return redirect(f"{back}?{query}" if query else back)


@login_required
def thumbnail(request: AuthedRequest, document_id: str) -> HttpResponseBase:
    """Part of the document's page (whose read is recorded): not recorded itself."""
    current = document_get_for(actor=request.user, public_id=document_id)
    if not current.thumbnail_name:
        raise Http404
    response = stored_file_response(current.thumbnail_name, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def download(request: AuthedRequest, document_id: str) -> HttpResponseBase:
    """The bytes as received, always as an attachment (never shown inline)."""
    current = document_get_for(actor=request.user, public_id=document_id)
    response = stored_file_response(
        current.storage_name,
        as_attachment=True,
        filename=current.filename,
        content_type=current.content_type,
        size=current.size,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Content-SHA256"] = current.sha256
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    document_reads_record(reader=reader_of(request), documents=[current], how=ReadKind.DOWNLOAD)
    return response


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
