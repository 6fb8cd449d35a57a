from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectConfig(AppConfig):
    name = "connect"
    verbose_name = _("Connect")

    def ready(self) -> None:
        # The wiring of Connect's parts: the documents import no feature, the features plug in.
        from connect.collaboration import tasks  # noqa: F401  (the reminders' beat, for the worker)
        from connect.collaboration.todos.services import open_tasks_for
        from connect.documents import signals  # noqa: F401  (connects the provider webhook)
        from connect.documents.hooks import share_tasks_register

        # The share page offers the dossier's open to-dos to close with the document.
        share_tasks_register(open_tasks_for)
