"""A hybrid PDF's two faces: the facts of its embedded XML against what its text layer prints.

The XML's facts are kept whatever the page says (they are exact); a fact disagrees when its XML
value is printed nowhere on the page *and* the reader of the page found another value it is
sure of. Both conditions: a page that merely formats a value otherwise, or that a reader misreads
with doubt, is no disagreement.
"""

import re
from decimal import Decimal, InvalidOperation

#: The facts compared, in the order they are shown.
COMPARED = ("total_incl_vat", "payable_amount", "supplier_vat", "invoice_number")
SURE = 0.8
#: A space or apostrophe that groups thousands ("1 234,56", "1'234.56").
_GROUPING = re.compile(r"(?<=\d)[ \u00a0\u2009\u202f'’](?=\d{3}(?!\d))")


def _compact(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def _amount_forms(value: str) -> set[str]:
    """How a page may print an amount: ``1234.56``, ``1234,56``, ``1.234,56``, ``1,234.56``."""
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return set()
    units, cents = f"{abs(amount):.2f}".split(".")
    grouped = f"{int(units):,}"
    return {
        f"{units}.{cents}",
        f"{units},{cents}",
        f"{grouped}.{cents}",
        f"{grouped.replace(',', '.')},{cents}",
    }


def printed(key: str, value: str, text: str) -> bool:
    """Whether the page's text shows ``value`` for the fact ``key``."""
    if key in ("total_incl_vat", "payable_amount"):
        packed = _GROUPING.sub("", text)
        return any(
            re.search(rf"(?<![\d.,]){re.escape(form)}(?!\d)", packed)
            for form in _amount_forms(value)
        )
    if key == "supplier_vat":
        digits = re.sub(r"\D", "", value)
        return bool(digits) and digits in re.sub(r"\D", "", text)
    # As a word of its own ("1" is not printed by "2021"), or, spaced out, once compacted.
    alone = rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])"
    return bool(re.search(alone, text)) or (len(value) >= 6 and _compact(value) in _compact(text))


def disagreements(
    facts: dict[str, object], text: str, read: dict[str, tuple[str, float]]
) -> list[dict[str, str]]:
    """The XML's facts that the page contradicts: ``[{"fact", "xml", "pdf"}]``. ``read`` holds
    what the page's reader found, with its confidence, per fact."""
    found = []
    for key in COMPARED:
        value = facts.get(key)
        if not isinstance(value, str) or not value or key not in read:
            continue
        other, confidence = read[key]
        if confidence < SURE or other == value or printed(key, value, text):
            continue
        found.append({"fact": key, "xml": value, "pdf": other})
    return found
