"""Words of Connect read from the reader's side: the same shared document is "shared by my
accountant" for the client and "shared with the client" for the accountant (see
docs/decisions.md, Words from the reader's side)."""

from django.utils.translation import gettext, gettext_lazy, pgettext

from connect.models import Status


def status_label(status: str, *, for_client: bool) -> str:
    """The status of one document, worded for its reader (``for_client``: the dossier's
    entrepreneur; otherwise the firm's side)."""
    if status == Status.SHARED:
        if for_client:
            return pgettext("document status", "Shared by my accountant")
        return pgettext("document status", "Shared with the client")
    return str(Status(status).label) if status in Status.values else status


def tab_label(name: str, *, section: str, for_client: bool) -> str:
    """The name of one tab of a dossier's Connect (desk, sent, archive, shared) for its
    reader."""
    if name == "desk":
        return gettext("My invoices") if section == "invoices" else gettext("My documents")
    if name == "sent":
        return gettext("Sent to the accountant")
    if name == "archive":
        return gettext("Archive")
    if for_client:
        return gettext("Shared by my accountant")
    return pgettext("documents tab", "Shared with the client")


#: The facts read from an invoice, as the pages name them.
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
