"""Supplier payments: the SEPA credit-transfer file (pain.001) of a batch, built and validated.

The XML is built by sepaxml (a maintained library; its XSDs ship with it). sepaxml writes the
remittance as unstructured text only; the Belgian structured communication goes, as Febelfin
asks, in the structured remittance: ``RmtInf/Strd/CdtrRefInf`` with ``Tp/CdOrPrtry/Cd`` SCOR,
``Tp/Issr`` BBA and the 12 digits in ``Ref`` (see docs/payments.md)."""

import functools
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _
from sepaxml import SepaTransfer

from connect.models import Document, PayingAccount
from connect.payments.accounts import text_clean
from core.errors import ServiceError

logger = logging.getLogger(__name__)

#: pain.001.001.03 is what every Belgian bank takes (Febelfin's guidelines are written for it);
#: pain.001.001.09 is offered for banks that already take the 2019 version.
PAIN_DEFAULT = "pain.001.001.03"
PAIN_VERSIONS = ("pain.001.001.03", "pain.001.001.09")
#: The Latin characters of the SEPA rulebook; anything else is transliterated or replaced.
SEPA_TEXT = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


@dataclass(frozen=True)
class SepaLine:
    """One checked payment of a batch, as it goes into the pain.001 file."""

    document: Document
    amount: Decimal
    execution_date: date
    creditor_name: str
    creditor_iban: str
    structured_reference: str
    remittance: str


class _BelgianTransfer(SepaTransfer):
    """sepaxml's credit transfer with the Belgian structured communication and, when the
    paying account has no BIC, the debtor agent as ``Othr/Id`` NOTPROVIDED (the EPC rule for
    IBAN-only payments)."""

    def _add_to_batch_list(self, TX: dict[str, Any], payment: dict[str, Any]) -> None:
        reference = payment.get("bba_reference")
        if reference:
            remittance = TX["RmtInfNode"]
            remittance.remove(TX["UstrdNode"])
            creditor_reference = ET.SubElement(ET.SubElement(remittance, "Strd"), "CdtrRefInf")
            kind = ET.SubElement(creditor_reference, "Tp")
            ET.SubElement(ET.SubElement(kind, "CdOrPrtry"), "Cd").text = "SCOR"
            ET.SubElement(kind, "Issr").text = "BBA"
            ET.SubElement(creditor_reference, "Ref").text = reference
        super()._add_to_batch_list(TX, payment)

    def _finalize_batch(self) -> None:
        super()._finalize_batch()
        for agent in self._xml.iter("DbtrAgt"):
            institution = agent.find("FinInstnId")
            if institution is not None and len(institution) == 0:
                ET.SubElement(ET.SubElement(institution, "Othr"), "Id").text = "NOTPROVIDED"

    def message_id_set(self, message_id: str) -> None:
        self.msg_id = message_id
        node = self._xml.find("CstmrCdtTrfInitn/GrpHdr/MsgId")
        if node is not None:
            node.text = message_id


@functools.cache
def _schema(version: str) -> Any:
    """The pain.001 XSD shipped with sepaxml, loaded once per process."""
    import sepaxml
    import xmlschema  # imported late, as sepaxml does: it patches ElementTree on import

    return xmlschema.XMLSchema(str(Path(sepaxml.__file__).parent / "schemas" / f"{version}.xsd"))


def xml_validate(content: bytes, version: str) -> None:
    """Raise ServiceError unless ``content`` is valid against the pain.001 XSD."""
    errors = list(_schema(version).iter_errors(content.decode()))
    if errors:
        logger.error("pain file invalid against %s: %s", version, errors[0])
        raise ServiceError(
            _("The payment file could not be made valid. Nothing was kept: check the lines."),
            code="xml_invalid",
        )


def sepa_text(value: str, size: int) -> str:
    """Text as the SEPA Latin character set carries it: accents dropped, others replaced."""
    from text_unidecode import unidecode

    text = str(unidecode(text_clean(value))).replace("&", "+")
    return " ".join(SEPA_TEXT.sub(" ", text).split())[:size]


def _end_to_end(document: Document) -> str:
    """The invoice number as the end-to-end reference the supplier's bank passes on."""
    number = str((document.recognized or {}).get("invoice_number") or "")
    cleaned = re.sub(r"[^A-Za-z0-9.\-]", "", number)[:35]
    return cleaned or "NOTPROVIDED"


def pain_build(
    *, account: PayingAccount, lines: list[SepaLine], version: str, message_id: str
) -> bytes:
    """The pain.001 file, one payment block per execution date, validated against the XSD."""
    config: dict[str, Any] = {
        "name": sepa_text(account.name, 70) or "NOTPROVIDED",
        "IBAN": account.iban,
        "batch": True,
        "currency": "EUR",
    }
    if account.bic:
        config["BIC"] = account.bic
    transfer = _BelgianTransfer(config, schema=version, clean=False)
    transfer.message_id_set(message_id)
    for line in lines:
        reference = line.structured_reference.strip("+").replace("/", "")
        transfer.add_payment(
            {
                "name": sepa_text(line.creditor_name, 70),
                "IBAN": line.creditor_iban,
                "amount": int(line.amount * 100),
                "execution_date": line.execution_date,
                "description": sepa_text(line.remittance, 140) or reference,
                "endtoend_id": _end_to_end(line.document),
                "bba_reference": reference,
            }
        )
    content: bytes = transfer.export(validate=False)
    xml_validate(content, version)
    return content
