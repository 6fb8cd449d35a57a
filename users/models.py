"""The person: the identity (the WinBooksID) and their personal API tokens. A person's
memberships of firms, their dossier roles and invitations are the firm's (dossiers/models.py)."""

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Language(models.TextChoices):
    FR = "fr", "Français"
    NL = "nl", "Nederlands"
    DE = "de", "Deutsch"
    EN = "en", "English"


def normalize_winbooks_id(email: str) -> str:
    """A WinBooksID is an e-mail address, compared and stored in lower case."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=normalize_winbooks_id(username or ""))

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        email = normalize_winbooks_id(email)
        if not email:
            raise ValueError("A WinBooksID (e-mail address) is required.")
        user = self.model(email=email, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra["is_superuser"] = True
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The login is the WinBooksID: an e-mail address, one per person across firms."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("WinBooksID"), max_length=254, unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.FR
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    #: When the person made their names their own (accepting an invitation, logging in, or on
    #: their profile): from then on no firm changes them (each keeps its own display label).
    names_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    #: Before that, the firm that wrote the names: only it may change them. No database
    #: constraint: the identity is no firm's row (docs/tenancy.md), only the id is compared.
    names_set_by = models.ForeignKey(
        "dossiers.Firm",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        db_constraint=False,
        related_name="+",
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ("email",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="user_email_lower_case"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_winbooks_id(self.email)

    @property
    def is_staff(self) -> bool:
        """Django's admin is for the platform operator only (superusers)."""
        return self.is_superuser

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    def names_seen_by(self, firm_id: int) -> tuple[str, str]:
        """The names a firm may show: the person's own, or those this firm wrote; another
        firm's wording for a person who has not confirmed their names yet is not shown."""
        if self.names_confirmed_at is None and self.names_set_by_id not in (None, firm_id):
            return "", ""
        return self.first_name, self.last_name


class TokenScope(models.TextChoices):
    READ = "read", pgettext_lazy("token scope", "Read")
    READ_UPLOAD_ACKNOWLEDGE = (
        "read_upload_acknowledge",
        pgettext_lazy("token scope", "Read, upload and acknowledge"),
    )


class TokenRevokedBecause(models.TextChoices):
    OWNER = "owner", _("Revoked by its owner")
    FIRM_STAFF = "firm_staff", _("Revoked by the firm's staff")
    PASSWORD = "password", _("Password changed")
    SESSIONS = "sessions", _("Other sessions logged out")
    DEACTIVATED = "deactivated", _("Deactivated in a firm")
    ROLES_REMOVED = "roles_removed", _("Last role removed")


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def alive(self) -> "ApiTokenQuerySet":
        """Tokens that still open the API: not revoked, not expired, of an active user."""
        return self.filter(
            revoked_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True
        )

    def unrevoked(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API token of a user, for a desktop tool or a script. Only the SHA-256 of the
    token is stored; the token is shown once, when it is made. Its prefix identifies it in
    lists."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_because = models.CharField(
        max_length=20, choices=TokenRevokedBecause.choices, blank=True, default=""
    )
    #: After this moment the token opens nothing (at most a year after it is made).
    expires_at = models.DateTimeField(_("expires"))
    #: What the token may do: read, or also upload and acknowledge retrieved documents.
    scope = models.CharField(
        _("scope"),
        max_length=30,
        choices=TokenScope.choices,
        default=TokenScope.READ_UPLOAD_ACKNOWLEDGE,
    )
    #: If set, the token reaches only this firm's dossiers.
    firm = models.ForeignKey(
        "dossiers.Firm",
        verbose_name=_("firm"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.READ_UPLOAD_ACKNOWLEDGE
