"""The collaboration's Celery task: the reminders' beat. It keeps the name it had in
``connect.tasks`` (the beat schedule and queued messages use it). Registered with the worker by
``connect.apps`` (Celery's autodiscovery imports only ``connect.tasks``)."""

from datetime import date

from celery import shared_task

from connect.collaboration.reminders import reminders_send as send


@shared_task(
    name="connect.tasks.reminders_send", acks_late=True, time_limit=600, soft_time_limit=540
)
def reminders_send(today: str | None = None) -> int:
    """Beat: the reminder e-mails of tasks and document requests due today (``today``, an ISO
    date, stands for another day: tests and catching up by hand). Idempotent: each rule of
    each item is sent once (see connect.collaboration.reminders)."""
    return send(today=date.fromisoformat(today) if today else None)
