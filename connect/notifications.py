"""E-mails of Connect, rendered in each recipient's language and sent through the outbox."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from connect.models import Document
from portal.mail import email_enqueue
from users.models import Role, User


def _recipients(document: Document, role: str) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            dossier_accesses__dossier=document.dossier,
            dossier_accesses__role=role,
            memberships__firm_id=document.firm_id,
            memberships__is_active=True,
        ).distinct()
    )


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
