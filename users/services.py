"""Writes on the person: the identity behind a WinBooksID, their names and language, the
acceptance of an invitation link, and their personal API tokens. The firm's side (its users,
their levels and roles, the invitations it sends) is in dossiers/members.py,
dossiers/firm_users.py and dossiers/invitations.py."""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import db_scope
from core.errors import ServiceError
from users.models import ApiToken, Language, TokenRevokedBecause, TokenScope, User
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
    names_by: models.Model | None = None,
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
        user.names_set_by_id = names_by.pk
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


def user_language_set(*, user: User, language: str) -> User:
    language_clean(language)
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


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
    firm: models.Model | None = None,
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
    if firm is not None and not actor.memberships.active().filter(firm_id=firm.pk).exists():
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
        firm_id=firm.pk if firm is not None else None,
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


def api_tokens_revoke_for(
    *, user: User, because: str, firm: models.Model | None = None, firmless: bool = True
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
