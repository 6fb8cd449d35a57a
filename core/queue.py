"""Enqueueing work after commit, without letting a broker outage fail the request: the work is
already recorded in the database, and a beat-scheduled sweeper enqueues it again later.

A service names the task it enqueues (its Celery name, a constant beside the service) instead of
importing the task module: the task module imports the service it calls, never the other way
round, so no import circle is needed between them (issue 17). Each app's ``ready()`` imports its
task module, so every process (web, worker, shell) knows every task by name."""

import logging
from functools import partial
from typing import Any

from celery import Task, current_app
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


def enqueue_on_commit(task_name: str, *args: Any) -> None:
    """Send the task named ``task_name`` with ``args`` once the current transaction commits; a
    broker outage is logged, not raised (the sweeper picks the recorded work up). An unknown
    name raises ``KeyError`` here, in the caller's transaction, not after the commit."""
    task: Task = current_app.tasks[task_name]
    transaction.on_commit(partial(_send, task, args))
