"""Provider webhooks (django-anymail): inbound mail goes to the same service as SMTP."""

from typing import Any

from anymail.signals import AnymailInboundEvent, inbound
from django.dispatch import receiver

from connect.documents.services.inbound import (
    dossier_for_address,
    inbound_message_receive,
    provider_message_bytes,
)
from connect.documents.services.mail_auth import provider_verdict
from core import db_scope


@receiver(inbound)
def inbound_from_provider(
    sender: Any, event: AnymailInboundEvent, esp_name: str, **kwargs: Any
) -> None:
    message = event.message
    if message is None:
        return
    recipients = (
        [message.envelope_recipient]
        if message.envelope_recipient
        else [str(a.addr_spec) for a in message.to]
    )
    seen: set[int] = set()
    # The webhook proved itself with its secret; the address names the dossier.
    with db_scope.system():
        _receive(message, recipients, esp_name, seen)


def _receive(message: Any, recipients: list[str], esp_name: str, seen: set[int]) -> None:
    # The provider's own verdicts (its Received-SPF, trusted Authentication-Results):
    # docs/operations.md says which headers are read.
    verdict = provider_verdict(message, message.envelope_sender or "")
    for address in recipients:
        dossier = dossier_for_address(address or "")
        if dossier is not None and dossier.pk not in seen:
            seen.add(dossier.pk)
            inbound_message_receive(
                raw=provider_message_bytes(message),
                dossier=dossier,
                channel=esp_name.lower(),
                envelope_sender=message.envelope_sender or "",
                verdict=verdict,
            )
