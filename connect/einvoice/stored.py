"""An e-invoice's preview kept with its document (``Document.einvoice_preview``), so that the
document page shows it without reading the file again: every fact of ``EInvoice`` as JSON,
the attachments without their bytes (they are stored as ``DocumentAttachment``), each check's
message written out in every language of the site (amounts formatted as each reader writes
them). ``VERSION`` changes when the shape does: an older preview is then read again once."""

import dataclasses
import types
import typing
from datetime import date
from decimal import Decimal
from typing import Any, Literal, Union

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise, lazy

from connect.einvoice.model import EInvoice

VERSION = 1
#: Kept for a file that could not be read as an e-invoice: not tried again on each view.
UNREADABLE: dict[str, Any] = {"version": VERSION, "unreadable": True}


def preview_dump(invoice: EInvoice) -> dict[str, Any]:
    return {"version": VERSION, "invoice": _dump(invoice)}


def preview_load(stored: Any) -> EInvoice | None:
    """The stored invoice; None when the file was unreadable. ``KeyError`` when there is no
    preview of the current version (the caller reads the file then)."""
    if not isinstance(stored, dict) or stored.get("version") != VERSION:
        raise KeyError("einvoice_preview")
    if stored.get("unreadable"):
        return None
    return typing.cast(EInvoice, _load(EInvoice, stored["invoice"]))


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _dump(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.type is not bytes and f.name != "content"
        }
    if isinstance(value, tuple | list):
        return [_dump(item) for item in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Promise):
        texts = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                texts[code] = str(value)
        return {"texts": texts}
    return value


def _text_in_language(texts: dict[str, str]) -> str:
    language = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
    return texts.get(language) or texts.get(settings.LANGUAGE_CODE) or next(iter(texts.values()))


_lazy_text = lazy(_text_in_language, str)


def _load(kind: Any, data: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (Union, types.UnionType):
        if data is None:
            return None
        if isinstance(data, dict) and "texts" in data:  # a message (str | Promise)
            return _lazy_text(data["texts"])
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _load(options[0], data)
    if origin is tuple:
        item = typing.get_args(kind)[0]
        return tuple(_load(item, value) for value in data)
    if origin is Literal:
        return data
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        values = {}
        for f in dataclasses.fields(kind):
            if f.name == "content":
                values[f.name] = b""
            else:
                values[f.name] = _load(hints[f.name], data[f.name])
        return typing.cast(Any, kind)(**values)
    if kind is Decimal:
        return Decimal(data)
    if kind is date:
        return date.fromisoformat(data)
    return data
