from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "dossiers"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        from dossiers import (
            mails,  # noqa: F401  (registers the mail renderers)
            tasks,  # noqa: F401  (every process knows the tasks by name: core.queue)
        )
