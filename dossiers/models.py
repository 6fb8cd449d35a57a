"""Firms (the tenant: licence, cartouches, credits), their members (memberships with their
level), their dossiers, the dossier roles and the invitations. The tables of the members, roles
and invitations kept their users_* names when the models moved here (issue 17)."""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from users.models import Language, User


class FirmLevel(models.TextChoices):
    LICENCE_ADMIN = "licence_admin", _("Licence admin")
    POWER_USER = "power_user", _("Power user")
    USER = "user", _("User")


#: Levels whose members are the firm's staff (they see every dossier of their firm).
STAFF_LEVELS = (FirmLevel.LICENCE_ADMIN, FirmLevel.POWER_USER)


class Role(models.TextChoices):
    CONNECT_ENTREPRENEUR = "connect.entrepreneur", _("Connect: entrepreneur")
    CONNECT_ACCOUNTANT = "connect.accountant", _("Connect: accountant")
    VIEW_USER = "view.user", _("View: user")
    VIEW_ADMIN = "view.admin", _("View: administrator")


CONNECT_ROLES = (Role.CONNECT_ENTREPRENEUR, Role.CONNECT_ACCOUNTANT)
VIEW_ROLES = (Role.VIEW_USER, Role.VIEW_ADMIN)


class LicenceKind(models.TextChoices):
    FULL = "full", _("Full")
    LIGHT = "light", _("Light")


class ProcessingMode(models.TextChoices):
    TRANSPORT = "transport", _("Transport")
    PREMIUM = "premium", _("Premium")
    OPTIMUM = "optimum", _("Optimum")


#: What a light licence may hold and use.
LIGHT_MODES = (ProcessingMode.TRANSPORT,)


class Firm(models.Model):
    """An accounting firm (fiduciaire) and its licence."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    licence_kind = models.CharField(
        _("licence kind"), max_length=10, choices=LicenceKind.choices, default=LicenceKind.FULL
    )
    accounting_url = models.URLField(_("Accounting link"), blank=True)
    onweb_url = models.URLField(_("On Web link"), blank=True)
    #: Staff (licence admins, power users) must use two-factor authentication: until they set
    #: it up, every page sends them to the setup (dossiers.middleware.MfaRequiredMiddleware).
    mfa_required_for_staff = models.BooleanField(
        _("two-factor authentication required for staff"), default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("firm")
        verbose_name_plural = _("firms")
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(
                condition=Q(licence_kind__in=LicenceKind.values), name="firm_licence_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_light(self) -> bool:
        return self.licence_kind == LicenceKind.LIGHT


class Cartouche(models.Model):
    """A processing mode the firm's licence holds, with its credit balance."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="cartouches")
    mode = models.CharField(_("processing mode"), max_length=10, choices=ProcessingMode.choices)
    credits = models.PositiveIntegerField(_("credits"), default=0)
    #: When the licence admins were told the credits ran out (cleared when credits are added).
    exhausted_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("cartouche")
        verbose_name_plural = _("cartouches")
        ordering = ("firm", "mode")
        constraints = [
            models.UniqueConstraint(fields=("firm", "mode"), name="cartouche_unique_firm_mode"),
            models.CheckConstraint(
                condition=Q(mode__in=ProcessingMode.values), name="cartouche_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.firm}: {self.mode} ({self.credits})"

    def clean(self) -> None:
        super().clean()
        if self.firm_id and self.firm.is_light and self.mode not in LIGHT_MODES:
            raise ValidationError(
                {"mode": _("A light licence holds the Transport cartouche only.")}
            )


def inbound_email_token() -> str:
    """The local part of a dossier's inbound address: 128 random bits, lower-case base32."""
    return secrets.token_hex(16)


class DossierQuerySet(models.QuerySet["Dossier"]):
    def visible_to(self, user: User) -> "DossierQuerySet":
        """Dossiers the user may see: every dossier of a firm where they are staff, and the
        dossiers where they hold a role, in a firm they still belong to."""
        if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
            return self.none()
        if not settings.PORTAL_APP_SCOPING:  # the second wall alone (tests/security)
            return self.all()
        memberships = FirmMembership.objects.active().filter(user=user)
        staff_firms = memberships.filter(level__in=STAFF_LEVELS).values("firm_id")
        member_firms = memberships.values("firm_id")
        with_role = DossierAccess.objects.filter(user=user).values("dossier_id")
        return self.filter(
            Q(firm_id__in=staff_firms) | (Q(id__in=with_role) & Q(firm_id__in=member_firms))
        )

    def with_role(self, user: User, roles: tuple[str, ...]) -> "DossierQuerySet":
        """Dossiers where the user holds one of ``roles`` (and still belongs to the firm)."""
        if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
            return self.none()
        if not settings.PORTAL_APP_SCOPING:  # the second wall alone (tests/security)
            return self.all()
        member_firms = FirmMembership.objects.active().filter(user=user).values("firm_id")
        dossier_ids = DossierAccess.objects.filter(user=user, role__in=roles).values("dossier_id")
        return self.filter(id__in=dossier_ids, firm_id__in=member_firms)


class Dossier(models.Model):
    """One client company's accounting file, owned by one firm."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="dossiers")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    enterprise_number = models.CharField(_("enterprise number"), max_length=10, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.FR
    )
    connect_enabled = models.BooleanField(_("Connect enabled"), default=False)
    accountant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dossiers_in_charge",
        verbose_name=_("accountant"),
    )
    default_processing_mode = models.CharField(
        _("default processing mode"),
        max_length=10,
        choices=ProcessingMode.choices,
        default=ProcessingMode.TRANSPORT,
    )
    inbound_email_token = models.CharField(max_length=32, unique=True, default=inbound_email_token)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ("code",)
        constraints = [
            models.UniqueConstraint(fields=("firm", "code"), name="dossier_unique_firm_code"),
            models.UniqueConstraint(
                fields=("firm", "enterprise_number"),
                condition=~Q(enterprise_number=""),
                name="dossier_unique_firm_enterprise_number",
            ),
            models.CheckConstraint(
                condition=Q(default_processing_mode__in=ProcessingMode.values),
                name="dossier_processing_mode_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def enterprise_number_display(self) -> str:
        """The enterprise number as Belgians write it: 0403.170.701."""
        n = self.enterprise_number
        return f"{n[:4]}.{n[4:7]}.{n[7:]}" if n else ""


class ConnectionTest(models.Model):
    """One run of a dossier's Connect connection test and its results (a list of checks)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("running")
        DONE = "done", _("done")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="connection_tests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    results = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("connection test")
        verbose_name_plural = _("connection tests")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.dossier} {self.status}"

    #: A test still running after this long was lost (worker killed, broker down).
    STALE_AFTER = timedelta(minutes=2)

    @property
    def passed(self) -> bool:
        return self.status == self.Status.DONE and all(r["ok"] for r in self.results)

    @property
    def waiting_for_client(self) -> bool:
        """Everything is ready but no client holds Connect: entrepreneur yet: the normal state
        of a dossier just switched on, shown as "not ready yet" rather than as a failure."""
        failed = [r for r in self.results if not r["ok"]] if self.status == self.Status.DONE else []
        return bool(failed) and all(
            r["check"] == "entrepreneur" and r.get("detail") == "none" for r in failed
        )

    @property
    def stale(self) -> bool:
        return (
            self.status == self.Status.PENDING
            and self.created_at < timezone.now() - self.STALE_AFTER
        )


class MembershipQuerySet(models.QuerySet["FirmMembership"]):
    def active(self) -> "MembershipQuerySet":
        """Memberships that open the firm: active membership of an active user."""
        return self.filter(is_active=True, user__is_active=True)

    def staff(self) -> "MembershipQuerySet":
        return self.active().filter(level__in=STAFF_LEVELS)


class FirmMembership(models.Model):
    """A user belongs to a firm at one level. A firm deactivates its member here: the identity
    (the WinBooksID) may belong to other firms too."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    firm = models.ForeignKey("dossiers.Firm", on_delete=models.PROTECT, related_name="memberships")
    level = models.CharField(_("level"), max_length=20, choices=FirmLevel.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    #: The firm's own wording for the person in its lists (the names are the person's own).
    display_label = models.CharField(_("display label"), max_length=150, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        db_table = "users_firmmembership"  # the table kept its name when the model moved
        verbose_name = _("firm membership")
        verbose_name_plural = _("firm memberships")
        constraints = [
            models.UniqueConstraint(fields=("user", "firm"), name="membership_unique_user_firm"),
            models.CheckConstraint(
                condition=models.Q(level__in=FirmLevel.values), name="membership_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.firm} ({self.level})"

    @property
    def is_staff_level(self) -> bool:
        return self.level in STAFF_LEVELS

    @property
    def display_name(self) -> str:
        """The person as this firm lists them: its own label, else their names (empty when
        neither is known to this firm)."""
        names = " ".join(n for n in self.user.names_seen_by(self.firm_id) if n)
        return self.display_label or names


class DossierAccess(models.Model):
    """One role of one user on one dossier (a user holds one row per role)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="dossier_accesses")
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="accesses"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "users_dossieraccess"
        verbose_name = _("dossier access")
        verbose_name_plural = _("dossier accesses")
        constraints = [
            models.UniqueConstraint(
                fields=("user", "dossier", "role"), name="access_unique_user_dossier_role"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="access_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.dossier}"


class Invitation(models.Model):
    """A single-use link for a user to choose their password, valid for a limited time. Only
    the SHA-256 of the token is stored; the token itself exists only in the e-mail."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    firm = models.ForeignKey("dossiers.Firm", on_delete=models.PROTECT, related_name="+")
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    #: Set by the worker when it sends the mail (no usable token waits in the database).
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "users_invitation"
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(accepted_at__isnull=False, revoked_at__isnull=False),
                name="invitation_not_accepted_and_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.status})"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
