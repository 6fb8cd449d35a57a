"""The invitations a firm sends its users: a single-use link to choose a password (its
acceptance, by the person holding the link, is in users/services.py)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_record
from core.errors import ServiceError
from core.mail import email_enqueue_rendered_later
from core.models import AuditAction
from dossiers.members import actor_staff_membership, check_can_manage
from dossiers.models import Firm
from users.models import FirmMembership, Invitation, User


def invitation_list_for(*, actor: User, firm: Firm, user: User) -> list[Invitation]:
    """The latest invitations of one user of ``firm``, for the firm's staff."""
    if not FirmMembership.objects.staff().filter(user=actor, firm=firm).exists():
        return []
    return list(Invitation.objects.filter(user=user, firm=firm)[:10])


INVITATION_VALIDITY = timedelta(days=7)


def invitation_send(*, actor: User, firm: Firm, user: User) -> Invitation:
    """A new single-use link for ``user`` (earlier pending links of this firm stop working);
    the mail is rendered and its token made by the worker, when it is sent."""
    actor_membership = actor_staff_membership(actor=actor, firm=firm)
    membership = FirmMembership.objects.active().filter(user=user, firm=firm).first()
    if membership is None:
        raise ServiceError(_("An inactive user cannot be invited."), code="inactive")
    check_can_manage(actor_membership, membership)
    now = timezone.now()
    with transaction.atomic():
        Invitation.objects.filter(
            user=user, firm=firm, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            user=user, firm=firm, invited_by=actor, expires_at=now + INVITATION_VALIDITY
        )
        email_enqueue_rendered_later(
            kind="invitation", to=user.email, data={"invitation_id": invitation.pk}
        )
        audit_record(
            firm=firm,
            actor=actor,
            action=AuditAction.INVITATION_SENT,
            subject_user=user,
            after={"expires_at": invitation.expires_at.isoformat()},
        )
    return invitation


def invitation_revoke(*, actor: User, firm: Firm, user: User) -> int:
    actor_membership = actor_staff_membership(actor=actor, firm=firm)
    membership = FirmMembership.objects.filter(user=user, firm=firm).first()
    if membership is None:
        raise ServiceError(_("This user does not belong to your firm."), code="not_a_member")
    check_can_manage(actor_membership, membership)
    with transaction.atomic():
        count = Invitation.objects.filter(
            user=user, firm=firm, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if count:
            audit_record(
                firm=firm, actor=actor, action=AuditAction.INVITATION_REVOKED, subject_user=user
            )
    return count
