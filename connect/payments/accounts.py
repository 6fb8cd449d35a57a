"""Supplier payments: the client company's paying accounts (the accounts it pays suppliers
from), who may make payments, and the checks of IBANs, BICs and structured communications
shared with the batches (``connect.payments.batches``)."""

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from connect.models import PayingAccount
from core.errors import ServiceError
from dossiers.access import require_connect_role
from dossiers.models import Dossier, Role
from users.models import User

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def require_entrepreneur(actor: User, dossier: Dossier) -> None:
    """Payments are the client company's: only its entrepreneurs make them."""
    require_connect_role(
        actor=actor,
        dossier=dossier,
        roles=(Role.CONNECT_ENTREPRENEUR,),
        message=_("Only the client of the dossier can make payments."),
    )


def text_clean(value: str) -> str:
    """The text on one line: control characters and runs of spaces made one space."""
    return " ".join(CONTROL.sub(" ", value or "").split())


def iban_clean(value: str) -> str | None:
    """The IBAN in its compact form, or None when its checksum (mod 97) fails. The same rule as
    the facts read from invoices: some real Belgian accounts fail stdnum's national check."""
    from stdnum import iban as stdnum_iban

    try:
        return str(stdnum_iban.validate(text_clean(value), check_country=False))
    except Exception:  # stdnum raises its own ValidationError subclasses: all mean "not valid"
        return None


def bic_clean(value: str) -> str | None:
    from stdnum import bic as stdnum_bic

    try:
        return str(stdnum_bic.validate(text_clean(value)))
    except Exception:  # stdnum's ValidationError: not valid
        return None


def reference_clean(value: str) -> str | None:
    """A Belgian structured communication as +++123/4567/89002+++, or None when its checksum
    (mod 97) fails."""
    from stdnum.be import ogm_vcs

    try:
        digits = ogm_vcs.validate(text_clean(value))
    except Exception:  # stdnum's ValidationError: not valid
        return None
    return "+++" + str(ogm_vcs.format(digits)).strip("+") + "+++"


def paying_account_add(
    *, actor: User, dossier: Dossier, name: str, iban: str, bic: str = ""
) -> PayingAccount:
    """Record a bank account of the client company to pay suppliers from."""
    require_entrepreneur(actor, dossier)
    name = text_clean(name)
    if not name:
        raise ServiceError(_("Enter the account holder."), code="name_required", field="name")
    if len(name) > 70:
        raise ServiceError(
            _("Enter at most 70 characters for the account holder."),
            code="name_too_long",
            field="name",
        )
    compact = iban_clean(iban)
    if compact is None:
        raise ServiceError(
            _("Enter a valid IBAN (for example BE71 0961 2345 6769)."),
            code="iban_invalid",
            field="iban",
        )
    bic_value = ""
    if text_clean(bic):
        bic_checked = bic_clean(bic)
        if bic_checked is None:
            raise ServiceError(
                _("Enter a valid BIC (for example GKCCBEBB), or leave it empty."),
                code="bic_invalid",
                field="bic",
            )
        bic_value = bic_checked
    if PayingAccount.objects.filter(dossier=dossier, iban=compact).exists():
        raise ServiceError(
            _("This account is already recorded for the dossier."),
            code="account_exists",
            field="iban",
        )
    try:
        with transaction.atomic():
            return PayingAccount.objects.create(
                dossier=dossier, name=name, iban=compact, bic=bic_value
            )
    except IntegrityError:  # recorded at the same moment by another request
        raise ServiceError(
            _("This account is already recorded for the dossier."),
            code="account_exists",
            field="iban",
        ) from None
