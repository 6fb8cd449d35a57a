"""The kernel's records: the mail outbox and the audit trail, written by every app. The
firm, dossier and user they point to are named by string (no import of those apps)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundEmail(models.Model):
    """A rendered message waiting for, or done with, delivery. The row is written in the same
    transaction as what caused it; the worker sends it at most once (row lock + status), and a
    sweeper re-enqueues what a broker outage left behind."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=50)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=255)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "portal_outboundemail"  # moved from the portal app, the table kept
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [models.Index(fields=("status", "created_at"), name="outbound_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "sent", "failed"]),
                name="outbound_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to} ({self.status})"


class AuditAction(models.TextChoices):
    USER_CREATED = "user.created", _("User created")
    USER_LINKED = "user.linked", _("Existing WinBooksID added to the firm")
    USER_CHANGED = "user.changed", _("User changed")
    USER_DEACTIVATED = "user.deactivated", _("User deactivated")
    USER_REACTIVATED = "user.reactivated", _("User reactivated")
    LEVEL_CHANGED = "user.level_changed", _("Level changed")
    ROLES_CHANGED = "access.roles_changed", _("Dossier roles changed")
    INVITATION_SENT = "invitation.sent", _("Invitation sent")
    INVITATION_ACCEPTED = "invitation.accepted", _("Invitation accepted")
    INVITATION_REVOKED = "invitation.revoked", _("Invitation revoked")
    DOSSIER_CREATED = "dossier.created", _("Dossier created")
    DOSSIER_CHANGED = "dossier.changed", _("Dossier information changed")
    CONNECT_SWITCHED = "dossier.connect_switched", _("Connect switched")
    ACCOUNTANT_CHANGED = "dossier.accountant_changed", _("Accountant changed")
    MODE_CHANGED = "dossier.mode_changed", _("Default processing mode changed")
    REPORT_SWITCHED = "view.report_switched", _("View report switched on or off")
    FIRM_MFA_CHANGED = "firm.mfa_required", _("Two-factor authentication for staff changed")
    SUPPLIER_ACCOUNT_CONFIRMED = "connect.supplier_account", _("Supplier bank account confirmed")
    INBOUND_ADDRESS_ROTATED = "dossier.inbound_rotated", _("E-mail address of the dossier changed")
    API_TOKEN_REVOKED = "api_token.revoked", _("API token revoked")


class AuditEvent(models.Model):
    """Who did what, when, to which user or dossier of the firm, with the values before and
    after. Append-only: services write it in the transaction of the change."""

    firm = models.ForeignKey("dossiers.Firm", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "portal_auditevent"  # moved from the portal app, the table kept
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=("firm", "dossier", "-created_at"), name="audit_firm_dossier"),
            models.Index(fields=("firm", "subject_user", "-created_at"), name="audit_firm_user"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"
