"""Celery entry points of Connect. Tasks take ids and call services."""

from celery import shared_task

from connect.services import processing


@shared_task(acks_late=True, time_limit=180, soft_time_limit=150)
def document_process(document_id: int) -> None:
    processing.document_process(document_id=document_id)


@shared_task
def document_processing_sweep() -> int:
    """Beat: enqueue again the documents whose processing never started (broker down) or
    failed; those that failed too often end quarantined."""
    ids = processing.document_processing_sweep()
    for document_id in ids:
        document_process.delay(document_id)
    return len(ids)
