"""The values of an e-invoice, read the same whatever its syntax: VAT and enterprise numbers,
parties, IBANs, Belgian structured references, due dates written in the payment terms, and
amounts as messages show them."""

import re
from datetime import date
from decimal import Decimal

from django.utils.functional import lazy
from stdnum import iban as iban_number
from stdnum.be import ogm_vcs
from stdnum.be import vat as be_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.util import get_cc_module

from connect.einvoice.model import Party
from core.numbers import grouped


def _amount_text(value: Decimal) -> str:
    """An amount as the reader writes it ("1.234,56" in French), at least two decimals."""
    exponent = value.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return grouped(value, places)


#: An amount in a message, formatted in the language active when the message is shown.
lazy_amount = lazy(_amount_text, str)


def vat_number(value: str | None) -> str | None:
    """A VAT number without separators, its country prefix upper case; a Belgian number with
    its ten digits (``BE 0123.456.749`` and ``BE123456749`` read ``BE0123456749``)."""
    if not value:
        return None
    number = re.sub(r"[\s.\-/]", "", value).upper()
    if number.startswith("BE"):
        digits = be_vat.compact(number)
        if len(digits) == 10 and digits.isdigit():
            return f"BE{digits}"
    return number or None


def vat_valid(number: str) -> bool | None:
    """Whether the VAT number is valid; None when no rule is known for its country."""
    country = number[:2].lower()
    if country in eu_vat.MEMBER_STATES or country in ("el", "xi"):
        return bool(eu_vat.is_valid(number))
    try:
        module = get_cc_module(country, "vat")
    except (ImportError, ValidationError):  # pragma: no cover - unusual prefixes
        module = None
    return bool(module.is_valid(number)) if module is not None else None


def enterprise_number(
    *, legal_id: str, legal_scheme: str, vat: str | None, endpoint_id: str, endpoint_scheme: str
) -> str | None:
    """The Belgian enterprise (KBO/BCE) number: the legal registration with scheme 0208, or
    the ten digits of a Belgian VAT number (legal registration, VAT, or a 0208/9925 endpoint)."""
    candidates = []
    if legal_id and (legal_scheme == "0208" or legal_id.upper().startswith("BE")):
        candidates.append(legal_id)
    if vat and vat.startswith("BE"):
        candidates.append(vat)
    if endpoint_scheme in ("0208", "9925"):
        candidates.append(endpoint_id)
    for candidate in candidates:
        digits = be_vat.compact(candidate)
        if be_vat.is_valid(digits):
            return str(digits)
    return None


def party(
    *,
    name: str | None,
    trading_name: str | None,
    vat: str | None,
    legal: tuple[str, str],
    endpoint: tuple[str, str],
    streets: list[str | None],
    city: str | None,
    postal_code: str | None,
    country: str | None,
) -> Party:
    """A party from what its syntax says: ``legal`` and ``endpoint`` are (identifier, scheme)."""
    number = vat_number(vat)
    endpoint_id, endpoint_scheme = endpoint
    return Party(
        name=name or "",
        trading_name=trading_name,
        vat=number,
        enterprise_number=enterprise_number(
            legal_id=legal[0],
            legal_scheme=legal[1],
            vat=number,
            endpoint_id=endpoint_id,
            endpoint_scheme=endpoint_scheme,
        ),
        endpoint=(
            (f"{endpoint_scheme}:{endpoint_id}" if endpoint_scheme else endpoint_id)
            if endpoint_id
            else None
        ),
        street=", ".join(street for street in streets if street) or None,
        city=city,
        postal_code=postal_code,
        country=country,
    )


def iban_or_none(account: str | None) -> str | None:
    if not account:
        return None
    number = iban_number.compact(account)
    return str(number) if iban_number.is_valid(number) else None


def structured_reference(payment_id: str | None) -> str | None:
    """A Belgian structured communication (OGM/VCS) as ``+++123/4567/89002+++``."""
    if not payment_id:
        return None
    digits = ogm_vcs.compact(payment_id.strip().strip("*"))
    if not ogm_vcs.is_valid(digits):
        return None
    return f"+++{ogm_vcs.format(digits)}+++"


_TERMS_DUE = re.compile(
    r"\b(?:netto|net|nett|due|fällig|zahlbar|payable|à payer|te betalen|vervalt)\b[^.\d]{0,40}?"
    r"(?:(\d{1,2})[./](\d{1,2})[./](\d{4})|(\d{4})-(\d{2})-(\d{2}))(?!\d)",
    re.IGNORECASE,
)


def due_date_from_terms(terms: str | None) -> date | None:
    """The net due date that CII payment terms state in words when the invoice gives no due
    date (BT-9): a date right after "netto", "net", "due", "zahlbar", "payable"… ("3 % Skonto
    bis 21.02.2026, netto bis 11.03.2026" gives 11.03.2026; a discount date alone, nothing)."""
    found = []
    for match in _TERMS_DUE.finditer(terms or ""):
        day, month, year = (
            (match.group(1), match.group(2), match.group(3))
            if match.group(1)
            else (match.group(6), match.group(5), match.group(4))
        )
        try:
            found.append(date(int(year), int(month), int(day)))
        except ValueError:
            continue
    return max(found, default=None)
