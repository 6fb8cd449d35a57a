"""Structured e-invoices, one module per syntax and one shared fact model:

- ``xml``: the hardened XML parser (no DOCTYPE, entities or network) and typed values;
- ``model``: ``EInvoice`` and its checks, whatever the syntax;
- ``ubl``: Peppol BIS 3 / UBL 2.1 invoices and credit notes;
- ``cii``: UN/CEFACT CII (Factur-X, ZUGFeRD 2.x, XRechnung CII; ZUGFeRD 1.0's dialect);
- ``pdf``: the invoice XML embedded in a PDF (Factur-X, ZUGFeRD, Odoo's UBL in PDF);
- ``compare``: a PDF's text layer against the XML it carries.
"""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from connect.einvoice import cii, ubl
from connect.einvoice.model import Attachment, Check, EInvoice
from connect.einvoice.xml import MAX_SIZE, EInvoiceError, parse_root

__all__ = ["Attachment", "Check", "EInvoice", "EInvoiceError", "parse"]


def parse(source: bytes | Path, *, max_size: int = MAX_SIZE) -> EInvoice:
    """Read a UBL or CII invoice or credit note from its bytes or its file."""
    root = parse_root(source, max_size=max_size)
    if ubl.is_ubl(root):
        return ubl.read(root)
    if cii.is_cii(root):
        return cii.read(root)
    raise EInvoiceError(
        _(
            "The XML file is not an e-invoice: send a Peppol UBL or a CII (Factur-X, XRechnung) "
            "invoice or credit note."
        ),
        "xml_not_einvoice",
    )
