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


@shared_task
def accountant_digests() -> int:
    """Beat: the accountants' e-mails about new documents, one per dossier and period."""
    from connect.notifications import accountant_digests_send

    return accountant_digests_send()
