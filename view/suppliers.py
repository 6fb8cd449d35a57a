"""Who a supplier is, for View's figures: its VAT number when one was read, else its name,
both compared in a normalised form; header text that is not a company's name is no supplier.

- A VAT number is compared without spaces, dots, dashes or case ("BE 0123.456.789" is
  "BE0123456789"); a Belgian number written without its country ("0123.456.789") gets "BE".
  What does not look like a VAT number at all ("NULL", "n/a", "-") is none.
- A name is compared folded (no case, no accents), without punctuation or spaces and without
  its legal form ("Meunerie Dupont SA" is "Meunerie Dupont", so is "MEUNERIE DUPONT").
- A name made only of the words of a till receipt's header or of a document's title ("TICKET
  DE CAISSE", "KASSABON", "REÇU", "TOTAL 23,40", "FACTURE"), or of no word at all, names
  nobody. (The figures count a name only when it was read with confidence: see
  ``view.queries.top_suppliers``.)
"""

import re
from functools import lru_cache

from connect.recognition.labels import LEGAL_FORM
from connect.recognition.layout import fold
from core.csv import NOTHING, plain_text

_VAT = re.compile(r"^[A-Z]{2}[0-9A-Z]{2,13}$")
_BE_DIGITS = re.compile(r"^[01]?[0-9]{9}$")

#: Words of a till receipt's header or of a document's title. A "name" made of these (and of
#: numbers) only, such as "TICKET DE CAISSE", "KASSABON 0042" or "TOTAL 23,40", is no supplier.
_NOT_A_NAME_WORD = re.compile(
    r"(?:tickets?|kasticket|kassaticket|kassabon|kasbon|kassenbon|kassenzettel|bons?|recus?"
    r"|quittance|quittung|receipt|caisse|kassa|kasse|total|totaal|totale|summe|gesamt|sous"
    r"|subtotal|subtotaal|facture|factuur|rechnung|invoice|note|nota|credit|creditnota|devis"
    r"|offerte|tva|btw|mwst|vat|htva|tvac|incl|excl|date|datum|heure|uur|merci|bedankt|danke"
    r"|thanks?|you|client|klant|kunde|customer|copie|kopie|copy|duplicata|original|vente"
    r"|verkoop|simplifiee?|vereenvoudigde?|cb|bancontact|carte|kaart|cash|especes|contant|visa"
    r"|maestro|paiement|betaling|payer|betalen|te|a|de|du|la|le|les|des|van|der|het|voor|pour"
    r"|n|nr|no|num|numero|nummer|eur|euro)"
)


def vat_key(value: object) -> str:
    """The VAT number as it is compared and shown ("BE0123456789"), or "" for none."""
    text = re.sub(r"[^0-9A-Za-z]", "", str(value or "")).upper()
    if str(value or "").strip().upper() in NOTHING or text in NOTHING:
        return ""
    if _BE_DIGITS.match(text):
        return "BE" + text.zfill(10)
    return text if _VAT.match(text) and any(c.isdigit() for c in text) else ""


def name_key(value: object) -> str:
    """A name as it is compared ("meuneriedupont": "Meunerie-Dupont" is the same), or "" when
    it names no supplier."""
    return _name_key(value) if isinstance(value, str) else _name_key_of(value)


@lru_cache(maxsize=4096)
def _name_key(value: str) -> str:
    """``name_key`` of a text, remembered: a dashboard compares the same few hundred names on
    every page."""
    return _name_key_of(value)


def _name_key_of(value: object) -> str:
    text = plain_text(value)
    if not text:
        return ""
    folded = fold(text)
    words = re.findall(r"[a-z0-9]+", folded.replace(".", ""))
    if not any(re.search(r"[a-z]{2}", word) for word in words):
        return ""  # digits, a date, an amount: no name
    if all(word.isdigit() or _NOT_A_NAME_WORD.fullmatch(word) for word in words):
        return ""
    kept = re.findall(r"[a-z0-9]+", LEGAL_FORM.sub(" ", folded.replace(".", "")))
    return "".join(kept or words)[:200]
