"""Connect: the bank accounts each supplier of a dossier was seen with (docs/payments.md). An
IBAN new for a supplier that already has another one is a change someone must confirm before
the invoice goes into a payment file (invoice-redirection fraud)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SupplierAccount(models.Model):
    """One IBAN of one supplier of one dossier (``supplier_key``: ``vat:BE0123456749``, else
    ``name:garage martin``). ``needs_confirmation``: it was new while the supplier already had
    another IBAN; until ``confirmed_at`` its invoices are not paid from Connect."""

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="supplier_accounts"
    )
    supplier_key = models.CharField(max_length=250)
    supplier_name = models.CharField(_("supplier"), max_length=200, blank=True)
    iban = models.CharField(_("IBAN"), max_length=40)
    first_document = models.ForeignKey(
        "connect.Document", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_seen_at = models.DateTimeField(auto_now_add=True)
    needs_confirmation = models.BooleanField(default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("supplier bank account")
        verbose_name_plural = _("supplier bank accounts")
        ordering = ("first_seen_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("dossier", "supplier_key", "iban"), name="supplier_account_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.supplier_key} {self.iban}"

    @property
    def pending(self) -> bool:
        return self.needs_confirmation and self.confirmed_at is None
