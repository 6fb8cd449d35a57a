"""Celery entry points of Connect. Tasks take ids and call services; the services enqueue them
by name (``core.queue``), so this module imports them and they never import it back."""

from celery import shared_task

from connect.documents.notifications import accountant_digests_send
from connect.documents.services import memory, pipeline, processing


@shared_task(name=processing.PROCESS_TASK, acks_late=True, time_limit=180, soft_time_limit=150)
def document_process(document_id: int) -> None:
    processing.document_process(document_id=document_id)


@shared_task(
    name=pipeline.RECOGNISE_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=600,
    soft_time_limit=540,
)
def document_recognise(document_id: int) -> None:
    """Read the facts of a sent document according to its processing mode. A worker killed
    mid-task leaves the message unacknowledged: it runs again (at most one credit is taken)."""
    pipeline.document_recognise(document_id=document_id)


@shared_task(
    name=memory.LEARN_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=600,
    soft_time_limit=540,
)
def supplier_memory_learn(document_id: int) -> None:
    """Remember where the facts the accountant corrected stood (the document's words are read
    again from the stored file: OCR for a scan). Idempotent: a document teaches once."""
    memory.supplier_memory_learn(document_id=document_id)


@shared_task
def document_processing_sweep() -> int:
    """Beat: enqueue again the documents whose processing or reading never started (broker
    down) or was interrupted; those that failed too often end quarantined or delivered as
    they are."""
    ids = processing.document_processing_sweep()
    for document_id in ids:
        document_process.delay(document_id)
    pending = processing.document_recognition_sweep()
    for document_id in pending:
        document_recognise.delay(document_id)
    return len(ids) + len(pending)


@shared_task
def accountant_digests() -> int:
    """Beat: the accountants' e-mails about new documents, one per dossier and period."""
    return accountant_digests_send()
