"""Keyset cursors for lists ordered by (time, id) descending: the position of the last row
shown, opaque to the browser (URL-safe base64). A cursor that does not decode is None: the
list starts again from the top."""

import base64
import binascii
from datetime import datetime


def cursor_encode(when: datetime | None, pk: int) -> str:
    raw = f"{when.isoformat() if when else ''}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, pk = raw.split("|")
        return datetime.fromisoformat(when), int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None
