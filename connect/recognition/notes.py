"""What the reader noticed about a document, beside its facts: codes in `Recognition.notes`
("code" or "code:value"), shown to people with the messages below (translated at display)."""

from typing import Any


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogues (makemessages reads the name) without needing
    Django's settings: recognition also runs outside Django (the bench's worker processes)."""
    return message


MESSAGES = {
    "blank": gettext_noop("The page is blank: nothing to read."),
    "upside_down": gettext_noop("The scan was upside down; it was turned before reading."),
    "turned": gettext_noop("The scan was on its side; it was turned before reading."),
    "unreadable": gettext_noop(
        "The scan could not be read (upside down, blurred or too faint): no facts were taken."
    ),
    "not_eu_vat": gettext_noop("Not an EU VAT number: %(value)s"),
    "vat_checksum": gettext_noop("This VAT number fails its check digits: %(value)s"),
}


def note_json(note: str) -> dict[str, Any]:
    """{"code", "message" (English), "value"} for the API; the view translates the message."""
    code, _, value = note.partition(":")
    message = MESSAGES.get(code, code)
    return {
        "code": code,
        "message": message % {"value": value} if "%(value)s" in message else message,
        "value": value or None,
    }
