"""The audit trail: who did what, when, to which user or dossier of a firm. Services of every
app append to it in the transaction of the change. The firm, dossier and users are any saved
model instances, stored by their keys: the kernel imports no app (its foreign keys name the
firm, dossier and user models by string)."""

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Model

from core import db_scope
from core.models import AuditEvent


def audit_record(
    *,
    firm: Model,
    actor: AbstractBaseUser | None,
    action: str,
    dossier: Model | None = None,
    subject_user: AbstractBaseUser | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the firm's audit trail (call it inside the change's transaction).
    Appending is the system's act (docs/tenancy.md): a visitor accepting an invitation writes
    one too, and the row security of the trail is for reading it."""
    with db_scope.system():
        return AuditEvent.objects.create(
            firm_id=firm.pk,
            actor_id=actor.pk if actor is not None else None,
            action=action,
            dossier_id=dossier.pk if dossier is not None else None,
            subject_user_id=subject_user.pk if subject_user is not None else None,
            before=before or {},
            after=after or {},
        )


def audit_changes(
    *,
    firm: Model,
    actor: AbstractBaseUser | None,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    dossier: Model | None = None,
    subject_user: AbstractBaseUser | None = None,
) -> AuditEvent | None:
    """Record the keys of ``after`` whose value differs from ``before``; nothing if none."""
    changed = [key for key in after if before.get(key) != after[key]]
    if not changed:
        return None
    return audit_record(
        firm=firm,
        actor=actor,
        action=action,
        dossier=dossier,
        subject_user=subject_user,
        before={key: before.get(key) for key in changed},
        after={key: after[key] for key in changed},
    )
