"""The monthly summaries of a dossier's documents that View's dashboards read. Connect keeps
the table (its tenancy is the dossier's, like the documents'); View computes its rows
(``view.summaries``) through ``connect.models.figures``."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MonthSummary(models.Model):
    """One group of a dossier's figures for one month, kept by View (``view.summaries``): what
    a report needs from that month's documents (sums per currency, supplier, due date, VAT
    rate, category and channel, waiting-time histograms), kept true in the transaction of every
    change to a document. ``row`` holds the group as ``view.queries`` computes it (decimals and
    dates as text)."""

    firm = models.ForeignKey("dossiers.Firm", on_delete=models.CASCADE, related_name="+")
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    report = models.CharField(max_length=20)
    row = models.JSONField()

    class Meta:
        verbose_name = _("monthly summary")
        verbose_name_plural = _("monthly summaries")
        indexes = [models.Index(fields=("dossier", "month"), name="month_summary_dossier")]

    def __str__(self) -> str:
        return f"{self.report} {self.month:%Y-%m} ({self.dossier_id})"
