"""Provider webhooks (django-anymail): inbound mail goes to the same service as SMTP."""

from typing import Any

from anymail.signals import AnymailInboundEvent, inbound
from django.dispatch import receiver

from connect.services.inbound import dossier_for_address, inbound_message_receive


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
    seen = set()
    for address in recipients:
        dossier = dossier_for_address(address or "")
        if dossier is not None and dossier.pk not in seen:
            seen.add(dossier.pk)
            inbound_message_receive(
                raw=message.as_bytes(),
                dossier=dossier,
                channel=esp_name.lower(),
                envelope_sender=message.envelope_sender or "",
            )
