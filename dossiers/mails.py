"""Mails of the dossiers app (the invitation), rendered by the worker at delivery time in the
recipient's language."""

import secrets

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import pgettext

from core.mail import mail_renderer
from core.models import OutboundEmail
from dossiers.invitations import invitation_token_hash
from dossiers.models import CONNECT_ROLES, STAFF_LEVELS, VIEW_ROLES, FirmMembership, Invitation


def absolute_url(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


@mail_renderer("invitation")
def invitation_render(row: OutboundEmail) -> EmailMessage | None:
    """The invitation, with a fresh single-use token whose hash is saved in the sending
    transaction (a failed send rolls it back). None when the invitation is no longer pending."""
    invitation = (
        Invitation.objects.select_related("user", "firm", "invited_by")
        .filter(pk=row.payload.get("data", {}).get("invitation_id"))
        .first()
    )
    if invitation is None or invitation.status != "pending":
        return None
    token = secrets.token_urlsafe(32)  # 256 bits
    invitation.token_hash = invitation_token_hash(token)
    invitation.save(update_fields=["token_hash"])

    user, firm = invitation.user, invitation.firm
    membership = FirmMembership.objects.filter(user=user, firm=firm).first()
    roles_by_dossier: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for access in user.dossier_accesses.filter(dossier__firm=firm).select_related("dossier"):
        roles_by_dossier.setdefault(access.dossier.code, set()).add(access.role)
        names[access.dossier.code] = access.dossier.name
    with translation.override(user.language):
        dossiers = []
        for code in sorted(roles_by_dossier):
            roles = roles_by_dossier[code]
            tools = []
            if roles & set(CONNECT_ROLES):
                tools.append(pgettext("tool", "Connect"))
            if roles & set(VIEW_ROLES):
                tools.append(pgettext("tool", "View"))
            dossiers.append({"code": code, "name": names[code], "tools": tools})
        context = {
            "user": user,
            # The person's own names, or those this firm wrote; never another firm's wording.
            "greeting_name": " ".join(n for n in user.names_seen_by(firm.pk) if n),
            "firm": firm,
            "inviter": invitation.invited_by.display_name if invitation.invited_by else firm.name,
            "dossiers": dossiers,
            "is_staff": bool(membership and membership.level in STAFF_LEVELS),
            "url": absolute_url(reverse("invitation_accept", args=[token])),
            "login_url": absolute_url(reverse("account_login")),
            "expires_at": invitation.expires_at,
            "has_password": user.has_usable_password(),
        }
        subject = render_to_string("users/emails/invitation_subject.txt", context).strip()
        body = render_to_string("users/emails/invitation_body.txt", context)
        html = render_to_string("users/emails/invitation_body.html", context)
    message = EmailMultiAlternatives(subject=subject, body=body, to=[user.email])
    message.attach_alternative(html, "text/html")
    return message
