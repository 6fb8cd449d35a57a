"""Connect: how it works for one dossier, as its accountant configured it (``ConnectProfile``),
and the e-mails received on the dossier's address, kept as the source of their documents."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from connect.models.documents import Category


class ConnectProfile(models.Model):
    """How Connect works for one client company, configured by its accountant."""

    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="connect_profile"
    )
    auto_send = models.BooleanField(
        _("Send documents to the accountant as soon as they are received"), default=False
    )
    require_due_date = models.BooleanField(
        _("A due date is required before sending"), default=False
    )
    require_amount = models.BooleanField(_("An amount is required before sending"), default=False)
    pre_validation = models.BooleanField(
        _("The accountant validates documents before they are processed"), default=False
    )
    allowed_categories = models.JSONField(default=list, blank=True)
    email_allow_list = models.TextField(
        _(
            "Accepted senders for the e-mail address (one address or @domain per line; empty: "
            "anyone)"
        ),
        blank=True,
    )
    digest_hours = models.PositiveSmallIntegerField(
        _("At most one e-mail about new documents every (hours; 0: none)"), default=24
    )
    notify_client = models.BooleanField(
        _("Tell the client by e-mail when a document is rejected or shared"), default=True
    )
    reminder_days = models.CharField(
        _("Reminders before the due date (days, separated by commas; 0: on the day)"),
        max_length=50,
        default="7,1,0",
    )
    reminder_overdue_weekly = models.BooleanField(
        _("Remind every week while a task or request is overdue"), default=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    #: The dossier's e-mail address before its last rotation, still received until
    #: ``previous_inbound_email_until`` (then unknown: refused like any other address).
    previous_inbound_email_token = models.CharField(max_length=32, blank=True, db_index=True)
    previous_inbound_email_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Connect settings")
        verbose_name_plural = _("Connect settings")

    def __str__(self) -> str:
        return f"Connect profile of {self.dossier_id}"

    def categories(self) -> list[str]:
        return [c for c in self.allowed_categories if c in Category.values] or list(Category.values)

    def sender_allowed(self, sender: str) -> bool:
        rules = [
            line.strip().lower() for line in self.email_allow_list.splitlines() if line.strip()
        ]
        if not rules:
            return True
        sender = sender.strip().lower()
        return any(
            sender == rule or (rule.startswith("@") and sender.endswith(rule)) for rule in rules
        )


class InboundMessage(models.Model):
    """An e-mail received on a dossier's address, kept as the source of its documents."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        PARTIAL = "partial", _("partly accepted")
        BOUNCED = "bounced", _("returned to the sender")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="inbound_messages"
    )
    channel = models.CharField(max_length=20)
    sender = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    storage_name = models.CharField(max_length=300)
    size = models.PositiveBigIntegerField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    # Who really sent it (connect/documents/services/mail_auth.py): the checks' results and the
    # From: domain they authenticate, aligned ("" when none: the sender is not verified).
    auth_spf = models.CharField(max_length=20, blank=True)
    auth_dkim = models.CharField(max_length=20, blank=True)
    auth_dmarc = models.CharField(max_length=40, blank=True)
    auth_domain = models.CharField(max_length=253, blank=True)

    class Meta:
        verbose_name = _("received e-mail")
        verbose_name_plural = _("received e-mails")
        ordering = ("-received_at",)

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"

    @property
    def sender_verified(self) -> bool:
        return bool(self.auth_domain)
