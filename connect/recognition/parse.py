"""Values as printed, read into normal forms: amounts, dates, invoice numbers, and the numbers
that carry a checksum (VAT numbers, IBANs, Belgian structured communications)."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from stdnum import iban as stdnum_iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from .labels import MONTHS

# Characters OCR reads in place of digits, inside numbers that must be all digits.
OCR_DIGITS = str.maketrans("OoDQIl|!SsBZz", "0000111155822")

# A currency printed before an amount: symbols and ISO codes.
CURRENCY_PREFIX = r"(?:€|US\$|\$|£|₹|Rs\.?|EUR|Eur|eur|USD|GBP|CHF|INR)"
_AMOUNT = re.compile(
    rf"(?<![\w.,/+-])(?P<neg>-\s?)?(?:{CURRENCY_PREFIX}\s?)?(?P<neg2>-\s?)?"
    r"(?P<int>\d{1,3}(?:[.,' ]\d{3})+|\d{1,2}(?:,\d{2})+,\d{3}|\d+)(?P<dec>[.,]\d{2})"
    r"(?!\d|[.,]\d|\s?%)"
)


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: bool


def amounts(text: str, folded: str = "") -> list[Amount]:
    found = []
    for match in _AMOUNT.finditer(text):
        digits = re.sub(r"\D", "", match.group("int"))
        try:
            value = Decimal(f"{digits}.{match.group('dec')[1:]}")
        except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
            continue
        if match.group("neg") or match.group("neg2"):
            value = -value
        tail = text[match.end() : match.end() + 4]
        currency = "€" in match.group() or "EUR" in match.group().upper() or "€" in tail
        found.append(Amount(value, currency or "EUR" in tail.upper()))
    return found


_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUMERIC_DATE = re.compile(
    r"(?<![\d.,/-])(\d{1,2})\s?([./-])\s?(\d{1,2})\s?\2\s?(\d{4}|\d{2})(?!\d|[.,/-]\d)"
)
_ISO_DATE = re.compile(r"(?<![\d.,/-])(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_LONG_DATE = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:er|e|st|nd|rd|th)?\.?\s{{0,2}}(?:de\s)?({_MONTH})\.?,?\s{{1,2}}(?:de\s)?"
    r"(\d{4})"
    r"(?!\d)"
)
_LONG_DATE_EN = re.compile(
    rf"(?<![a-z])({_MONTH})\.?\s{{1,2}}(\d{{1,2}})(?:st|nd|rd|th)?,?\s{{1,2}}(\d{{4}})(?!\d)"
)


def _date(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000
    if month > 12 >= day:  # 03/31/2026: an English month-first date
        month, day = day, month
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value if 2000 <= value.year <= 2100 else None


def ambiguous_dates(text: str) -> bool:
    """A numeric date that reads both ways (03/11/2017: 3 November or March 11)."""
    return any(
        int(match.group(1)) <= 12 and int(match.group(3)) <= 12 and match.group(1) != match.group(3)
        for match in _NUMERIC_DATE.finditer(text)
    )


def us_dates(text: str, folded: str) -> list[date]:
    """Dates of a document that writes them month first (an American invoice)."""
    return dates(text, folded, month_first=True)


def dates(text: str, folded: str, *, month_first: bool = False) -> list[date]:
    found: list[tuple[int, date]] = []
    for match in _NUMERIC_DATE.finditer(text):
        day, _, month, year = match.groups()
        if month_first:
            day, month = month, day
        value = _date(int(year), int(month), int(day))
        if value:
            found.append((match.start(), value))
    for match in _ISO_DATE.finditer(text):
        year, month, day = match.groups()
        if value := _date(int(year), int(month), int(day)):
            found.append((match.start(), value))
    for match in _LONG_DATE.finditer(folded):
        day, month, year = match.groups()
        if value := _date(int(year), MONTHS[month], int(day)):
            found.append((match.start(), value))
    for match in _LONG_DATE_EN.finditer(folded):
        month, day, year = match.groups()
        if value := _date(int(year), MONTHS[month], int(day)):
            found.append((match.start(), value))
    return [value for _, value in sorted(found, key=lambda item: item[0])]


_NUMBER_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9/._-]|\s(?=\d{3,}\b))*")
_NUMBER_PREFIX = re.compile(r"^[\s:.#°º*-]*(?:(?:n\s?[°o]|nr|no)\.?\s?:?\s*)?", re.IGNORECASE)


def invoice_numbers(text: str, folded: str = "") -> list[str]:
    """The first token after a label, if it looks like an invoice number."""
    rest = text[_NUMBER_PREFIX.match(text).end() :]  # type: ignore[union-attr]
    match = _NUMBER_TOKEN.match(rest)
    if not match:
        return []
    token = match.group().rstrip("./-_")
    if not (2 <= len(token) <= 30) or not any(char.isdigit() for char in token):
        return []
    if dates(token, token.lower()) or _AMOUNT.fullmatch(token) or re.fullmatch(r"BE\d{10}", token):
        return []
    return [token.replace(" ", "")]


# Checksummed numbers. Each finder returns (start, end, normalised value, needed OCR fixes).
@dataclass(frozen=True)
class Found:
    start: int
    end: int
    value: str
    repaired: bool
    prefixed: bool = True


def be_vat_checksum(digits: str) -> bool:
    return len(digits) == 10 and digits[0] in "01" and 97 - int(digits[:8]) % 97 == int(digits[8:])


_BE_VAT = re.compile(
    r"(?<![A-Za-z0-9])(?P<prefix>B\s?E|8E)?[\s.:-]{0,3}"
    r"(?P<n>[0-9OoIlSB]{3,4}[\s.-]?[0-9OoIlSB]{3}[\s.-]?[0-9OoIlSB]{3})(?![0-9A-Za-z])"
)


_VAT_LABEL_BEFORE = re.compile(
    r"(?i)(?:tva|btw|vat|mwst|ust|entreprise|onderneming|unternehm|company|kbo|bce)[^0-9]{0,25}$"
)


def be_vats(line: str) -> list[Found]:
    found = []
    for match in _BE_VAT.finditer(line):
        raw = re.sub(r"[\s.-]", "", match.group("n"))
        digits = raw.translate(OCR_DIGITS)
        prefixed = bool(match.group("prefix"))
        if len(digits) == 9 and prefixed:
            digits = "0" + digits
        if not digits.isdigit() or not be_vat_checksum(digits):
            continue
        # Without "BE", only the usual dotted form or a number after its label.
        if (
            not prefixed
            and not re.fullmatch(r"[01]\d{3}\.\d{3}\.\d{3}", match.group("n"))
            and not _VAT_LABEL_BEFORE.search(line[: match.start("n")])
        ):
            continue
        found.append(
            Found(match.start(), match.end(), f"BE{digits}", raw != digits, prefixed=prefixed)
        )
    return found


_EU_VAT = re.compile(
    r"(?<![A-Za-z0-9])(?P<cc>AT|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT"
    r"|RO|SE|SI|SK|XI)(?:\s{1,2}|[.-])?(?P<body>[0-9A-Z](?:[\s.-]?[0-9A-Z]){7,13})"
)


def eu_vats(line: str) -> list[Found]:
    found = []
    for match in _EU_VAT.finditer(line):
        body = re.sub(r"[\s.-]", "", match.group("body"))
        for length in range(len(body), 7, -1):
            number = match.group("cc") + body[:length]
            if sum(char.isdigit() for char in number) >= 7 and eu_vat.is_valid(number):
                found.append(Found(match.start(), match.end(), eu_vat.compact(number), False))
                break
    return found


_IBAN = re.compile(
    r"(?<![A-Za-z0-9])(?P<cc>[A-Z]{2}|8E)\s?(?P<rest>[0-9OoIlSB]{2}(?:[\s.-]?[0-9A-Za-z]){10,32})"
)


def _iban_valid(number: str) -> float:
    """0.95 for a valid IBAN, 0.85 when only the bank code is unknown to python-stdnum."""
    if stdnum_iban.is_valid(number):
        return 0.95
    try:
        stdnum_iban.validate(number, check_country=False)
    except ValidationError:
        return 0.0
    if number.startswith("BE") and not structured_checksum(number[4:]):
        return 0.0  # a Belgian account number carries the same mod-97 check digits
    return 0.85


def ibans(line: str) -> list[tuple[Found, float]]:
    found = []
    for match in _IBAN.finditer(line):
        country = "BE" if match.group("cc") == "8E" else match.group("cc")
        rest = re.sub(r"[\s.-]", "", match.group("rest"))
        fixed = rest.upper().translate(OCR_DIGITS) if country == "BE" else rest.upper()
        fixed = fixed[:2].translate(OCR_DIGITS) + fixed[2:]
        for length in range(len(fixed), 11, -1):
            number = country + fixed[:length]
            score = _iban_valid(number)
            if score:
                repaired = number[2:] != rest[:length].upper() or country != match.group("cc")
                found.append(
                    (Found(match.start(), match.end(), number, repaired), score - 0.15 * repaired)
                )
                break
    return found


def structured_checksum(digits: str) -> bool:
    return len(digits) == 12 and (int(digits[:10]) % 97 or 97) == int(digits[10:])


def format_structured(digits: str) -> str:
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


# OCR often reads "+++" as "+44" or "44+", glued to the digits: up to two extra digits are
# allowed on either side and the check digits decide.
_STRUCTURED = re.compile(
    r"(?P<open>[+*]\s?[+*]\s?[+*]|[+*#]{1,3})?\s?(?<![\d/])(?P<a>[0-9OoIlSB]{3,5})\s?/\s?"
    r"(?P<b>[0-9OoIlSB]{4})\s?/\s?(?P<c>[0-9OoIlSB]{5,7})(?![0-9])\s?(?P<close>[+*#]{1,3})?"
)
_STRUCTURED_LABEL = re.compile(
    r"(?:communication|mededeling|mitteilung|referen\w*|ogm|vcs|structur\w*|gestructureerd\w*)"
    r"[^0-9\n]{0,40}?(?<!\d)(?P<n>\d{3}\s?\d{4}\s?\d{5})(?!\d)"
)


def structured_references(line: str, folded: str) -> list[tuple[Found, float]]:
    found = []
    for match in _STRUCTURED.finditer(line):
        a, c = match.group("a"), match.group("c")
        junk = len(a) > 3 or len(c) > 5
        if junk and not (match.group("open") or match.group("close")):
            continue
        raw = a[-3:] + match.group("b") + c[:5]
        digits = raw.translate(OCR_DIGITS)
        if not structured_checksum(digits):
            continue
        delimited = bool(match.group("open") or match.group("close"))
        labelled = bool(re.search(r"communic|mededel|mitteil|referen|ogm|vcs", folded))
        score = 0.95 if delimited else 0.85 if labelled else 0.7
        repaired = raw != digits or junk
        found.append(
            (
                Found(match.start(), match.end(), format_structured(digits), repaired),
                score - 0.15 * repaired,
            )
        )
    for match in _STRUCTURED_LABEL.finditer(folded):
        digits = re.sub(r"\s", "", match.group("n"))
        if structured_checksum(digits):
            found.append(
                (Found(match.start("n"), match.end("n"), format_structured(digits), False), 0.8)
            )
    return found


_VAT_SHAPED = re.compile(
    r"(?<![A-Za-z0-9])(?P<cc>AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL"
    r"|PT|RO|SE|SI|SK|XI)[\s.-]?(?P<body>U?\d(?:[\s.]?[0-9A-Z]){7,11})(?![0-9A-Za-z])"
)
_VAT_LABEL = re.compile(r"(?i)\b(?:tva|btw|vat|mwst|ust|iva|moms|alv|dic|nip)|umsatzsteuer")


def unchecked_vats(line: str) -> list[Found]:
    """Numbers printed after a VAT label in an EU country's shape whose check digits fail: a
    misprint, a misread, or a specimen's number. Never trusted, only shown as doubtful."""
    found = []
    for match in _VAT_SHAPED.finditer(line):
        if not _VAT_LABEL.search(line[max(0, match.start() - 30) : match.start()]):
            continue
        number = match.group("cc") + re.sub(r"[\s.]", "", match.group("body"))
        if sum(char.isdigit() for char in number) >= 8 and not eu_vat.is_valid(number):
            found.append(Found(match.start(), match.end(), number, False))
    return found


_FOREIGN_TAX = re.compile(
    r"(?i)(?<![a-z])(?P<label>gstin|gst(?:\s?(?:no|number|reg\w*|id))?|abn|ein|tax\s?id|uid"
    r"|vat(?:\s?reg\w*)?(?:\s?(?:no|number|id))?|mwst(?:[\s.-]?nr)?|tva|pan)"
    r"[\s.:#°-]{1,4}(?P<id>(?:GB|CH|NO|IN|US|AU|CA|JP)?[\s-]?[0-9A-Z][0-9A-Z .-]{5,20}[0-9A-Z])"
)


def foreign_tax_ids(line: str) -> list[str]:
    """Tax numbers after a tax label that are not the VAT number of an EU country: a UK, Swiss,
    Indian, US or Australian number."""
    found = []
    for match in _FOREIGN_TAX.finditer(line):
        raw = match.group("id").strip()
        token = re.match(r"[0-9A-Z](?:[0-9A-Z.-]|\s(?=[0-9]))*", raw)
        value = token.group().rstrip(".-") if token else raw
        compact = re.sub(r"[\s.-]", "", value)
        if sum(char.isdigit() for char in compact) < 6 or len(compact) > 16:
            continue
        if _EU_VAT.match(compact) or re.match(r"BE[01]?\d{9}$", compact):
            continue
        if dates(value, value.lower()) or _AMOUNT.fullmatch(value):
            continue
        found.append(value)
    return found
