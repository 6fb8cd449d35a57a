from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectConfig(AppConfig):
    name = "connect"
    verbose_name = _("Connect")

    def ready(self) -> None:
        # The wiring of Connect's parts: the documents import no feature, the features plug in.
        # Every process knows every task by name (core.queue): the services enqueue by name.
        from connect import tasks  # noqa: F401
        from connect.collaboration import tasks as collaboration_tasks  # noqa: F401  (reminders)
        from connect.collaboration.todos.services import open_tasks_for
        from connect.documents import signals  # noqa: F401  (connects the provider webhook)
        from connect.documents.hooks import share_tasks_register
        from connect.documents.services.memory import LEARN_TASK
        from connect.documents.services.pipeline import RECOGNISE_TASK
        from connect.documents.services.processing import PROCESS_TASK
        from connect.models import Document
        from core import db_scope

        # The share page offers the dossier's open to-dos to close with the document.
        share_tasks_register(open_tasks_for)

        # The tasks that work on one document run in the scope of its dossier.
        def dossier_of(document_id: int) -> int | None:
            return (
                Document.objects.filter(pk=document_id).values_list("dossier_id", flat=True).first()
            )

        for task in (PROCESS_TASK, RECOGNISE_TASK, LEARN_TASK):
            db_scope.register_dossier_task(task, dossier_of, argument="document_id")
