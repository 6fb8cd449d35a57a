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
        from connect.models import Document
        from core import db_scope

        # The share page offers the dossier's open to-dos to close with the document.
        share_tasks_register(open_tasks_for)

        # The tasks that work on one document run in the scope of its dossier.
        def dossier_of(document_id: int) -> int | None:
            return (
                Document.objects.filter(pk=document_id).values_list("dossier_id", flat=True).first()
            )

        for task in (
            "connect.tasks.document_process",
            "connect.tasks.document_recognise",
            "connect.tasks.supplier_memory_learn",
        ):
            db_scope.register_dossier_task(task, dossier_of, argument="document_id")
