from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class ViewConfig(AppConfig):
    """View: a dossier's dashboard, the firm dashboard and the report switches."""

    name = "view"
    label = "view"
    verbose_name = pgettext_lazy("tool", "View")
