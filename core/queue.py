"""Enqueueing work after commit, without letting a broker outage fail the request: the work is
already recorded in the database, and a beat-scheduled sweeper enqueues it again later."""

import logging
from functools import partial
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def _send(task: Task, args: tuple[Any, ...]) -> None:
    try:
        task.apply_async(
            args=args,
            retry=True,
            retry_policy={
                "max_retries": 2,
                "interval_start": 0.2,
                "interval_step": 0.5,
                "interval_max": 1,
            },
        )
    except (OperationalError, ConnectionError, OSError) as exc:
        logger.warning("broker unavailable, %s%r left to the sweeper: %s", task.name, args, exc)


def enqueue_on_commit(task: Task, *args: Any) -> None:
    """Send ``task(*args)`` once the current transaction commits; a broker outage is logged,
    not raised (the sweeper picks the recorded work up)."""
    transaction.on_commit(partial(_send, task, args))
