"""Receive e-mail for the dossiers' addresses with a built-in SMTP server (self-hosted installs).

Point the MX of INBOUND_EMAIL_DOMAIN (or a relay) at this server. Unknown recipients are refused
at RCPT time (no backscatter); each accepted message goes through the receive service. With a
certificate and key (--tls-cert/--tls-key, or INBOUND_SMTP_TLS_CERT/INBOUND_SMTP_TLS_KEY) the
server offers STARTTLS; --require-starttls refuses mail from a client that did not start TLS.
Each message's SPF (for the connecting address), DKIM signatures and DMARC alignment are
checked (connect/documents/services/mail_auth.py) before it is delivered.
"""

import asyncio
import signal
import ssl
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from connect.documents.services.inbound import (
    dossier_for_address,
    from_address,
    inbound_message_receive,
    sender_accepted,
)
from connect.documents.services.mail_auth import Verdict, message_verify


class InboundHandler:
    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        dossier = await sync_to_async(_dossier_for)(address)
        if dossier is None:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        sender = envelope.mail_from or ""
        if not await sync_to_async(_accepted)(list(envelope.rcpt_tos), sender, raw):
            return "550 5.7.1 Sender not accepted for this address"
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        verdict = await sync_to_async(message_verify, thread_sensitive=False)(
            raw, client_ip=peer, helo=session.host_name or "", mail_from=sender
        )
        await sync_to_async(_deliver)(raw, list(envelope.rcpt_tos), sender, verdict)
        return "250 Message accepted"


def _dossier_for(address: str) -> Any:
    close_old_connections()
    return dossier_for_address(address)


def _accepted(recipients: list[str], sender: str, raw: bytes) -> bool:
    """Refused during the SMTP dialogue (no bounce later) when no dossier's allow-list names
    the envelope sender or the From: address (claims, checked afterwards)."""
    close_old_connections()
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)  # the headers only
    assert isinstance(headers, EmailMessage)  # noqa: S101 - policy.default makes EmailMessage
    author = from_address(headers)
    dossiers = [d for d in map(dossier_for_address, recipients) if d is not None]
    return any(sender_accepted(d, sender, author) for d in dossiers)


def _deliver(raw: bytes, recipients: list[str], sender: str, verdict: Verdict) -> None:
    close_old_connections()
    seen = set()
    for address in recipients:
        dossier = dossier_for_address(address)
        if dossier is not None and dossier.pk not in seen:
            seen.add(dossier.pk)
            inbound_message_receive(
                raw=raw, dossier=dossier, channel="smtp", envelope_sender=sender, verdict=verdict
            )


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument(
            "--tls-cert", default=settings.INBOUND_SMTP_TLS_CERT, help="PEM certificate (chain)"
        )
        parser.add_argument("--tls-key", default=settings.INBOUND_SMTP_TLS_KEY, help="PEM key")
        parser.add_argument(
            "--require-starttls",
            action="store_true",
            default=settings.INBOUND_SMTP_REQUIRE_STARTTLS,
            help="refuse mail from a client that did not start TLS",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # One largest attachment, base64-encoded (x 4/3), with room for the message around it.
        limit = settings.CONNECT_MAX_UPLOAD_SIZE * 14 // 10 + 1024 * 1024
        tls_context = self._tls_context(options["tls_cert"], options["tls_key"])
        if options["require_starttls"] and tls_context is None:
            raise CommandError("--require-starttls needs --tls-cert and --tls-key.")
        controller = Controller(
            InboundHandler(),
            hostname=options["host"],
            port=options["port"],
            data_size_limit=limit,
            tls_context=tls_context,
            require_starttls=options["require_starttls"],
        )
        controller.start()
        if options["verbosity"]:
            self.stdout.write(
                f"Receiving mail for @{settings.INBOUND_EMAIL_DOMAIN} on "
                f"{options['host']}:{options['port']}" + (" (STARTTLS)" if tls_context else "")
            )
        loop = asyncio.new_event_loop()
        stop = loop.create_future()

        def finish() -> None:
            if not stop.done():
                stop.set_result(None)

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, finish)
        try:
            loop.run_until_complete(stop)
        finally:
            controller.stop()
            loop.close()

    @staticmethod
    def _tls_context(cert: str, key: str) -> ssl.SSLContext | None:
        if not cert and not key:
            return None
        if not (cert and key):
            raise CommandError("STARTTLS needs both a certificate and its key.")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as error:
            raise CommandError(f"Cannot load the TLS certificate: {error}") from error
        return context
