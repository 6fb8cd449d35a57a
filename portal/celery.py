"""The Celery application: configured from Django settings (namespace CELERY)."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _yield_to_pages(**kwargs: Any) -> None:
    """The worker lowers its own CPU priority before it starts its pool (whose processes
    inherit it): on a host where pages and background work compete for the cores, a page
    people wait for goes first (``WORKER_NICENESS``; raising one's niceness needs no
    privilege, so it works in a container as it does under `make load`)."""
    from django.conf import settings

    niceness = max(0, min(19, settings.WORKER_NICENESS))
    current = os.nice(0)
    if niceness > current:
        os.nice(niceness - current)
