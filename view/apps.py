from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ViewConfig(AppConfig):
    """View: a dossier's dashboard, the firm dashboard and the report switches."""

    name = "view"
    label = "view"
    verbose_name = _("View")
