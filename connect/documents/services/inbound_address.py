"""The dossier's e-mail address can be changed (rotated) by its client or its accountant: a
new address at once, the old one still received for a grace period they choose, then unknown
(refused during the SMTP dialogue like any other address, never answered)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connect.documents.profiles import profile_for
from core import db_scope
from core.audit import audit_record
from core.errors import ServiceError
from core.models import AuditAction, AuditEvent
from dossiers.access import require_connect_role
from dossiers.models import Dossier, Role, inbound_email_token
from users.models import User

#: The grace periods offered (days); 0: the old address stops at once.
GRACE_DAYS = (0, 7, 30)


def require_address_keeper(actor: User, dossier: Dossier) -> None:
    """The client (connect.entrepreneur) or the accountant (connect.accountant) of the dossier."""
    require_connect_role(
        actor=actor,
        dossier=dossier,
        roles=(Role.CONNECT_ACCOUNTANT, Role.CONNECT_ENTREPRENEUR),
        message=_("Only the dossier's client or accountant can do this."),
    )


def inbound_address_rotate(*, actor: User, dossier: Dossier, grace_days: int) -> Dossier:
    """A new address for ``dossier``; the current one keeps working ``grace_days`` days (an
    older one still in its grace period stops now). Recorded in the firm's audit trail."""
    require_address_keeper(actor, dossier)
    if grace_days not in GRACE_DAYS:
        raise ServiceError(_("Choose a period."), code="grace_invalid", field="grace_days")
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        profile = profile_for(locked)
        old = locked.inbound_email_token
        locked.inbound_email_token = inbound_email_token()
        locked.save(update_fields=["inbound_email_token"])
        until = timezone.now() + timedelta(days=grace_days) if grace_days else None
        profile.previous_inbound_email_token = old if until else ""
        profile.previous_inbound_email_until = until
        profile.save(update_fields=["previous_inbound_email_token", "previous_inbound_email_until"])
        audit_record(
            firm=locked.firm,
            actor=actor,
            action=AuditAction.INBOUND_ADDRESS_ROTATED,
            dossier=locked,
            after={
                "grace_days": grace_days,
                "old_address_until": until.isoformat() if until else "",
            },
        )
    return locked


@dataclass(frozen=True)
class Rotation:
    at: datetime
    by: str
    grace_days: int


def inbound_address_history(dossier: Dossier) -> list[Rotation]:
    """Who changed the address, and when (newest first). The audit trail is read for this
    dossier and this action only, for a page whose access was checked."""
    with db_scope.system():
        events = list(
            AuditEvent.objects.filter(
                dossier=dossier, action=AuditAction.INBOUND_ADDRESS_ROTATED
            ).select_related("actor")[:50]
        )
    return [
        Rotation(
            at=event.created_at,
            by=event.actor.get_full_name() or event.actor.email if event.actor else "",
            grace_days=int(event.after.get("grace_days", 0)),
        )
        for event in events
    ]
