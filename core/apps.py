from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel as a Django app: it holds the records every app writes (the mail outbox, the
    audit trail) and the Celery tasks that deliver the mail. No admin, no urls."""

    name = "core"
    label = "core"

    def ready(self) -> None:
        from core import tasks  # noqa: F401  (every process knows the tasks by name: core.queue)
