"""The attachments of an e-invoice (base64 in the XML): decoded within a size limit, their type
sniffed, and a ``Check`` for each one left out or not what it declares."""

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterable

import magic
from django.utils.translation import gettext_lazy as _

from connect.einvoice.model import Attachment, Check
from connect.einvoice.xml import lazy_filesize, lazy_format

MAX_ATTACHMENT_SIZE = 20 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
#: Attachment types Peppol BIS (and EN 16931) allow, and what libmagic may answer for each.
ATTACHMENT_TYPES: dict[str, frozenset[str]] = {
    "application/pdf": frozenset({"application/pdf"}),
    "image/png": frozenset({"image/png"}),
    "image/jpeg": frozenset({"image/jpeg"}),
    "text/csv": frozenset({"text/csv", "text/plain"}),
    XLSX: frozenset({XLSX, "application/zip"}),  # some libmagic versions only see the zip
    ODS: frozenset({ODS}),
}
SNIFF_BYTES = 1024 * 1024


def clean_name(name: str) -> str:
    """A name fit to show in a message: no path, no control or bidi characters, bounded (the
    receiving side makes it a safe file name before anything is stored)."""
    name = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    return " ".join(name.split())[:150]


def attachments_decode(
    found: Iterable[tuple[str, str, str, str]],
) -> tuple[tuple[Attachment, ...], list[Check]]:
    """Each attachment of an e-invoice, given as (base64 text, file name, declared type,
    description), decoded; the checks of those left out or not what they declare."""
    attachments: list[Attachment] = []
    checks: list[Check] = []
    for encoded, filename, declared, description in found:
        attachment, failed = attachment_decode(
            encoded=encoded, filename=filename, declared=declared, description=description
        )
        checks += failed
        if attachment is not None:
            attachments.append(attachment)
    return tuple(attachments), checks


def attachment_decode(
    *, encoded: str, filename: str, declared: str, description: str
) -> tuple[Attachment | None, list[Check]]:
    """A base64 attachment of an e-invoice, decoded within the limit and sniffed; what cannot
    be decoded or is too large is left out with a failed check."""
    filename = clean_name(filename) or "attachment"
    encoded = "".join(encoded.split())
    content = None
    # Four base64 characters make three bytes: nothing too large is decoded.
    if len(encoded) <= (MAX_ATTACHMENT_SIZE + 2) // 3 * 4:
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            message = _("The attachment %(name)s cannot be decoded and was left out.")
            return None, [
                Check("attachment_unreadable", lazy_format(message, name=filename), ok=False)
            ]
    if content is None or len(content) > MAX_ATTACHMENT_SIZE:
        message = _("The attachment %(name)s is larger than %(limit)s and was left out.")
        limit = lazy_filesize(MAX_ATTACHMENT_SIZE)
        return None, [
            Check(
                "attachment_too_large", lazy_format(message, name=filename, limit=limit), ok=False
            )
        ]
    declared = declared.split(";")[0].strip().lower()
    sniffed = magic.from_buffer(content[:SNIFF_BYTES], mime=True)
    matches = sniffed in ATTACHMENT_TYPES.get(declared, frozenset())
    attachment = Attachment(
        filename=filename,
        declared_type=declared,
        content=content,
        description=description,
        sniffed_type=sniffed,
        type_matches=matches,
    )
    if matches:
        return attachment, []
    message = _(
        "The attachment %(name)s is not what it declares (%(declared)s) "
        "or not a type Peppol allows: open it with care."
    )
    return attachment, [
        Check(
            "attachment_type",
            lazy_format(message, name=filename, declared=declared or "—"),
            ok=False,
        )
    ]
