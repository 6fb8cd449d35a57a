"""Connect: the documents a client company and its accounting firm exchange, and the binders
they are kept in."""

import uuid
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from connect.models import figures
from dossiers.access import in_connect_reach
from dossiers.models import DossierAccess, ProcessingMode, Role
from users.models import User


class Category(models.TextChoices):
    PURCHASE_INVOICE = "purchase_invoice", _("Purchase invoice")
    SALES_INVOICE = "sales_invoice", _("Sales invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")
    EXPENSE = "expense", _("Expense")
    BANK_STATEMENT = "bank_statement", _("Bank statement")
    PAYSLIP = "payslip", _("Payslip")
    OTHER = "other", _("Other")


#: Categories shown under "Invoices"; the others are "Documents".
INVOICE_CATEGORIES = (
    Category.PURCHASE_INVOICE,
    Category.SALES_INVOICE,
    Category.CREDIT_NOTE,
    Category.EXPENSE,
)


class Source(models.TextChoices):
    WEB = "web", pgettext_lazy("document source", "Web")
    EMAIL = "email", pgettext_lazy("document source", "E-mail")
    API = "api", pgettext_lazy("document source", "API")
    PEPPOL = "peppol", pgettext_lazy("document source", "Peppol")
    SHARED = "shared", pgettext_lazy("document source", "Shared by the accountant")


class Status(models.TextChoices):
    """The status of one document: each label reads well for a single document, whoever reads
    it (``connect.documents.words.status_label`` words "shared" from the reader's side)."""

    DRAFT = "draft", _("On my desk")
    SENT = "sent", pgettext_lazy("document status", "Sent to the accountant")
    VALIDATED = "validated", _("Validated")
    RETRIEVED = "retrieved", _("Retrieved")
    BOOKED = "booked", _("Booked")
    REJECTED = "rejected", _("Rejected")
    SHARED = "shared", pgettext_lazy("document status", "Shared by the accountant")
    #: Taken back by the client after a rejection (deleted, or replaced by a new file): out of
    #: every list, its history kept.
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Processing(models.TextChoices):
    PENDING = "pending", _("waiting")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
    QUARANTINED = "quarantined", _("quarantined")


class Recognition(models.TextChoices):
    """Where the document stands in the processing mode's pipeline (after sending)."""

    NONE = "none", _("not needed")
    PENDING = "pending", _("being read")
    DONE = "done", _("read")
    REVIEW = "review", _("waiting for review")
    FALLBACK = "fallback", _("delivered as Transport")
    FAILED = "failed", _("could not be read")


class EmbeddedProblem(models.TextChoices):
    """Why the invoice XML a PDF carries was not used (the PDF is then read like any other)."""

    UNREADABLE = "unreadable", _("The e-invoice inside the PDF is damaged and could not be read.")
    NOT_INVOICE = "not_invoice", _("The XML file inside the PDF is not an e-invoice.")
    INCOMPLETE = "incomplete", _("The e-invoice inside the PDF lacks mandatory facts.")


#: Recognition states that keep a sent document from the retrieval queue.
RECOGNITION_WAITING = (Recognition.PENDING, Recognition.REVIEW)


class BuiltinBinder(models.TextChoices):
    """The locked binders every dossier has, filled by the accountant."""

    PAYMENTS = "payments", _("Payments")
    BANK_STATEMENTS = "bank_statements", _("Bank statements")
    REPORTS = "reports", _("Reports and miscellaneous operations")
    PAYSLIPS = "payslips", _("Payslips")


class Binder(models.Model):
    """A folder of a dossier: a built-in, locked binder, or one of the client's own (which may
    hold sub-folders)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="binders"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    builtin = models.CharField(max_length=20, choices=BuiltinBinder.choices, blank=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("binder")
        verbose_name_plural = _("binders")
        ordering = ("builtin", "name")
        constraints = [
            models.UniqueConstraint(
                fields=("dossier", "builtin"),
                condition=~Q(builtin=""),
                name="binder_unique_builtin",
            ),
            models.UniqueConstraint(
                fields=("dossier", "parent", "name"),
                condition=Q(builtin=""),
                name="binder_unique_name",
            ),
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def locked(self) -> bool:
        return bool(self.builtin)

    @property
    def display_name(self) -> str:
        return str(BuiltinBinder(self.builtin).label) if self.builtin else self.name

    @property
    def path(self) -> str:
        """The name with its parent's, for sub-folders: "Assurances / Voiture"."""
        return f"{self.parent.path} / {self.display_name}" if self.parent else self.display_name


def not_others_drafts(actor: User, prefix: str = "") -> Q:
    """The client's private desk: a draft (or a draft the client replaced: withdrawn, never
    sent) is seen by the dossier's entrepreneurs only, and by whoever uploaded it (the
    accountant sees the drafts they uploaded). ``prefix`` reaches the document through a
    relation (``"document__"`` from a thread)."""
    own_desks = DossierAccess.objects.filter(user=actor, role=Role.CONNECT_ENTREPRENEUR).values(
        "dossier_id"
    )
    never_sent = Q(**{f"{prefix}status": Status.DRAFT}) | Q(
        **{f"{prefix}status": Status.WITHDRAWN, f"{prefix}sent_at__isnull": True}
    )
    return (
        Q(**{f"{prefix}dossier__in": own_desks})
        | ~never_sent
        | Q(**{f"{prefix}uploaded_by": actor})
    )


class DocumentQuerySet(models.QuerySet["Document"]):
    """Documents; every bulk write keeps the figures drawn from them true
    (``connect.models.figures``)."""

    def update(self, **kwargs: Any) -> int:
        if not figures.touches_figures(kwargs):
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            ids = list(self.values_list("pk", flat=True))
            before = figures.keys_of(ids)
            count = super().update(**kwargs)
            figures.refresh(before, ids)
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        if not figures.touches_figures(None):
            return super().delete()
        with transaction.atomic(using=self.db):
            ids = list(self.values_list("pk", flat=True))
            duplicates = _duplicates_of(ids)
            before = figures.keys_of(ids + duplicates)
            deleted = super().delete()
            figures.refresh(before, duplicates)
        return deleted

    def bulk_create(  # type: ignore[override]
        self, objs: Any, *args: Any, **kwargs: Any
    ) -> list["Document"]:
        if not figures.touches_figures(None):
            return list(super().bulk_create(objs, *args, **kwargs))
        with transaction.atomic(using=self.db):
            created: list[Document] = list(super().bulk_create(objs, *args, **kwargs))
            ids = [document.pk for document in created]
            if None in ids:  # a database that does not return the new ids
                raise NotImplementedError("bulk_create must return the documents' ids")
            figures.refresh(figures.keys_of([]), ids)
        return created

    def visible_to(self, actor: User) -> "DocumentQuerySet":
        """The documents ``actor`` may read: those of the dossiers in their Connect reach
        (``dossiers.access.in_connect_reach``), without the others' private drafts
        (``not_others_drafts``). Every read of documents reachable from a request starts
        here; another firm's or dossier's id is a missing id."""
        if not getattr(actor, "is_authenticated", False):
            return self.none()
        return in_connect_reach(self, actor).filter(not_others_drafts(actor))


class Document(models.Model):
    """One file exchanged in a dossier, with the facts the client or the accountant added."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey("dossiers.Firm", on_delete=models.PROTECT, related_name="+")
    # No index of its own: "document_desk" (dossier, status, uploaded_at) leads with it. A
    # second one misled the planner (docs/scaling.md, "The firm dashboard among other firms").
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="documents", db_index=False
    )
    binder = models.ForeignKey(
        Binder, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    # The file, as received: stored under a generated name, never the sender's.
    filename = models.CharField(_("name"), max_length=200)
    storage_name = models.CharField(max_length=300, unique=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    #: The file itself is an XML e-invoice (Peppol UBL, or CII).
    is_ubl = models.BooleanField(default=False)
    #: A PDF's embedded invoice XML (Factur-X, ZUGFeRD, XRechnung, Odoo's UBL): its name, and
    #: why it could not be used (then the PDF is read like any other).
    embedded_invoice = models.CharField(max_length=200, blank=True)
    embedded_invoice_problem = models.CharField(
        max_length=20, choices=EmbeddedProblem.choices, blank=True
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    # Lifecycle
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    booking_number = models.CharField(_("booking number"), max_length=50, blank=True)
    reject_reason = models.CharField(_("reason"), max_length=500, blank=True)
    # Facts added by the client
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.PURCHASE_INVOICE
    )
    keyword = models.CharField(_("keyword"), max_length=100, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    paid = models.BooleanField(_("paid"), default=False)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    # After receiving
    processing = models.CharField(
        max_length=12, choices=Processing.choices, default=Processing.PENDING
    )
    processing_attempts = models.PositiveSmallIntegerField(default=0)
    processing_error = models.CharField(max_length=300, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    #: When the preview was asked for again (a retry); the upload time before that.
    processing_queued_at = models.DateTimeField(null=True, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    thumbnail_name = models.CharField(max_length=300, blank=True)
    inbound_message = models.ForeignKey(
        "InboundMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="documents"
    )
    #: Came by e-mail from a sender whose domain was not authenticated (SPF/DKIM/DMARC) or not
    #: allowed: it stayed on the client's desk, and says so wherever it is shown.
    sender_unverified = models.BooleanField(default=False)
    #: The accountant's request this upload answers, if any.
    request = models.ForeignKey(
        "connect.DocumentRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
    )
    # Processing mode and recognition (the pipeline after sending)
    processing_mode = models.CharField(
        _("processing mode"),
        max_length=10,
        choices=ProcessingMode.choices,
        default=ProcessingMode.TRANSPORT,
    )
    recognition = models.CharField(
        max_length=10, choices=Recognition.choices, default=Recognition.NONE
    )
    recognition_attempts = models.PositiveSmallIntegerField(default=0)
    #: When the reading was asked for, and when a worker last took it (a lease: another run
    #: does not start while it is fresh; the sweeper retries once it is stale).
    recognition_queued_at = models.DateTimeField(null=True, blank=True)
    recognition_started_at = models.DateTimeField(null=True, blank=True)
    #: The facts delivered with the document (DESIGN.md §4 `recognized`): from the UBL, from
    #: recognition, or as corrected by the accountant.
    recognized = models.JSONField(null=True, blank=True)
    #: What the machine read, kept when the accountant corrects it.
    recognized_machine = models.JSONField(null=True, blank=True)
    #: The e-invoice's preview as the document page shows it (connect.einvoice.stored): kept
    #: when the e-invoice is read, or at the page's first view; the file is not read again.
    einvoice_preview = models.JSONField(null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    retrieved_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    #: The rejected document this one replaces (the client's corrected file).
    replaces = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaced_by"
    )

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ("-uploaded_at", "-id")
        constraints = [
            # The same bytes are kept once per dossier (what the client took back aside).
            models.UniqueConstraint(
                fields=("dossier", "sha256"),
                condition=~Q(status="withdrawn"),
                name="document_unique_bytes",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="document_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="document_category_valid"
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="document_not_empty"),
        ]
        indexes = [
            models.Index(fields=("dossier", "status", "-uploaded_at"), name="document_desk"),
            # The accountant's inbox (the work queue's default order): open documents of one
            # firm, newest sent first; a page starts at its cursor, (sent_at, id) < (x, y).
            models.Index(
                fields=("firm", "-sent_at", "-id"),
                condition=Q(status__in=("sent", "validated", "retrieved")) & ~Q(source="shared"),
                name="document_inbox_firm",
            ),
            # The same, one dossier chosen in the inbox's filter.
            models.Index(
                fields=("dossier", "-sent_at", "-id"),
                condition=Q(status__in=("sent", "validated", "retrieved")) & ~Q(source="shared"),
                name="document_inbox_dossier",
            ),
            models.Index(fields=("processing", "uploaded_at"), name="document_processing"),
            # The retrieval queue of a dossier (API `status=new`), in the order it is offered.
            models.Index(
                fields=("dossier", "ready_at", "id"),
                condition=Q(status__in=("sent", "validated")) & ~Q(source="shared"),
                name="document_retrieval",
            ),
            # The API's list of a dossier's new documents (``NEW_DOCUMENT``), by id from the
            # cursor on: the dossier's new rows alone, in the order of the pages.
            models.Index(
                fields=("dossier", "id"),
                condition=Q(status__in=("sent", "validated"), ready_at__isnull=False)
                & ~Q(source="shared"),
                name="document_new_by_id",
            ),
            # View's dossier dashboard: what left the desk, by the day it was sent.
            models.Index(
                fields=("dossier", "sent_at"),
                condition=~Q(status="draft"),
                name="document_dossier_sent",
            ),
            # View's summaries (``view.summaries``) read one month of a dossier: the invoices
            # dated in it (the date as written; ISO dates sort as text) and the documents sent
            # in it.
            models.Index(
                F("dossier"),
                KeyTextTransform("issue_date", "recognized"),
                name="document_dossier_issue_day",
            ),
            models.Index(
                F("dossier"), Coalesce("sent_at", "uploaded_at"), name="document_dossier_moment"
            ),
            models.Index(
                fields=("recognition", "sent_at"),
                condition=Q(recognition__in=("pending", "review")),
                name="document_recognition",
            ),
        ]

    def __str__(self) -> str:
        return self.filename

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saved with the figures drawn from it (``connect.models.figures``), when the save
        may move one."""
        if not figures.touches_figures(kwargs.get("update_fields")):
            super().save(*args, **kwargs)
            return
        with transaction.atomic(using=kwargs.get("using")):
            before = figures.keys_of([] if self._state.adding else [self.pk])
            super().save(*args, **kwargs)
            figures.refresh(before, [self.pk])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if not figures.touches_figures(None) or self.pk is None:
            return super().delete(*args, **kwargs)
        with transaction.atomic(using=kwargs.get("using")):
            duplicates = _duplicates_of([self.pk])
            before = figures.keys_of([self.pk, *duplicates])
            deleted = super().delete(*args, **kwargs)
            figures.refresh(before, duplicates)
        return deleted

    @property
    def carries_einvoice(self) -> bool:
        """Its facts come from an e-invoice's XML, exactly and at no credit: the file is one,
        or a PDF carries one that could be read."""
        return self.is_ubl or bool(self.embedded_invoice and not self.embedded_invoice_problem)


def _duplicates_of(ids: list[int]) -> list[int]:
    """The documents marked duplicates of these (the delete sets their mark to NULL)."""
    if not ids:
        return []
    return list(Document.objects.filter(duplicate_of__in=ids).values_list("pk", flat=True))


class DocumentText(models.Model):
    """The text read from a document (text layer, OCR or e-invoice), for full-text search. On
    PostgreSQL a GIN index over the French, Dutch, German and English configurations serves
    the search (migration 0005)."""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="text")
    text = models.TextField(blank=True)
    method = models.CharField(max_length=10, blank=True)
    language = models.CharField(max_length=2, blank=True)

    class Meta:
        verbose_name = _("document text")
        verbose_name_plural = _("document texts")

    def __str__(self) -> str:
        return f"text of {self.document_id}"


class DocumentAttachment(models.Model):
    """A file embedded in a Peppol e-invoice (EmbeddedDocumentBinaryObject), kept with it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("name"), max_length=200)
    storage_name = models.CharField(max_length=300, unique=True)
    declared_type = models.CharField(max_length=100)
    content_type = models.CharField(max_length=100)
    type_matches = models.BooleanField(default=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ("id",)

    def __str__(self) -> str:
        return self.filename


class CreditUse(models.Model):
    """The ledger of recognition credits: one row per recognised document, at most."""

    firm = models.ForeignKey("dossiers.Firm", on_delete=models.PROTECT, related_name="credit_uses")
    mode = models.CharField(max_length=10)
    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="credit_use")
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="+")
    #: Who sent the document (whose action consumed the credit).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("credit used")
        verbose_name_plural = _("credits used")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.firm_id} {self.mode} {self.document_id}"


class EventKind(models.TextChoices):
    RECEIVED = "received", _("Received")
    CHANGED = "changed", _("Changed")
    SENT = "sent", pgettext_lazy("document status", "Sent to the accountant")
    VALIDATED = "validated", _("Validated")
    REJECTED = "rejected", _("Rejected")
    RETRIEVED = "retrieved", _("Retrieved")
    BOOKED = "booked", _("Booked")
    SHARED = "shared", _("Shared with the client")
    REQUESTED = "requested", _("Uploaded for a request")
    RECOGNISED = "recognised", _("Read")
    REVIEWED = "reviewed", _("Facts corrected")
    MODE = "mode", _("Processing mode changed")
    REMEMBERED = "remembered", _("Supplier memory updated")
    REPLACED = "replaced", _("Replaced by a new file")
    #: On the new file: the document it replaces (its name in the note).
    REPLACES = "replaces", _("Replaces an earlier file")
    WITHDRAWN = "withdrawn", _("Withdrawn by the client")


class DocumentEvent(models.Model):
    """The history of a document, shown on its page."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("document event")
        verbose_name_plural = _("document events")
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.document_id} {self.kind}"
