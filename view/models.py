"""View's records: the reports switched off."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportSwitch(models.Model):
    """A View report switched off, for one dossier or (``dossier`` empty) for every dossier of
    the firm. No row: the report is shown."""

    firm = models.ForeignKey("dossiers.Firm", on_delete=models.CASCADE, related_name="+")
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    report = models.CharField(max_length=40)
    switched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    switched_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "portal_reportswitch"  # moved from the portal app, the table kept
        verbose_name = _("report switched off")
        verbose_name_plural = _("reports switched off")
        constraints = [
            models.UniqueConstraint(
                fields=("firm", "report"),
                condition=models.Q(dossier__isnull=True),
                name="report_switch_firm_unique",
            ),
            models.UniqueConstraint(
                fields=("dossier", "report"),
                condition=models.Q(dossier__isnull=False),
                name="report_switch_dossier_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} off ({self.dossier_id or 'firm'})"
