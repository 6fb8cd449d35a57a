"""A firm's users (the Portal users pages): invite a person (or link the identity behind a
WinBooksID) and change them, with their level, names, display label and dossier roles."""

from collections.abc import Iterable, Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import db_scope
from core.audit import audit_changes, audit_record
from core.errors import ServiceError
from core.models import AuditAction
from dossiers.invitations import invitation_send
from dossiers.members import (
    actor_staff_membership,
    check_can_manage,
    check_level,
    identity_active_sync,
    roles_apply,
)
from dossiers.models import Dossier, Firm, FirmLevel, FirmMembership, Invitation, Role
from users.models import TokenRevokedBecause, User
from users.services import (
    api_tokens_revoke_for,
    language_clean,
    user_get_or_create,
    winbooks_id_clean,
)

Accesses = Mapping[Dossier, Iterable[str]]


def identity_shared(user: User, firm: Firm) -> bool:
    """Whether the person also belongs to another firm: then their names and language are
    theirs, not this firm's, to change. The other firms' rows are beyond this firm's row-level
    scope: only the yes or no is read, under the system scope."""
    with db_scope.system():
        return FirmMembership.objects.filter(user=user).exclude(firm=firm).exists()


def names_editable_by(user: User, firm: Firm) -> bool:
    """Whether ``firm`` may write the person's names: never once the person made them their
    own (accepted an invitation, logged in, or changed them on their profile); before that,
    only the firm that wrote them, or any firm while there are none."""
    if user.names_confirmed_at is not None:
        return False
    if user.names_set_by_id is not None:
        return user.names_set_by_id == firm.pk
    return not (user.first_name or user.last_name) or not identity_shared(user, firm)


def _names_locked_error(user: User) -> ServiceError:
    if user.names_confirmed_at is not None:
        return ServiceError(
            _(
                "This person's names are their own: only they can change them. Your firm may "
                "give them a display label."
            ),
            code="names_own",
            field="first_name",
        )
    return ServiceError(
        _(
            "This person also belongs to another firm: only they can change their name "
            "and language."
        ),
        code="identity_shared",
        field="first_name",
    )


def _clean_accesses(*, firm: Firm, level: str, accesses: Accesses) -> dict[Dossier, set[str]]:
    cleaned: dict[Dossier, set[str]] = {}
    for dossier, roles in accesses.items():
        if dossier.firm_id != firm.pk:
            raise ServiceError(
                _("A dossier of another firm cannot be given."), code="dossier_foreign"
            )
        wanted = set(roles)
        if wanted - set(Role.values):
            raise ServiceError(_("Unknown role."), code="role_invalid", field="roles")
        cleaned[dossier] = wanted
    if level == FirmLevel.USER and any(Role.CONNECT_ACCOUNTANT in r for r in cleaned.values()):
        raise ServiceError(
            _("The Connect: accountant role is for the firm's staff."),
            code="role_for_staff",
            field="roles",
        )
    if level == FirmLevel.USER and not any(cleaned.values()):
        raise ServiceError(
            _("Give the user access to at least one dossier, with at least one role."),
            code="access_required",
            field="roles",
        )
    return cleaned


def _already_member(email: str) -> ServiceError:
    return ServiceError(
        _("%(email)s is already a user of your firm: change their accesses instead.")
        % {"email": email},
        code="already_member",
        field="email",
    )


def user_invite(
    *,
    firm: Firm,
    actor: User,
    email: str,
    first_name: str,
    last_name: str,
    language: str,
    level: str,
    accesses: Accesses,
    send_email: bool,
    active: bool = True,
    display_label: str = "",
) -> User:
    """Create a user of ``firm`` (or link the existing identity behind the WinBooksID), give
    their dossier roles, and optionally send the invitation. An existing person keeps their
    names: the names typed here, when they differ, become this firm's display label."""
    actor_membership = actor_staff_membership(actor=actor, firm=firm)
    check_level(actor_membership, level)
    email = winbooks_id_clean(email)
    language_clean(language)
    cleaned = _clean_accesses(firm=firm, level=level, accesses=accesses)
    if send_email and not active:
        raise ServiceError(
            _("An inactive user cannot be invited."), code="inactive", field="active"
        )
    try:
        with transaction.atomic():
            user, created = user_get_or_create(
                email=email,
                first_name=first_name,
                last_name=last_name,
                language=language,
                names_by=firm,
            )
            if FirmMembership.objects.filter(user=user, firm=firm).exists():
                raise _already_member(email)
            label = display_label.strip()[:150]
            typed = (first_name.strip(), last_name.strip())
            if not created and any(typed) and typed != (user.first_name, user.last_name):
                if names_editable_by(user, firm) and not (user.first_name or user.last_name):
                    user.first_name, user.last_name, user.names_set_by = *typed, firm
                    user.save(update_fields=["first_name", "last_name", "names_set_by"])
                elif not label:
                    label = " ".join(part for part in typed if part)[:150]
            FirmMembership.objects.create(
                user=user, firm=firm, level=level, is_active=active, display_label=label
            )
            identity_active_sync(user)
            audit_record(
                firm=firm,
                actor=actor,
                action=AuditAction.USER_CREATED if created else AuditAction.USER_LINKED,
                subject_user=user,
                after={"email": email, "level": level, "active": active, "language": user.language},
            )
            roles_apply(actor=actor, firm=firm, user=user, accesses=cleaned)
            if send_email:
                invitation_send(actor=actor, firm=firm, user=user)
    except IntegrityError:  # a concurrent submission of the same person won the race
        raise _already_member(email) from None
    return user


def user_update(
    *,
    firm: Firm,
    actor: User,
    user: User,
    first_name: str,
    last_name: str,
    language: str,
    level: str,
    active: bool,
    accesses: Accesses,
    display_label: str | None = None,
) -> User:
    """Change a user of ``firm``: names (while they are the firm's to write:
    ``names_editable_by``), language, this firm's display label (None: unchanged), level,
    active, and their roles on the dossiers given in ``accesses`` (a dossier given with no
    role loses every role)."""
    language_clean(language)
    try:
        with transaction.atomic():
            # Both memberships are locked, and every permission is checked on what is locked.
            actor_membership = (
                FirmMembership.objects.select_for_update()
                .staff()
                .filter(user=actor, firm=firm)
                .first()
            )
            if actor_membership is None:
                raise ServiceError(_("You cannot manage the users of this firm."), code="forbidden")
            membership = (
                FirmMembership.objects.select_for_update().filter(user=user, firm=firm).first()
            )
            if membership is None:
                raise ServiceError(
                    _("This user does not belong to your firm."), code="not_a_member"
                )
            check_can_manage(actor_membership, membership)
            if level != membership.level:
                check_level(actor_membership, level)
            cleaned = _clean_accesses(firm=firm, level=level, accesses=accesses)
            loses_admin = membership.level == FirmLevel.LICENCE_ADMIN and (
                level != FirmLevel.LICENCE_ADMIN or not active
            )
            if loses_admin and not (
                FirmMembership.objects.select_for_update()
                .active()
                .filter(firm=firm, level=FirmLevel.LICENCE_ADMIN)
                .exclude(pk=membership.pk)
                .exists()
            ):
                raise ServiceError(
                    _("The firm must keep at least one active licence admin."),
                    code="last_licence_admin",
                    field="level",
                )
            identity = {
                "first_name": user.first_name,
                "last_name": user.last_name,
                "language": user.language,
            }
            wanted = {
                "first_name": first_name.strip(),
                "last_name": last_name.strip(),
                "language": language,
            }
            names_change = (wanted["first_name"], wanted["last_name"]) != (
                identity["first_name"],
                identity["last_name"],
            )
            if names_change and not names_editable_by(user, firm):
                raise _names_locked_error(user)
            if wanted["language"] != identity["language"] and identity_shared(user, firm):
                raise _names_locked_error(user)
            user.first_name, user.last_name, user.language = (
                first_name.strip(),
                last_name.strip(),
                language,
            )
            if names_change:
                user.names_set_by = firm
            if audit_changes(
                firm=firm,
                actor=actor,
                action=AuditAction.USER_CHANGED,
                subject_user=user,
                before=identity,
                after={
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "language": user.language,
                },
            ):
                user.save(update_fields=["first_name", "last_name", "language", "names_set_by"])
            if display_label is not None and audit_changes(
                firm=firm,
                actor=actor,
                action=AuditAction.USER_CHANGED,
                subject_user=user,
                before={"display_label": membership.display_label},
                after={"display_label": display_label.strip()[:150]},
            ):
                membership.display_label = display_label.strip()[:150]
                membership.save(update_fields=["display_label"])
            audit_changes(
                firm=firm,
                actor=actor,
                action=AuditAction.LEVEL_CHANGED,
                subject_user=user,
                before={"level": membership.level},
                after={"level": level},
            )
            audit_changes(
                firm=firm,
                actor=actor,
                subject_user=user,
                action=AuditAction.USER_REACTIVATED if active else AuditAction.USER_DEACTIVATED,
                before={"active": membership.is_active},
                after={"active": active},
            )
            if membership.is_active and not active:
                Invitation.objects.filter(
                    user=user, firm=firm, accepted_at__isnull=True, revoked_at__isnull=True
                ).update(revoked_at=timezone.now())
                # Reactivation does not bring them back: a revoked token stays revoked.
                api_tokens_revoke_for(user=user, because=TokenRevokedBecause.DEACTIVATED, firm=firm)
            membership.level, membership.is_active = level, active
            membership.save(update_fields=["level", "is_active"])
            identity_active_sync(user)
            roles_apply(actor=actor, firm=firm, user=user, accesses=cleaned)
    except IntegrityError:  # a concurrent change of the same roles won the race
        raise ServiceError(
            _("This user was changed by someone else at the same time. Please try again."),
            code="conflict",
        ) from None
    return user
