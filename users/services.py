"""Writes on identities, memberships and dossier roles."""

from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from dossiers.models import Dossier, Firm
from portal.errors import ServiceError
from users.models import DossierAccess, FirmLevel, FirmMembership, Language, Role, User
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
) -> tuple[User, bool]:
    """The identity behind a WinBooksID: an existing person is reused, never duplicated.
    The names, language and password of an existing person are left as they are."""
    email = winbooks_id_clean(email)
    language_clean(language)
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        return existing, False
    user = User(
        email=email, first_name=first_name.strip(), last_name=last_name.strip(), language=language
    )
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
    return wanted


def user_language_set(*, user: User, language: str) -> User:
    language_clean(language)
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
