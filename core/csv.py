"""CSV cells, for every export: a value as a spreadsheet should read it, and the placeholder
texts other tools write for "nothing" ("NULL", "n/a", "-"), which are shown and exported as
nothing."""

from typing import Any

#: Texts that stand for "nothing" in data written by other tools.
NOTHING = frozenset({"", "NULL", "NONE", "NIL", "NA", "N/A", "NAN", "-", "--", "—", "?", "0"})


def plain_text(value: object) -> str:
    """A text as it may be shown: trimmed, single spaces; "" for a placeholder."""
    text = " ".join(str(value or "").split())
    return "" if text.upper() in NOTHING else text


def csv_cell(kind: str, value: Any) -> str:
    """A value as a CSV cell: ISO months and quarters, and a text a spreadsheet could take for
    a formula quoted."""
    if value is None or (kind == "text" and not plain_text(value)):
        return ""  # never "None" or "NULL"
    if kind == "month":
        return value.strftime("%Y-%m")
    if kind == "quarter":
        return f"{value.year}-Q{(value.month - 1) // 3 + 1}"
    text = str(value)
    if kind == "text" and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text  # a spreadsheet must not run a formula read from an invoice
    return text
