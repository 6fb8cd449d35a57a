"""Reading e-invoice XML safely, whatever its syntax: one hardened parser and the value readers
that every syntax shares.

lxml parses with entities, DTDs and the network switched off, after a look at the prolog that
refuses any DOCTYPE or entity declaration before the parser sees it. Amounts are ``Decimal``,
never float, and bounded in length so that no huge number is built.
"""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

MAX_SIZE = 100 * 1024 * 1024
PROLOG_SCAN = 64 * 1024
FORBIDDEN_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
#: xs:decimal without exponent, NaN or infinity; bounded so no huge Decimal is built.
DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
MAX_DECIMAL_LENGTH = 40
CENT = Decimal("0.01")

_interpolate = lazy(lambda message, params: str(message) % params, str)
lazy_filesize = lazy(filesizeformat, str)


def lazy_format(message: str | Promise, **params: object) -> str:
    """``message % params``, translated when shown rather than when the file is read."""
    return _interpolate(message, params)


class EInvoiceError(Exception):
    """The file cannot be read as an e-invoice: ``code`` is a stable slug, ``message`` a
    translatable explanation for the user."""

    def __init__(self, message: str | Promise, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def forbidden() -> EInvoiceError:
    return EInvoiceError(
        _("The XML file contains a DOCTYPE or entities, which are not accepted."), "xml_forbidden"
    )


def too_large(limit: int) -> EInvoiceError:
    return EInvoiceError(
        lazy_format(_("The file is larger than %(limit)s."), limit=lazy_filesize(limit)),
        "xml_too_large",
    )


def invalid(name: str) -> EInvoiceError:
    return EInvoiceError(
        lazy_format(_("The e-invoice has an invalid value in %(field)s."), field=name),
        "ubl_invalid",
    )


def incomplete(missing: list[str]) -> EInvoiceError:
    return EInvoiceError(
        lazy_format(
            _("The e-invoice lacks mandatory facts: %(missing)s."), missing=", ".join(missing)
        ),
        "ubl_incomplete",
    )


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )


def check_prolog(head: bytes) -> None:
    # Removing NUL bytes lets the same pattern find the declaration in UTF-16 and UTF-32 too.
    if FORBIDDEN_DECLARATION.search(head) or FORBIDDEN_DECLARATION.search(head.replace(b"\0", b"")):
        raise forbidden()


def parse_root(source: bytes | Path, *, max_size: int = MAX_SIZE) -> etree._Element:
    """The root element of an XML document given as bytes or a file, read with every limit."""
    if isinstance(source, Path):
        if source.stat().st_size > max_size:
            raise too_large(max_size)
        with source.open("rb") as handle:
            check_prolog(handle.read(PROLOG_SCAN))
            handle.seek(0)
            return _parse(handle)
    if len(source) > max_size:
        raise too_large(max_size)
    check_prolog(source[:PROLOG_SCAN])
    return _parse(source)


def _parse(source: bytes | BinaryIO) -> etree._Element:
    parser = _parser()
    try:
        if isinstance(source, bytes):
            root = etree.fromstring(source, parser)
        else:
            root = etree.parse(source, parser).getroot()
    except etree.XMLSyntaxError as error:
        # Without huge_tree, libxml2 stops at a text node over 10 MB or a depth over 256.
        if error.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            raise EInvoiceError(
                _("The XML file holds an element too large or too deeply nested to be read."),
                "xml_too_large",
            ) from None
        raise EInvoiceError(_("The XML file is not well-formed."), "xml_broken") from None
    if root is None:
        raise EInvoiceError(_("The XML file is not well-formed."), "xml_broken")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise forbidden()
    return root


class Reader:
    """XPath look-ups in one syntax's namespaces, and its typed values."""

    def __init__(self, namespaces: dict[str, str]) -> None:
        self.namespaces = namespaces

    def nodes(
        self, node: etree._Element | None, path: str, **variables: str
    ) -> list[etree._Element]:
        if node is None:
            return []
        found = node.xpath(path, namespaces=self.namespaces, **variables)
        return (
            [item for item in found if isinstance(item, etree._Element)]
            if isinstance(found, list)
            else []
        )

    def node(
        self, node: etree._Element | None, path: str, **variables: str
    ) -> etree._Element | None:
        found = self.nodes(node, path, **variables)
        return found[0] if found else None

    def text(self, node: etree._Element | None, path: str, **variables: str) -> str | None:
        element = self.node(node, path, **variables)
        text = (element.text or "").strip() if element is not None else ""
        return text or None

    def identifier(self, node: etree._Element | None, path: str) -> tuple[str, str]:
        """An identifier and its ``schemeID`` ("" for what is not there)."""
        element = self.node(node, path)
        if element is None:
            return "", ""
        return (element.text or "").strip(), (element.get("schemeID") or "").strip()

    def amount(self, node: etree._Element | None, path: str) -> Decimal | None:
        return amount(self.text(node, path), path.rsplit(":", 1)[-1])

    def percent(self, node: etree._Element | None, path: str) -> Decimal | None:
        return percent(self.text(node, path))


def decimal(text: str | None, name: str) -> Decimal | None:
    if text is None:
        return None
    if len(text) > MAX_DECIMAL_LENGTH or not DECIMAL.fullmatch(text):
        raise invalid(name)
    return Decimal(text)


def amount(text: str | None, name: str) -> Decimal | None:
    """An amount as written, with at least two decimals (``1300`` reads ``1300.00``)."""
    value = decimal(text, name)
    if value is not None and value.as_tuple().exponent > -2:  # type: ignore[operator]
        value = value.quantize(CENT)
    return value


def percent(text: str | None) -> Decimal | None:
    """A rate without trailing zeros (``25.0`` reads ``25``)."""
    value = decimal(text, "Percent")
    if value is None:
        return None
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?")
COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def iso_date(text: str | None, name: str) -> date | None:
    """An xs:date (UBL): ``2026-01-31``, with an optional time zone."""
    if text is None:
        return None
    match = ISO_DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return date.fromisoformat(match.group(1))
    except ValueError:
        raise invalid(name) from None


def compact_date(text: str | None, name: str) -> date | None:
    """A UN/CEFACT date of format 102 (CII): ``20260131``."""
    if text is None:
        return None
    match = COMPACT_DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise invalid(name) from None
