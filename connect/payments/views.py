"""Supplier payments for the client company: the unpaid invoices to pay, the paying accounts,
and the SEPA files made (kept, downloadable again). The dossier's entrepreneurs pay; its
accountant sees the accounts and the files made, read-only."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from connect.documents.selectors import document_get_for
from connect.documents.services.supplier_accounts import (
    IbanChange,
    can_confirm,
    iban_changes_in,
    supplier_account_confirm,
)
from connect.models import Document
from connect.payments import batches
from connect.payments.accounts import paying_account_add
from connect.payments.forms import BatchForm, PayingAccountForm, PaymentLineFormSet
from connect.payments.selectors import (
    CANDIDATES_READ,
    PayableInvoice,
    payable_documents,
    payable_invoices_for,
    paying_accounts_for,
    payment_batch_get_for,
    payment_batches_for,
    payment_lines_for,
)
from core.errors import ServiceError
from core.forms import form_add_service_error, form_status
from dossiers.access import connect_roles_for
from dossiers.models import Dossier, Role
from dossiers.selectors import dossier_connect_get_for
from users.types import AuthedRequest


def _is_entrepreneur(request: AuthedRequest, dossier: Dossier) -> bool:
    return Role.CONNECT_ENTREPRENEUR in (
        connect_roles_for(actor=request.user, dossier=dossier) or ()
    )


def _initial(row: PayableInvoice) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "document": row.document.public_id,
        "selected": False,
        "creditor_name": row.creditor_name,
        "creditor_iban": row.creditor_iban,
        "amount": row.amount,
        "execution_date": max(row.due_date, today) if row.due_date else today,
        "structured_reference": row.structured_reference,
        "remittance": "" if row.structured_reference else row.invoice_number,
    }


def _iban_changes(request: AuthedRequest, dossier: Dossier) -> list[tuple[Document, IbanChange]]:
    """The unpaid invoices of the dossier whose IBAN is new for their supplier, for both
    roles: the accountant confirms them too."""
    documents = payable_documents(dossier).visible_to(request.user)
    return iban_changes_in(dossier, documents.order_by("uploaded_at", "id")[:CANDIDATES_READ])


@login_required
def payments(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """The unpaid invoices to pay (the client), and the payment files made (both roles)."""
    dossier = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    is_entrepreneur = _is_entrepreneur(request, dossier)
    if request.method == "POST" and not is_entrepreneur:
        raise Http404
    show_all = request.GET.get("all") == "1"
    rows = payable_invoices_for(actor=request.user, dossier=dossier, include_incomplete=show_all)
    accounts = list(paying_accounts_for(actor=request.user, dossier=dossier))
    status = 200
    if request.method == "POST":
        formset = PaymentLineFormSet(request.POST, prefix="line")
        batch_form = BatchForm(request.POST, accounts=accounts)
        if formset.is_valid() and batch_form.is_valid():
            chosen = [
                (form, data)
                for form in formset.forms
                if (data := form.cleaned_data) and data.get("selected")
            ]
            lines: list[batches.LineInput] = [
                {
                    "document": data["document"],
                    "amount": data["amount"],
                    "execution_date": data["execution_date"],
                    "creditor_name": data["creditor_name"],
                    "creditor_iban": data["creditor_iban"],
                    "structured_reference": data["structured_reference"],
                    "remittance": data["remittance"],
                }
                for _form, data in chosen
            ]
            try:
                batch = batches.batch_create(
                    actor=request.user,
                    dossier=dossier,
                    account=batch_form.chosen_account(),
                    lines=lines,
                    pain_version=batch_form.cleaned_data["pain_version"],
                )
            except batches.LineError as error:
                form = chosen[error.line][0]
                if error.field in form.fields:
                    form.add_error(error.field, str(error.message))
                batch_form.add_error(None, str(error.message))
            except ServiceError as error:
                if error.code in ("document_unknown", "forbidden"):
                    raise Http404 from None
                form_add_service_error(batch_form, error)
            else:
                messages.success(
                    request,
                    _("The payment file is ready: download it and import it in your bank."),
                )
                return redirect("connect:payment_batch", batch_id=batch.public_id)
        status = 422
    else:
        formset = PaymentLineFormSet(initial=[_initial(row) for row in rows], prefix="line")
        batch_form = BatchForm(accounts=accounts)
    by_id = {str(row.document.public_id): row for row in rows}
    iban_changes = _iban_changes(request, dossier)
    lines_shown = [(form, by_id.get(str(form["document"].value()))) for form in formset.forms]
    return render(
        request,
        "connect/payments/payments.html",
        {
            "dossier": dossier,
            "is_entrepreneur": is_entrepreneur,
            "formset": formset,
            "batch_form": batch_form,
            "lines": lines_shown,
            "show_all": show_all,
            "accounts": accounts,
            "batches": list(payment_batches_for(actor=request.user, dossier=dossier)[:50]),
            "iban_changes": iban_changes,
            "iban_flagged": {document.pk for document, _change in iban_changes},
            "can_confirm_iban": iban_changes and can_confirm(request.user, dossier),
        },
        status=status,
    )


@login_required
def paying_accounts(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """The client company's bank accounts; the client adds them."""
    dossier = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    is_entrepreneur = _is_entrepreneur(request, dossier)
    if request.method == "POST" and not is_entrepreneur:
        raise Http404
    form = PayingAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            paying_account_add(actor=request.user, dossier=dossier, **form.cleaned_data)
        except ServiceError as error:
            if error.code == "forbidden":
                raise Http404 from None
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The account was added."))
            return redirect("connect:paying_accounts", dossier_id=dossier.public_id)
    return render(
        request,
        "connect/payments/accounts.html",
        {
            "dossier": dossier,
            "is_entrepreneur": is_entrepreneur,
            "form": form,
            "accounts": paying_accounts_for(actor=request.user, dossier=dossier),
        },
        status=form_status(form),
    )


@login_required
@require_GET
def payment_batch(request: AuthedRequest, batch_id: str) -> HttpResponse:
    batch = payment_batch_get_for(actor=request.user, public_id=batch_id)
    is_entrepreneur = _is_entrepreneur(request, batch.dossier)
    return render(
        request,
        "connect/payments/batch.html",
        {
            "batch": batch,
            "dossier": batch.dossier,
            "is_entrepreneur": is_entrepreneur,
            "lines": list(payment_lines_for(batch=batch)),
        },
    )


@login_required
@require_GET
def payment_download(request: AuthedRequest, batch_id: str) -> HttpResponse:
    """The SEPA file as it was made, always as an attachment."""
    batch = payment_batch_get_for(actor=request.user, public_id=batch_id)
    try:
        content = batches.batch_content(batch=batch)
    except OSError:
        raise Http404 from None
    response = HttpResponse(content, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{batch.message_id}.xml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def supplier_account_confirm_view(request: AuthedRequest, document_id: str) -> HttpResponse:
    """The accountant or the client confirms the new bank account an invoice names (from the
    document page or the payments page)."""
    document = document_get_for(actor=request.user, public_id=document_id)
    if not can_confirm(request.user, document.dossier):
        raise Http404
    try:
        supplier_account_confirm(actor=request.user, document=document)
    except ServiceError as error:
        if error.code == "forbidden":
            raise Http404 from None
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The new bank account was confirmed: the invoice can be paid."))
    if request.POST.get("next") == "payments":
        return redirect("connect:payments", dossier_id=document.dossier.public_id)
    return redirect("connect:document", document_id=document.public_id)
