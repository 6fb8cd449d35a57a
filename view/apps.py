from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import pgettext_lazy


class ViewConfig(AppConfig):
    """View: a dossier's dashboard, the firm dashboard and the report switches."""

    name = "view"
    label = "view"
    verbose_name = pgettext_lazy("tool", "View")

    def ready(self) -> None:
        from connect.models.figures import register_keeper
        from view.summaries import KEEPER, build_when_missing

        register_keeper(KEEPER)
        post_migrate.connect(build_when_missing, sender=self)
