"""Writes on identities, memberships, dossier roles and invitations."""

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import db_scope
from core.audit import audit_changes, audit_record
from core.errors import ServiceError
from core.mail import email_enqueue_rendered_later
from core.models import AuditAction
from dossiers.models import Dossier, Firm
from users.models import (
    ApiToken,
    DossierAccess,
    FirmLevel,
    FirmMembership,
    Invitation,
    Language,
    Role,
    TokenRevokedBecause,
    TokenScope,
    User,
)
from users.models import normalize_winbooks_id as _normalize


def language_clean(language: str) -> str:
    if language not in Language.values:
        raise ServiceError(_("Choose a language."), code="language_invalid", field="language")
    return language


def winbooks_id_clean(email: str) -> str:
    email = _normalize(email)
    try:
        validate_email(email)
    except ValidationError:
        raise ServiceError(
            _("Enter a valid e-mail address as WinBooksID."), code="email_invalid", field="email"
        ) from None
    return email


def user_get_or_create(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    language: str = Language.FR,
    password: str | None = None,
    names_by: Firm | None = None,
) -> tuple[User, bool]:
    """The identity behind a WinBooksID: an existing person is reused, never duplicated.
    The names, language and password of an existing person are left as they are. ``names_by``:
    the firm that writes the names of a new person (until the person confirms them)."""
    email = winbooks_id_clean(email)
    language_clean(language)
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        return existing, False
    user = User(
        email=email, first_name=first_name.strip(), last_name=last_name.strip(), language=language
    )
    if names_by is not None and (user.first_name or user.last_name):
        user.names_set_by = names_by
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ServiceError(
                " ".join(exc.messages), code="password_invalid", field="password"
            ) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user, True


def membership_set(*, firm: Firm, user: User, level: str) -> FirmMembership:
    """Make ``user`` a member of ``firm`` at ``level`` (changing the level if already one)."""
    if level not in FirmLevel.values:
        raise ServiceError(_("Choose a level."), code="level_invalid", field="level")
    membership, _created = FirmMembership.objects.update_or_create(
        user=user, firm=firm, defaults={"level": level}
    )
    return membership


def dossier_roles_set(*, dossier: Dossier, user: User, roles: Iterable[str]) -> set[str]:
    """Give ``user`` exactly ``roles`` on ``dossier``. The user must belong to the firm."""
    wanted = set(roles)
    unknown = wanted - set(Role.values)
    if unknown:
        raise ServiceError(_("Unknown role."), code="role_invalid", field="roles")
    if not FirmMembership.objects.filter(user=user, firm_id=dossier.firm_id).exists():
        raise ServiceError(_("The user must belong to the dossier's firm."), code="not_a_member")
    with transaction.atomic():
        current = set(
            DossierAccess.objects.filter(user=user, dossier=dossier).values_list("role", flat=True)
        )
        DossierAccess.objects.filter(user=user, dossier=dossier, role__in=current - wanted).delete()
        DossierAccess.objects.bulk_create(
            DossierAccess(user=user, dossier=dossier, role=role) for role in wanted - current
        )
        if current and not wanted:
            _tokens_follow_roles(user=user, firm=dossier.firm)
    return wanted


def user_language_set(*, user: User, language: str) -> User:
    language_clean(language)
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


# --- The firm's users (the Portal users pages) --------------------------------------------------

#: Which levels each level may grant: licence admins any, power users only clients.
GRANTABLE_LEVELS: dict[str, tuple[str, ...]] = {
    FirmLevel.LICENCE_ADMIN: tuple(FirmLevel.values),
    FirmLevel.POWER_USER: (FirmLevel.USER,),
}

Accesses = Mapping[Dossier, Iterable[str]]


def actor_staff_membership(*, actor: User, firm: Firm) -> FirmMembership:
    membership = FirmMembership.objects.staff().filter(user=actor, firm=firm).first()
    if membership is None:
        raise ServiceError(_("You cannot manage the users of this firm."), code="forbidden")
    return membership


def grantable_levels(*, actor: User, firm: Firm) -> tuple[str, ...]:
    membership = FirmMembership.objects.staff().filter(user=actor, firm=firm).first()
    return GRANTABLE_LEVELS.get(membership.level, ()) if membership else ()


def _check_level(actor_membership: FirmMembership, level: str) -> None:
    if level not in FirmLevel.values:
        raise ServiceError(_("Choose a level."), code="level_invalid", field="level")
    if level not in GRANTABLE_LEVELS.get(actor_membership.level, ()):
        raise ServiceError(
            _("Only a licence admin can give this level."), code="level_forbidden", field="level"
        )


def _check_can_manage(actor_membership: FirmMembership, membership: FirmMembership) -> None:
    """Staff members (and their invitations) are managed by licence admins only."""
    if membership.level != FirmLevel.USER and actor_membership.level != FirmLevel.LICENCE_ADMIN:
        raise ServiceError(
            _("Only a licence admin can change a staff member."), code="level_forbidden"
        )


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


def names_confirm(
    *, user: User, first_name: str | None = None, last_name: str | None = None
) -> User:
    """The person makes their names their own (given here, or as they are): no firm changes
    them any more."""
    fields = ["names_confirmed_at", "names_set_by"]
    if first_name is not None and last_name is not None:
        user.first_name, user.last_name = first_name.strip()[:150], last_name.strip()[:150]
        fields += ["first_name", "last_name"]
    elif user.names_confirmed_at is not None:
        return user
    user.names_confirmed_at = user.names_confirmed_at or timezone.now()
    user.names_set_by = None
    user.save(update_fields=fields)
    return user


def user_profile_update(*, actor: User, first_name: str, last_name: str, language: str) -> User:
    """The person's own names and language (their profile page)."""
    language_clean(language)
    if not first_name.strip() and not last_name.strip():
        raise ServiceError(
            _("Enter your first or last name."), code="names_empty", field="first_name"
        )
    user_language_set(user=actor, language=language)
    return names_confirm(user=actor, first_name=first_name, last_name=last_name)


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


def _roles_apply(*, actor: User, firm: Firm, user: User, accesses: dict[Dossier, set[str]]) -> None:
    """Set the roles of ``user`` on each given dossier, with one audit event per change."""
    current: dict[int, set[str]] = {}
    for dossier_id, role in DossierAccess.objects.filter(
        user=user, dossier__in=list(accesses)
    ).values_list("dossier_id", "role"):
        current.setdefault(dossier_id, set()).add(role)
    for dossier, wanted in accesses.items():
        before = current.get(dossier.pk, set())
        if before == wanted:
            continue
        dossier_roles_set(dossier=dossier, user=user, roles=wanted)
        audit_record(
            firm=firm,
            actor=actor,
            action=AuditAction.ROLES_CHANGED,
            dossier=dossier,
            subject_user=user,
            before={"roles": sorted(before)},
            after={"roles": sorted(wanted)},
        )


def _tokens_follow_roles(*, user: User, firm: Firm) -> int:
    """Once the person has no role left in ``firm`` (no dossier role and not its staff), their
    tokens restricted to it are revoked; once they have none anywhere, their tokens with no
    firm too. The other firms' rows are read under the system scope (a yes or no)."""
    with db_scope.system():
        staff = FirmMembership.objects.staff().filter(user=user)
        roles = DossierAccess.objects.filter(user=user)
        in_firm = staff.filter(firm=firm).exists() or roles.filter(dossier__firm=firm).exists()
        anywhere = in_firm or staff.exists() or roles.exists()
    if anywhere and in_firm:
        return 0
    return api_tokens_revoke_for(
        user=user, because=TokenRevokedBecause.ROLES_REMOVED, firm=firm, firmless=not anywhere
    )


def dossier_role_add(*, actor: User, dossier: Dossier, user: User, role: str) -> None:
    """Give ``user`` one more role on ``dossier`` (recorded; nothing if they hold it)."""
    current = set(
        DossierAccess.objects.filter(user=user, dossier=dossier).values_list("role", flat=True)
    )
    _roles_apply(actor=actor, firm=dossier.firm, user=user, accesses={dossier: current | {role}})


def _identity_active_sync(user: User) -> None:
    """A person can log in while at least one firm keeps them active."""
    active = FirmMembership.objects.filter(user=user, is_active=True).exists()
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])


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
    _check_level(actor_membership, level)
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
            _identity_active_sync(user)
            audit_record(
                firm=firm,
                actor=actor,
                action=AuditAction.USER_CREATED if created else AuditAction.USER_LINKED,
                subject_user=user,
                after={"email": email, "level": level, "active": active, "language": user.language},
            )
            _roles_apply(actor=actor, firm=firm, user=user, accesses=cleaned)
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
            _check_can_manage(actor_membership, membership)
            if level != membership.level:
                _check_level(actor_membership, level)
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
            _identity_active_sync(user)
            _roles_apply(actor=actor, firm=firm, user=user, accesses=cleaned)
    except IntegrityError:  # a concurrent change of the same roles won the race
        raise ServiceError(
            _("This user was changed by someone else at the same time. Please try again."),
            code="conflict",
        ) from None
    return user


# --- The firm's two-factor rule ---------------------------------------------------------------


def firm_mfa_required_set(*, actor: User, firm: Firm, required: bool) -> Firm:
    """Make two-factor authentication mandatory (or not) for the firm's staff. Only a licence
    admin decides; the change is in the firm's audit trail."""
    with transaction.atomic():
        locked = Firm.objects.select_for_update().get(pk=firm.pk)
        actor_membership = actor_staff_membership(actor=actor, firm=locked)
        if actor_membership.level != FirmLevel.LICENCE_ADMIN:
            raise ServiceError(
                _("Only a licence admin can change this setting."), code="level_forbidden"
            )
        before = locked.mfa_required_for_staff
        if before != required:
            locked.mfa_required_for_staff = required
            locked.save(update_fields=["mfa_required_for_staff"])
            audit_record(
                firm=locked,
                actor=actor,
                action=AuditAction.FIRM_MFA_CHANGED,
                before={"mfa_required_for_staff": before},
                after={"mfa_required_for_staff": required},
            )
    firm.mfa_required_for_staff = required
    return firm


# --- Invitations ----------------------------------------------------------------------------

INVITATION_VALIDITY = timedelta(days=7)


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_send(*, actor: User, firm: Firm, user: User) -> Invitation:
    """A new single-use link for ``user`` (earlier pending links of this firm stop working);
    the mail is rendered and its token made by the worker, when it is sent."""
    actor_membership = actor_staff_membership(actor=actor, firm=firm)
    membership = FirmMembership.objects.active().filter(user=user, firm=firm).first()
    if membership is None:
        raise ServiceError(_("An inactive user cannot be invited."), code="inactive")
    _check_can_manage(actor_membership, membership)
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
    _check_can_manage(actor_membership, membership)
    with transaction.atomic():
        count = Invitation.objects.filter(
            user=user, firm=firm, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if count:
            audit_record(
                firm=firm, actor=actor, action=AuditAction.INVITATION_REVOKED, subject_user=user
            )
    return count


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


# --- API tokens -----------------------------------------------------------------------------

API_TOKEN_PREFIX = "wbp_"  # noqa: S105 - a public marker, not a secret
#: How often a token's "last used" is written (not on every request).
API_TOKEN_TOUCH_EVERY = timedelta(minutes=1)
API_TOKENS_PER_USER = 20


def api_token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


#: A token's life unless its owner chooses another, and the longest they may choose.
API_TOKEN_DAYS_DEFAULT = 90
API_TOKEN_DAYS_MAX = 365


def api_token_create(
    *,
    actor: User,
    name: str,
    days: int = API_TOKEN_DAYS_DEFAULT,
    scope: str = TokenScope.READ_UPLOAD_ACKNOWLEDGE,
    firm: Firm | None = None,
) -> tuple[ApiToken, str]:
    """A new personal token of ``actor``, valid ``days`` days, for ``scope``, restricted to
    ``firm``'s dossiers if given; the raw token is returned once and never stored."""
    name = " ".join((name or "").split())[:100]
    if not name:
        raise ServiceError(_("Give the token a name."), code="name_required", field="name")
    if not actor.is_active:
        raise ServiceError(_("An inactive user cannot have API tokens."), code="inactive")
    if not 1 <= days <= API_TOKEN_DAYS_MAX:
        raise ServiceError(
            _("A token lives from 1 to %(days)s days.") % {"days": API_TOKEN_DAYS_MAX},
            code="days_invalid",
            field="days",
        )
    if scope not in TokenScope.values:
        raise ServiceError(_("Unknown scope."), code="scope_invalid", field="scope")
    if firm is not None and not actor.memberships.active().filter(firm=firm).exists():
        raise ServiceError(_("You do not belong to this firm."), code="firm_foreign", field="firm")
    if ApiToken.objects.filter(user=actor, revoked_at__isnull=True).count() >= API_TOKENS_PER_USER:
        raise ServiceError(
            _("You have too many tokens: revoke one you no longer use."), code="too_many"
        )
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=raw[: len(API_TOKEN_PREFIX) + 6],
        key_hash=api_token_hash(raw),
        expires_at=timezone.now() + timedelta(days=days),
        scope=scope,
        firm=firm,
    )
    return token, raw


def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's own tokens (revoking twice changes nothing)."""
    if token.user_id != actor.pk:
        raise ServiceError(_("This token is not yours."), code="not_found")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_because = TokenRevokedBecause.OWNER
        token.save(update_fields=["revoked_at", "revoked_because"])
    return token


def api_token_revoke_by_firm(*, actor: User, firm: Firm, token: ApiToken) -> ApiToken:
    """The firm's staff revoke a token that reaches the firm's dossiers: one of a member's
    tokens with no firm or with this firm. Recorded in the firm's audit trail."""
    actor_staff_membership(actor=actor, firm=firm)
    reaches = (token.firm_id is None or token.firm_id == firm.pk) and (
        FirmMembership.objects.filter(user_id=token.user_id, firm=firm).exists()
    )
    if not reaches:
        raise ServiceError(_("This token does not reach your firm."), code="not_found")
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_because = TokenRevokedBecause.FIRM_STAFF
            locked.save(update_fields=["revoked_at", "revoked_because"])
            audit_record(
                firm=firm,
                actor=actor,
                action=AuditAction.API_TOKEN_REVOKED,
                subject_user=locked.user,
                after={"token": f"{locked.prefix}…", "name": locked.name},
            )
    return locked


def api_tokens_revoke_for(
    *, user: User, because: str, firm: Firm | None = None, firmless: bool = True
) -> int:
    """Revoke the user's unrevoked tokens: all of them (no ``firm``), or those restricted to
    ``firm`` and, if ``firmless``, those with no firm. Revoked stays revoked."""
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if firm is not None:
        reach = Q(firm=firm) | Q(firm__isnull=True) if firmless else Q(firm=firm)
        tokens = tokens.filter(reach)
    # The owner's tokens are beyond a firm's staff scope when they name another firm; the
    # filter above says which, the system scope only lets the write through.
    with db_scope.system():
        return tokens.update(revoked_at=timezone.now(), revoked_because=because)


class ApiTokenRefused(Exception):
    """A token that is known but opens nothing any more: ``code`` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The live token for ``raw`` (its user active), noting when it was last used; None for
    an unknown token; ApiTokenRefused (``token_expired``, ``token_revoked``) for a known one
    that has ended."""
    if not raw or not raw.startswith(API_TOKEN_PREFIX) or len(raw) > 100:
        return None
    # Before the token is found nobody is known: its secret proves the request.
    with db_scope.system():
        token = (
            ApiToken.objects.select_related("user", "firm")
            .filter(key_hash=api_token_hash(raw))
            .first()
        )
        if token is None:
            return None
        if token.revoked_at is not None or not token.user.is_active:
            raise ApiTokenRefused("token_revoked")
        now = timezone.now()
        if token.expires_at <= now:
            raise ApiTokenRefused("token_expired")
        if token.last_used_at is None or now - token.last_used_at > API_TOKEN_TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token
