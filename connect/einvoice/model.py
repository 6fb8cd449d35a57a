"""The facts of an e-invoice, one model whatever its syntax (UBL or CII): the invoice, its
parties, lines, VAT breakdown and attachments, and the checks a user is shown.

The values are read by ``connect.einvoice.values``, the attachments decoded by
``connect.einvoice.attachments`` and the checks made by ``connect.einvoice.checks``.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from django.utils.functional import Promise


@dataclass(frozen=True)
class VatLine:
    category: str
    percent: Decimal | None
    taxable_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class Attachment:
    filename: str
    declared_type: str
    content: bytes = field(repr=False)
    description: str
    sniffed_type: str
    type_matches: bool


@dataclass(frozen=True)
class Party:
    name: str
    trading_name: str | None
    vat: str | None
    enterprise_number: str | None
    endpoint: str | None
    street: str | None
    city: str | None
    postal_code: str | None
    country: str | None


@dataclass(frozen=True)
class Line:
    id: str
    description: str
    quantity: Decimal | None
    unit_code: str | None
    unit_price: Decimal | None
    base_quantity: Decimal | None
    line_total: Decimal | None
    vat_category: str | None
    vat_percent: Decimal | None


@dataclass(frozen=True)
class Check:
    code: str
    message: str | Promise
    ok: bool


@dataclass(frozen=True, kw_only=True)
class EInvoice:
    """One invoice or credit note with its facts, whatever the syntax it was written in."""

    syntax: Literal["ubl", "cii"]
    document_type: Literal["invoice", "credit_note"]
    invoice_number: str
    issue_date: date
    due_date: date | None
    currency: str
    supplier: Party
    customer: Party
    #: Optional in CII's MINIMUM profile, mandatory in UBL.
    line_extension_amount: Decimal | None
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    payable_amount: Decimal
    allowance_total: Decimal | None
    charge_total: Decimal | None
    prepaid_amount: Decimal | None
    rounding_amount: Decimal | None
    vat_breakdown: tuple[VatLine, ...]
    iban: str | None
    payee_account: str | None
    structured_reference: str | None
    payment_reference: str | None
    #: The payment terms as written (BT-20), e.g. "Zahlbar netto bis 11.03.2026".
    payment_terms: str | None
    buyer_reference: str | None
    order_reference: str | None
    lines: tuple[Line, ...]
    attachments: tuple[Attachment, ...]
    notes: tuple[str, ...]
    checks: tuple[Check, ...]

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.ok)

    def facts(self, *, embedded: bool = False) -> dict[str, object]:
        """The ``recognized`` object of the API (DESIGN.md §4), plus what only an e-invoice
        tells. ``source`` names the syntax, prefixed ``embedded_`` when the XML came out of a
        PDF (Factur-X, ZUGFeRD, an Odoo PDF)."""
        return {
            "supplier_name": self.supplier.name,
            "supplier_vat": self.supplier.vat,
            "invoice_number": self.invoice_number,
            "issue_date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "total_excl_vat": decimal_string(self.total_excl_vat),
            "total_vat": decimal_string(self.total_vat),
            "total_incl_vat": decimal_string(self.total_incl_vat),
            "payable_amount": decimal_string(self.payable_amount),
            "currency": self.currency,
            "iban": self.iban,
            "structured_reference": self.structured_reference,
            "confidence": "1.00",
            "document_type": self.document_type,
            "supplier_enterprise_number": self.supplier.enterprise_number,
            "supplier_endpoint": self.supplier.endpoint,
            "customer_name": self.customer.name,
            "customer_vat": self.customer.vat,
            "payment_reference": self.payment_reference,
            "vat_breakdown": [
                {
                    "category": line.category,
                    "percent": decimal_string(line.percent) if line.percent is not None else None,
                    "taxable_amount": decimal_string(line.taxable_amount),
                    "tax_amount": decimal_string(line.tax_amount),
                }
                for line in self.vat_breakdown
            ],
            "source": f"embedded_{self.syntax}" if embedded else self.syntax,
            "checks_failed": list(dict.fromkeys(check.code for check in self.failed_checks)),
        }


def decimal_string(value: Decimal) -> str:
    return format(value, "f")
