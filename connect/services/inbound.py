"""E-mail in: a message sent to a dossier's address becomes documents on the client's desk
(or with the accountant, when the profile sends automatically). Used by the built-in SMTP
receiver and by the provider webhook alike."""

import logging
import uuid
from dataclasses import dataclass, field
from email import encoders, message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage as OutgoingMessage
from django.template.loader import render_to_string
from django.utils import translation

from connect import antivirus
from connect.files import safe_filename
from connect.models import Category, ConnectProfile, Document, InboundMessage, Source
from connect.services.receive import document_receive
from dossiers.models import Dossier
from portal.errors import ServiceError
from portal.mail import email_enqueue

logger = logging.getLogger(__name__)


def dossier_for_address(address: str) -> Dossier | None:
    """The dossier behind ``<token>@<INBOUND_EMAIL_DOMAIN>``, with Connect on; else None."""
    local, _, domain = parseaddr(address)[1].lower().partition("@")
    if not local or domain != settings.INBOUND_EMAIL_DOMAIN.lower():
        return None
    return (
        Dossier.objects.filter(inbound_email_token=local, connect_enabled=True)
        .select_related("firm")
        .first()
    )


@dataclass
class InboundResult:
    message: InboundMessage
    documents: list[Document] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def sender_accepted(dossier: Dossier, sender: str) -> bool:
    """Whether the dossier's allow-list (if any) accepts ``sender``."""
    profile = ConnectProfile.objects.filter(dossier=dossier).first()
    return profile is None or profile.sender_allowed(parseaddr(sender)[1])


def _may_answer(parsed: EmailMessage, sender: str) -> bool:
    """RFC 3834: never answer a bounce, an automatic message, a list, or ourselves."""
    if not sender or "@" not in sender:
        return False
    local, _, domain = sender.partition("@")
    own = {
        settings.INBOUND_EMAIL_DOMAIN.lower(),
        parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower().partition("@")[2],
    }
    auto = str(parsed.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(parsed.get("Precedence", "")).strip().lower()
    return not (
        auto != "no"
        or precedence in ("bulk", "junk", "list")
        or parsed.get("List-Id")
        or local in ("mailer-daemon", "postmaster", "noreply", "no-reply")
        or domain in own
    )


def provider_message_bytes(message: Message) -> bytes:
    """The bytes of a message a provider's webhook rebuilt from its JSON (anymail). Parts made
    from raw bytes carry no transfer encoding: serialised as they are, they lose their CR
    bytes (a PNG arrives damaged). They are base64-encoded first."""
    for part in message.walk():
        if (
            not part.is_multipart()
            and part.get("Content-Transfer-Encoding") is None
            and part.get_content_maintype() not in ("text", "message")
        ):
            encoders.encode_base64(part)
    return message.as_bytes()


def inbound_message_receive(
    *, raw: bytes, dossier: Dossier, channel: str, envelope_sender: str | None = None
) -> InboundResult:
    """Keep the message (not when the virus scanner finds something in it or cannot say),
    put each attachment through the receive service, and answer the sender politely when
    something could not be taken (no attachment, refused files).
    ``envelope_sender`` is the SMTP MAIL FROM when the channel knows it ("" for a bounce,
    which is never answered); unknown (None), the From header stands in."""
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)  # noqa: S101 - policy.default makes EmailMessage
    if envelope_sender is None:
        envelope_sender = str(parsed.get("From", ""))
    sender = parseaddr(envelope_sender)[1].lower()
    subject = " ".join(str(parsed.get("Subject", "")).split())[:255]  # no CR/LF smuggled
    stored = ""
    if _raw_may_be_kept(raw, dossier):
        stored = default_storage.save(
            f"inbound/{dossier.firm.public_id}/{dossier.public_id}/{uuid.uuid4().hex}.eml",
            ContentFile(raw),
        )
    message = InboundMessage.objects.create(
        dossier=dossier,
        channel=channel,
        sender=sender[:254],
        subject=subject,
        message_id=" ".join(str(parsed.get("Message-ID", "")).split())[:255],
        storage_name=stored,
        size=len(raw),
        outcome=InboundMessage.Outcome.ACCEPTED,
    )
    result = InboundResult(message=message)
    profile = ConnectProfile.objects.filter(dossier=dossier).first()
    if profile is not None and not profile.sender_allowed(sender):
        # Not answered: the sender may be forged, and an answer would confirm the address.
        _record(result, InboundMessage.Outcome.BOUNCED, "sender")
        return result
    attachments = [part for part in parsed.iter_attachments() if part.get_filename()]
    if not attachments:
        _bounce(result, dossier, sender, reason="none", parsed=parsed)
        return result
    category = (profile.categories() if profile else list(Category.values))[0]
    # Reasons are read by the sender, in the dossier's language (as the answer around them).
    with translation.override(dossier.language):
        _attachments_receive(result, attachments, dossier, category, subject)
    if result.refused:
        _bounce(result, dossier, sender, reason="refused", parsed=parsed)
    return result


def _raw_may_be_kept(raw: bytes, dossier: Dossier) -> bool:
    """The message is kept as the source of its documents unless the virus scanner finds
    something in it or cannot say (its attachments are then judged one by one)."""
    try:
        antivirus.scan_or_refuse([raw], context=f"dossier {dossier.pk}, e-mail")
    except ServiceError:
        return False
    return True


def _attachments_receive(
    result: InboundResult,
    attachments: list[EmailMessage],
    dossier: Dossier,
    category: str,
    subject: str,
) -> None:
    message = result.message
    infected = False
    for part in attachments[: settings.CONNECT_MAX_FILES_PER_REQUEST]:
        name = safe_filename(str(part.get_filename()))
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        try:
            received = document_receive(
                dossier=dossier,
                actor=None,
                filename=name,
                chunks=[content],
                source=Source.EMAIL,
                category=category,
                comment=subject[:200],
            )
        except ServiceError as error:
            result.refused.append((name, str(error.message)))
            infected = infected or error.code == "virus_found"
            continue
        Document.objects.filter(pk=received.document.pk, inbound_message__isnull=True).update(
            inbound_message=message
        )
        result.documents.append(received.document)
    for extra in attachments[settings.CONNECT_MAX_FILES_PER_REQUEST :]:
        result.refused.append((safe_filename(str(extra.get_filename())), "limit"))
    if infected and message.storage_name:
        # The scan of the whole message may miss what the scan of one attachment found.
        default_storage.delete(message.storage_name)
        InboundMessage.objects.filter(pk=message.pk).update(storage_name="")
        message.storage_name = ""


def _record(result: InboundResult, outcome: str, reason: str) -> None:
    InboundMessage.objects.filter(pk=result.message.pk).update(outcome=outcome, reason=reason)
    result.message.outcome, result.message.reason = outcome, reason


def _bounce(
    result: InboundResult, dossier: Dossier, sender: str, *, reason: str, parsed: EmailMessage
) -> None:
    """A polite answer to the sender, in the dossier's language (never to a bounce, an
    automatic message or a list; never echoing the message's subject)."""
    outcome = InboundMessage.Outcome.PARTIAL if result.documents else InboundMessage.Outcome.BOUNCED
    _record(result, outcome, reason)
    if not _may_answer(parsed, sender):
        return
    with translation.override(dossier.language):
        context = {
            "reason": reason,
            "refused": result.refused,
            "accepted": result.documents,
            "limit": settings.CONNECT_MAX_FILES_PER_REQUEST,
        }
        subject = render_to_string("connect/emails/bounce_subject.txt", context).strip()
        body = render_to_string("connect/emails/bounce_body.txt", context)
    email_enqueue(
        OutgoingMessage(
            subject=subject, body=body, to=[sender], headers={"Auto-Submitted": "auto-replied"}
        ),
        kind="inbound.bounce",
    )
