"""The invitations a firm sends its users: a single-use link to choose a password (its
acceptance, by the person holding the link, too: its page is portal/views_invitation.py)."""

import hashlib
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import db_scope
from core.audit import audit_record
from core.errors import ServiceError
from core.mail import email_enqueue_rendered_later
from core.models import AuditAction
from dossiers.access import is_firm_staff
from dossiers.members import actor_staff_membership, check_can_manage
from dossiers.models import Firm, FirmMembership, Invitation
from users.models import User
from users.services import names_confirm


def invitation_list_for(*, actor: User, firm: Firm, user: User) -> list[Invitation]:
    """The latest invitations of one user of ``firm``, for the firm's staff."""
    if not is_firm_staff(user=actor, firm_id=firm.pk):
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


# --- The person's side: the link and its acceptance ---- ---------------------------


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation of a link. Its holder is not logged in: the link's secret proves the
    request, so the row is found under the system scope, with what its page shows."""
    if not token or len(token) > 200:
        return None
    with db_scope.system():
        return (
            Invitation.objects.select_related("user", "firm", "invited_by")
            .filter(token_hash=invitation_token_hash(token))
            .first()
        )


def invitation_accept(
    *, token: str, password: str, first_name: str | None = None, last_name: str | None = None
) -> User:
    """Set the invited user's password with a valid link; the link then stops working. The
    names the person confirms (given, or as they are) are their own from then on. Under
    the system scope: the visitor is not logged in, the link's secret proves the request."""
    with db_scope.system(), transaction.atomic():
        found = invitation_for_token(token)
        invitation = (
            Invitation.objects.select_for_update().filter(pk=found.pk).first() if found else None
        )
        if invitation is None or invitation.status != "pending":
            raise ServiceError(_("This invitation link cannot be used."), code="invitation_invalid")
        user = invitation.user
        if (
            not user.is_active
            or not FirmMembership.objects.active().filter(user=user, firm=invitation.firm).exists()
        ):
            raise ServiceError(_("This invitation link cannot be used."), code="invitation_invalid")
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ServiceError(
                " ".join(exc.messages), code="password_invalid", field="password1"
            ) from None
        user.set_password(password)
        user.save(update_fields=["password"])
        names_confirm(user=user, first_name=first_name, last_name=last_name)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        # Any other link still pending (another firm's, an older one) would reset the password
        # just chosen: none of them works any more.
        Invitation.objects.filter(
            user=user, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=invitation.accepted_at)
        audit_record(
            firm=invitation.firm,
            actor=user,
            action=AuditAction.INVITATION_ACCEPTED,
            subject_user=user,
        )
    return user
