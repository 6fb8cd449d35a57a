"""Keyset cursors: the position of the last row shown (its sort key and id), opaque to the
browser (URL-safe base64). A cursor that does not decode is None: the list starts again from
the top. Lists ordered by (time, id) use ``cursor_encode``; lists ordered by a name use
``name_cursor_encode``."""

import base64
import binascii
import json
from datetime import datetime


def _pack(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _unpack(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()


def cursor_encode(when: datetime | None, pk: int) -> str:
    return _pack(f"{when.isoformat() if when else ''}|{pk}")


def cursor_decode(cursor: str) -> tuple[datetime, int] | None:
    try:
        when, pk = _unpack(cursor).split("|")
        return datetime.fromisoformat(when), int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


def name_cursor_encode(name: str, pk: int) -> str:
    return _pack(json.dumps([name, pk]))


def name_cursor_decode(cursor: str) -> tuple[str, int] | None:
    try:
        name, pk = json.loads(_unpack(cursor))
        return str(name), int(pk)
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
        return None
