"""The checks of an e-invoice a user is shown: the EN 16931 sums, the supplier's VAT number
and the IBAN. Inconsistencies are ``Check`` results shown to the user, never refusals (missing
mandatory facts make the document unreadable: ``EInvoiceError``)."""

from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from connect.einvoice.model import Check, EInvoice
from connect.einvoice.values import lazy_amount, vat_valid
from connect.einvoice.xml import lazy_format


def _sum_check(
    code: str, computed: Decimal | None, stated: Decimal, ok_message: Promise, failed: Promise
) -> Check:
    if computed is not None and computed == stated:
        return Check(code, ok_message, ok=True)
    return Check(
        code,
        lazy_format(
            failed,
            computed="—" if computed is None else lazy_amount(computed),
            stated=lazy_amount(stated),
        ),
        ok=False,
    )


def consistency_checks(invoice: EInvoice) -> list[Check]:
    """The EN 16931 sums (BR-CO-10, 13, 14, 15, 16), the supplier's VAT number and the IBAN."""
    line_totals = [line.line_total for line in invoice.lines]
    zero = Decimal(0)
    checks = []
    net = invoice.line_extension_amount
    # CII's MINIMUM and BASIC WL profiles carry no lines, MINIMUM not even their net total.
    if net is not None and invoice.lines:
        checks.append(
            _sum_check(
                "lines_total",
                None if None in line_totals else sum((t or zero for t in line_totals), zero),
                net,
                _("The invoice lines add up to the net total."),
                _(
                    "The invoice lines add up to %(computed)s, not to the stated net total "
                    "%(stated)s."
                ),
            )
        )
    if net is not None:
        checks.append(
            _sum_check(
                "tax_exclusive_total",
                net - (invoice.allowance_total or zero) + (invoice.charge_total or zero),
                invoice.total_excl_vat,
                _("The net total, allowances and charges add up to the total excluding VAT."),
                _(
                    "The net total less allowances plus charges is %(computed)s, not the stated "
                    "total excluding VAT %(stated)s."
                ),
            )
        )
    checks += [
        _sum_check(
            "tax_inclusive_total",
            invoice.total_excl_vat + invoice.total_vat,
            invoice.total_incl_vat,
            _("The total excluding VAT plus VAT is the total including VAT."),
            _(
                "The total excluding VAT plus VAT is %(computed)s, not the stated total "
                "including VAT %(stated)s."
            ),
        ),
        _sum_check(
            "payable_amount",
            invoice.total_incl_vat
            - (invoice.prepaid_amount or zero)
            + (invoice.rounding_amount or zero),
            invoice.payable_amount,
            _("The amount due follows from the total including VAT."),
            _(
                "The total including VAT less prepaid amounts plus rounding is %(computed)s, "
                "not the stated amount due %(stated)s."
            ),
        ),
    ]
    if invoice.vat_breakdown:  # none in CII's MINIMUM profile
        checks.append(
            _sum_check(
                "vat_breakdown_total",
                sum((line.tax_amount for line in invoice.vat_breakdown), zero),
                invoice.total_vat,
                _("The VAT breakdown adds up to the VAT total."),
                _(
                    "The VAT breakdown adds up to %(computed)s, not to the stated VAT total "
                    "%(stated)s."
                ),
            )
        )
    vat = invoice.supplier.vat
    valid = vat_valid(vat) if vat else None
    if vat and valid is not None:
        checks.append(
            Check("supplier_vat", _("The supplier's VAT number is valid."), ok=True)
            if valid
            else Check(
                "supplier_vat",
                lazy_format(_("The supplier's VAT number %(vat)s is not valid."), vat=vat),
                ok=False,
            )
        )
    if invoice.payee_account:
        checks.append(
            Check("iban", _("The IBAN is valid."), ok=True)
            if invoice.iban
            else Check(
                "iban",
                lazy_format(
                    _("The bank account %(account)s is not a valid IBAN."),
                    account=invoice.payee_account,
                ),
                ok=False,
            )
        )
    return checks
