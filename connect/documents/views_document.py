"""Connect: a document's page (facts, reading notes, the accountant's forms), the facts form."""

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connect.documents import services
from connect.documents.forms import (
    ACCEPT,
    BookForm,
    DocumentForm,
    ModeForm,
    RejectForm,
    ReviewForm,
)
from connect.documents.pages import PAGE_CAP, page_numbers
from connect.documents.queue import queue_neighbours_for
from connect.documents.reads import document_reads_record, reader_of
from connect.documents.selectors import (
    binder_list_for,
    document_get_for,
    document_replacements_for,
)
from connect.documents.services.accountant import OPEN
from connect.documents.services.previews import preview_state
from connect.documents.services.review import REVIEW_FACTS, facts_correctable
from connect.documents.services.supplier_accounts import can_confirm, iban_change_for
from connect.documents.storage import local_copy
from connect.documents.views_inbox import (
    DOUBTFUL,
    member_firm_ids,
    queue_context,
    queue_url,
    read_total,
    typed_differs,
)
from connect.documents.words import FACT_LABELS
from connect.einvoice import EInvoice, EInvoiceError, parse
from connect.einvoice.pdf import embedded_invoice_of
from connect.einvoice.stored import UNREADABLE, preview_dump, preview_load
from connect.models import (
    Document,
    Processing,
    ReadKind,
    Recognition,
    Source,
    Status,
)
from connect.recognition.notes import MESSAGES
from core.errors import ServiceError
from core.forms import form_add_service_error, form_status
from core.numbers import as_decimal
from dossiers.access import connect_roles_for
from dossiers.models import ProcessingMode, Role
from dossiers.services import modes_held
from users.types import AuthedRequest


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
    binders = binder_list_for(actor=request.user, dossier=current.dossier)
    roles = connect_roles_for(actor=request.user, dossier=current.dossier) or frozenset()
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

    context["iban_change"] = iban_change_for(current)
    context["can_confirm_iban"] = context["iban_change"] is not None and can_confirm(
        request.user, current.dossier
    )
    if is_accountant:
        params = QueryDict(request.POST.get("queue", "")) if facts_form else request.GET
        queue = queue_context(request.user, params)
        neighbours = queue_neighbours_for(
            actor=request.user,
            filters=queue.filters,
            order=queue.order,
            document=current,
            firm_ids=member_firm_ids(request),
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
    read = {k: v for k, v in (current.recognized or {}).items() if k in REVIEW_FACTS}
    if is_accountant and current.recognition == Recognition.REVIEW:
        context["review_form"] = ReviewForm(initial=read)
    if can_correct:
        context["facts_form"] = facts_form or ReviewForm(prefix="facts", initial=read)
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
    current = document_get_for(actor=request.user, public_id=document_id)
    if Role.CONNECT_ACCOUNTANT not in (
        connect_roles_for(actor=request.user, dossier=current.dossier) or ()
    ):
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
    url = reverse("connect:page", args=[document.public_id, 1]).removesuffix("1.jpg")
    return [{"number": n, "url": f"{url}{n}.jpg"} for n in page_numbers(document)]


def _prefill_from_reading(document: Document, initial: dict[str, Any]) -> list[str]:
    """The client's form starts from what was read (an e-invoice, recognition) where the
    client typed nothing: the due date and the amount to pay. Returns the fields filled."""
    from django.utils.dateparse import parse_date

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


def _facts_rows(
    facts: dict[str, Any] | None, typed: Document | None = None
) -> list[dict[str, Any]]:
    """The facts read from a document, with how sure the reading is of each, and where the
    client typed something else (the amount, the due date), what they typed."""
    if not facts:
        return []

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
