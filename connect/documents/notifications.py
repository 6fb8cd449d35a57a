"""E-mails of Connect, rendered in each recipient's language and sent through the outbox."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from connect.models import ConnectProfile, Document, Status
from core.mail import email_enqueue
from dossiers.access import dossier_users
from dossiers.models import Firm, FirmLevel, ProcessingMode, Role
from users.models import User


def _recipients(document: Document, role: str) -> list[User]:
    return list(dossier_users(dossier=document.dossier, roles=(role,)))


def notify_client(*, document: Document, kind: str) -> int:
    """Tell the dossier's entrepreneurs that a document was rejected or shared. The link
    opens the document after login (never a login-free link)."""
    url = settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "connect:document", args=[document.public_id]
    )
    count = 0
    for user in _recipients(document, Role.CONNECT_ENTREPRENEUR):
        with translation.override(user.language):
            context = {
                "user": user,
                "document": document,
                "dossier": document.dossier,
                "kind": kind,
                "url": url,
            }
            subject = render_to_string("connect/emails/client_subject.txt", context).strip()
            body = render_to_string("connect/emails/client_body.txt", context)
        email_enqueue(
            EmailMultiAlternatives(subject=subject, body=body, to=[user.email]),
            kind=f"document.{kind}",
        )
        count += 1
    return count


def accountant_digests_send(*, now: datetime | None = None) -> int:
    """One e-mail per dossier and period to its accountants about documents sent since the
    last one (the period is the profile's ``digest_hours``; 0 turns it off). Returns how many
    dossiers were reported."""
    now = now or timezone.now()
    reported = 0
    profiles = ConnectProfile.objects.filter(
        digest_hours__gt=0, dossier__connect_enabled=True
    ).select_related("dossier__firm")
    for profile in profiles:
        since = profile.last_digest_at
        if since and now - since < timedelta(hours=profile.digest_hours):
            continue
        documents = Document.objects.filter(
            dossier=profile.dossier, status__in=(Status.SENT, Status.VALIDATED)
        )
        if since:
            documents = documents.filter(sent_at__gt=since)
        new = list(documents.order_by("sent_at")[:50])
        if not new:
            continue
        with transaction.atomic():
            locked = ConnectProfile.objects.select_for_update().get(pk=profile.pk)
            if locked.last_digest_at != since:
                continue  # another worker reported this period already
            url = (
                settings.PORTAL_BASE_URL.rstrip("/")
                + reverse("connect:inbox")
                + (f"?dossier={profile.dossier.public_id}")
            )
            for user in _recipients(new[0], Role.CONNECT_ACCOUNTANT):
                with translation.override(user.language):
                    context = {
                        "user": user,
                        "dossier": profile.dossier,
                        "documents": new,
                        "url": url,
                    }
                    subject = render_to_string("connect/emails/digest_subject.txt", context).strip()
                    body = render_to_string("connect/emails/digest_body.txt", context)
                email_enqueue(
                    EmailMultiAlternatives(subject=subject, body=body, to=[user.email]),
                    kind="documents.digest",
                )
            locked.last_digest_at = now
            locked.save(update_fields=["last_digest_at"])
        reported += 1
    return reported


def notify_credits_exhausted(*, firm: Firm, mode: str) -> int:
    """Tell the firm's licence admins (once, the caller records it) that a cartouche ran out."""
    admins = User.objects.filter(
        is_active=True,
        memberships__firm=firm,
        memberships__is_active=True,
        memberships__level=FirmLevel.LICENCE_ADMIN,
    ).distinct()
    count = 0
    for user in admins:
        with translation.override(user.language):
            context = {"user": user, "firm": firm, "mode_label": ProcessingMode(mode).label}
            subject = render_to_string("connect/emails/credits_subject.txt", context).strip()
            body = render_to_string("connect/emails/credits_body.txt", context)
        email_enqueue(
            EmailMultiAlternatives(subject=subject, body=body, to=[user.email]),
            kind="credits.exhausted",
        )
        count += 1
    return count
