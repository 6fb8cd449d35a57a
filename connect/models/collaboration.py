"""Connect between two uploads: tasks and deadlines, document requests, message threads, and
supplier payments (SEPA credit transfers) from the invoices already in Connect."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from connect.deadlines import deadline_wording


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task status", "Open")
    DONE = "done", pgettext_lazy("task status", "Done")


class TaskKind(models.TextChoices):
    TASK = "task", _("Task")
    DEADLINE = "deadline", _("Fiscal deadline")


class Task(models.Model):
    """Something to do in a dossier by a date, for one of its users."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="tasks")
    kind = models.CharField(max_length=10, choices=TaskKind.choices, default=TaskKind.TASK)
    #: For generated fiscal deadlines: a stable key ("vat-2026-Q1"), so generating twice adds
    #: nothing.
    deadline_key = models.CharField(max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    due_date = models.DateField(_("due date"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=5, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    #: The document the accountant shared to close it, if any.
    document = models.ForeignKey(
        "connect.Document", on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ("due_date", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("dossier", "deadline_key"),
                condition=~Q(deadline_key=""),
                name="task_unique_deadline",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TaskStatus.values), name="task_status_valid"
            ),
        ]
        indexes = [models.Index(fields=("status", "due_date"), name="task_open_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def shown_title(self) -> str:
        """The title in the reader's language (a generated deadline is worded again; a title
        someone wrote is shown as written)."""
        return self._wording()[0]

    @property
    def shown_description(self) -> str:
        return self._wording()[1]

    def _wording(self) -> tuple[str, str]:
        if self.kind != TaskKind.DEADLINE or not self.deadline_key:
            return self.title, self.description
        return deadline_wording(
            key=self.deadline_key, title=self.title, description=self.description
        )


class RequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    PROVIDED = "provided", _("Provided")
    ACCEPTED = "accepted", _("Accepted")
    MORE_NEEDED = "more_needed", _("More needed")


#: Requests still waiting for the client (reminders go out for these).
REQUEST_WAITING = (RequestStatus.REQUESTED, RequestStatus.MORE_NEEDED)


class DocumentRequest(models.Model):
    """The accountant asks the client for documents ("missing documents"); the client answers
    by uploading into the request."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="document_requests"
    )
    description = models.CharField(_("what is needed"), max_length=500)
    period = models.CharField(_("period"), max_length=100, blank=True)
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.REQUESTED
    )
    #: The accountant's words when more is needed.
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("document request")
        verbose_name_plural = _("document requests")
        ordering = ("due_date", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="request_status_valid"
            ),
        ]
        indexes = [models.Index(fields=("status", "due_date"), name="request_waiting_due")]

    def __str__(self) -> str:
        return self.description


class ReminderSent(models.Model):
    """One reminder rule applied to one task or request: sent once (the unique constraints),
    decided by beat from the database state."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, null=True, blank=True)
    request = models.ForeignKey(DocumentRequest, on_delete=models.CASCADE, null=True, blank=True)
    #: "before-7", "before-1", "due", "overdue-1" (first week late), "overdue-2", ...
    rule = models.CharField(max_length=20)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("task", "rule"), condition=Q(task__isnull=False), name="reminder_task_once"
            ),
            models.UniqueConstraint(
                fields=("request", "rule"),
                condition=Q(request__isnull=False),
                name="reminder_request_once",
            ),
            models.CheckConstraint(
                condition=Q(task__isnull=False, request__isnull=True)
                | Q(task__isnull=True, request__isnull=False),
                name="reminder_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.task_id or self.request_id}"


class Thread(models.Model):
    """A conversation of a dossier's users: general, or about one document."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="threads"
    )
    document = models.ForeignKey(
        "connect.Document", on_delete=models.CASCADE, null=True, blank=True, related_name="threads"
    )
    subject = models.CharField(_("subject"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ("-last_message_at", "-id")
        indexes = [models.Index(fields=("dossier", "-last_message_at"), name="thread_recent")]

    def __str__(self) -> str:
        return self.subject


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("message"), max_length=5000)
    #: A file sent with the message, received like any other document of the dossier.
    attachment = models.ForeignKey(
        "connect.Document", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.thread_id}: {self.body[:40]}"


class ThreadRead(models.Model):
    """Up to when a user has read a thread (messages after it are unread for them)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("thread", "user"), name="thread_read_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.thread_id}"


class PayingAccount(models.Model):
    """A bank account of the client company, from which suppliers are paid."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="paying_accounts"
    )
    name = models.CharField(_("account holder"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("paying account")
        verbose_name_plural = _("paying accounts")
        ordering = ("name", "iban")
        constraints = [
            models.UniqueConstraint(fields=("dossier", "iban"), name="paying_account_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.iban}"


class PaymentBatch(models.Model):
    """A SEPA credit-transfer file (pain.001) made from invoices of the dossier; kept, and
    downloadable again."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="payment_batches"
    )
    account = models.ForeignKey(PayingAccount, on_delete=models.PROTECT, related_name="batches")
    message_id = models.CharField(max_length=35, unique=True)
    pain_version = models.CharField(max_length=20)
    storage_name = models.CharField(max_length=300)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    count = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.message_id


class PaymentLine(models.Model):
    batch = models.ForeignKey(PaymentBatch, on_delete=models.CASCADE, related_name="lines")
    document = models.ForeignKey(
        "connect.Document", on_delete=models.PROTECT, related_name="payment_lines"
    )
    creditor_name = models.CharField(max_length=70)
    creditor_iban = models.CharField(max_length=34)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    execution_date = models.DateField()
    #: The Belgian structured communication (+++123/4567/89002+++) or free text.
    structured_reference = models.CharField(max_length=20, blank=True)
    remittance = models.CharField(max_length=140, blank=True)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.creditor_name} {self.amount}"
