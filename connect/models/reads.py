"""Connect: who read which document, when and how (the audit of reads)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ReadKind(models.TextChoices):
    """How a document was read. Thumbnails are part of the page and are not counted."""

    PAGE = "page", _("Document page")
    DOWNLOAD = "download", pgettext_lazy("document read", "Download")
    ATTACHMENT = "attachment", _("E-invoice attachment")
    API_DOCUMENT = "api_document", _("API: document")
    API_CONTENT = "api_content", _("API: file")
    API_ZIP = "api_zip", _("API: zip")


class DocumentRead(models.Model):
    """One read of one document: a page shown, a file sent, or one document of a zip. Written
    before the first byte leaves; never changed."""

    document = models.ForeignKey("connect.Document", on_delete=models.PROTECT, related_name="reads")
    #: Copied from the document when it is read: the dossier's list and CSV join nothing (the
    #: firm's staff see the reads without a Connect role, which row-level security requires
    #: to read the documents themselves), and the name is the one the document had then.
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="+")
    document_public_id = models.UUIDField()
    filename = models.CharField(max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    #: The reader's WinBooksID at the time, kept if the user is deleted.
    actor_email = models.CharField(max_length=254)
    token = models.ForeignKey(
        "users.ApiToken", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    how = models.CharField(max_length=12, choices=ReadKind.choices)
    at = models.DateTimeField(default=timezone.now)
    #: The client's network, trimmed: IPv4 /24, IPv6 /48.
    network = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("document read")
        verbose_name_plural = _("document reads")
        ordering = ("-at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=Q(how__in=ReadKind.values), name="document_read_how_valid"
            ),
        ]
        indexes = [
            # The dossier's list and CSV, newest first (keyset on (at, id)).
            models.Index(fields=("dossier", "-at", "-id"), name="document_read_dossier"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} {self.how} {self.actor_email}"
