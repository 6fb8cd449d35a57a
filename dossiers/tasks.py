"""Celery entry points of the dossiers app."""

from celery import shared_task

from dossiers import services


@shared_task(name=services.CONNECTION_TEST_TASK, acks_late=True, time_limit=60, soft_time_limit=45)
def connection_test_run(test_id: int) -> None:
    """Run one Connect connection test (the checks are read-only but for a storage probe)."""
    services.connection_test_run(test_id=test_id)
