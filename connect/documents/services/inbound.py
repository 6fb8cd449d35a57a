"""E-mail in: a message sent to a dossier's address becomes documents on the client's desk
(or with the accountant, when the profile sends automatically). Used by the built-in SMTP
receiver and by the provider webhook alike."""

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from email import encoders, message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage as OutgoingMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation

from connect.documents import antivirus
from connect.documents.files import safe_filename
from connect.documents.profiles import profile_of
from connect.documents.services.mail_auth import UNCHECKED, Verdict
from connect.documents.services.receive import document_receive
from connect.models import Category, Document, InboundMessage, Source
from core.errors import ServiceError
from core.mail import email_enqueue
from dossiers.models import Dossier

logger = logging.getLogger(__name__)


def dossier_for_address(address: str) -> Dossier | None:
    """The dossier behind ``<token>@<INBOUND_EMAIL_DOMAIN>``, with Connect on: its current
    address, or its previous one during the grace period of a rotation; else None."""
    local, _, domain = parseaddr(address)[1].lower().partition("@")
    if not local or domain != settings.INBOUND_EMAIL_DOMAIN.lower():
        return None
    current = (
        Dossier.objects.filter(inbound_email_token=local, connect_enabled=True)
        .select_related("firm")
        .first()
    )
    if current is not None:
        return current
    return (
        Dossier.objects.filter(
            connect_profile__previous_inbound_email_token=local,
            connect_profile__previous_inbound_email_until__gt=timezone.now(),
            connect_enabled=True,
        )
        .select_related("firm")
        .first()
    )


@dataclass
class InboundResult:
    message: InboundMessage
    documents: list[Document] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def sender_accepted(dossier: Dossier, *senders: str) -> bool:
    """Whether the dossier's allow-list (if any) accepts one of the addresses the message
    claims (envelope sender, From:). A claim is not proof: only an authenticated one is sent
    to the accountant (:func:`inbound_message_receive`)."""
    profile = profile_of(dossier)
    return profile is None or any(
        profile.sender_allowed(parseaddr(s)[1]) for s in senders if parseaddr(s)[1]
    )


def from_address(parsed: EmailMessage) -> str:
    """The single address of the From: header, lower case ("" when none or several)."""
    found = [a for _n, a in getaddresses([str(v) for v in parsed.get_all("From", [])]) if a]
    return found[0].lower() if len(found) == 1 else ""


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
    *,
    raw: bytes,
    dossier: Dossier,
    channel: str,
    envelope_sender: str | None = None,
    verdict: Verdict = UNCHECKED,
) -> InboundResult:
    """Keep the message (not when the virus scanner finds something in it or cannot say),
    put each attachment through the receive service, and answer the sender when something
    could not be taken (no attachment, refused files).
    ``envelope_sender`` is the SMTP MAIL FROM when the channel knows it ("" for a bounce);
    unknown (None), the From header stands in. ``verdict`` says who really sent it
    (connect/documents/services/mail_auth.py): only a sender whose From: domain is
    authenticated, and allowed by the dossier's list, is verified. A verified message's
    documents go to the accountant; an unverified one's stay on the client's desk, marked
    "sender not verified", and its sender is never answered."""
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)  # noqa: S101 - policy.default makes EmailMessage
    if envelope_sender is None:
        envelope_sender = str(parsed.get("From", ""))
    sender = parseaddr(envelope_sender)[1].lower()
    author = from_address(parsed)
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
        auth_spf=verdict.spf[:20],
        auth_dkim=verdict.dkim[:20],
        auth_dmarc=verdict.dmarc[:40],
    )
    result = InboundResult(message=message)
    profile = profile_of(dossier)
    if not sender_accepted(dossier, sender, author):
        # Not answered: the sender may be forged, and an answer would confirm the address.
        _record(result, InboundMessage.Outcome.BOUNCED, "sender")
        return result
    verified = (
        verdict.verified
        and author.rpartition("@")[2] == verdict.domain
        and (profile is None or profile.sender_allowed(author))
    )
    if verified:
        InboundMessage.objects.filter(pk=message.pk).update(auth_domain=verdict.domain)
        message.auth_domain = verdict.domain
    answer_to = author if verified else ""
    attachments = [part for part in parsed.iter_attachments() if part.get_filename()]
    if not attachments:
        _bounce(result, dossier, answer_to, reason="none", parsed=parsed)
        return result
    category = (profile.categories() if profile else list(Category.values))[0]
    with translation.override(dossier.language):
        _attachments_receive(result, attachments, dossier, category, subject, hold=not verified)
    if result.refused:
        _bounce(result, dossier, answer_to, reason="refused", parsed=parsed)
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
    *,
    hold: bool,
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
                hold=hold,
            )
        except ServiceError as error:
            result.refused.append((name, str(error.message)))
            infected = infected or error.code == "virus_found"
            continue
        Document.objects.filter(pk=received.document.pk, inbound_message__isnull=True).update(
            inbound_message=message
        )
        if hold and not received.duplicate:
            Document.objects.filter(pk=received.document.pk).update(sender_unverified=True)
            received.document.sender_unverified = True
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
    """A fixed answer to an authenticated sender (``sender``; "" when not authenticated: no
    answer), in the dossier's language: it names no file and echoes nothing of the message.
    Never to a bounce, an automatic message or a list, and at most one per sender every
    INBOUND_ANSWER_INTERVAL seconds."""
    outcome = InboundMessage.Outcome.PARTIAL if result.documents else InboundMessage.Outcome.BOUNCED
    _record(result, outcome, reason)
    if not _may_answer(parsed, sender) or not _answer_slot_taken(sender):
        return
    with translation.override(dossier.language):
        context = {
            "reason": reason,
            "accepted": len(result.documents),
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


def _answer_slot_taken(sender: str) -> bool:
    """Take the sender's answer slot for the interval (Redis); False when it is taken, or when
    the cache cannot say (an outage: no answer rather than unlimited ones)."""
    if settings.INBOUND_ANSWER_INTERVAL <= 0:  # no limit
        return True
    key = "inbound-answer:" + hashlib.sha256(sender.encode()).hexdigest()
    token = secrets.token_hex(8)
    return bool(
        cache.add(key, token, timeout=settings.INBOUND_ANSWER_INTERVAL) and cache.get(key) == token
    )
