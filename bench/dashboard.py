"""`make bench`: the dossier dashboard of View (at the last point of bench/curves.py).

``measure(dossier, actor)`` serves the dashboard page (the last 12 months, every enabled
report) 50 times (``requests``) to a logged-in ``django.test.Client`` with DEBUG off, and
counts the queries of one request. ``actor`` must hold a View role (view.user or view.admin)
on ``dossier``.
"""

import time
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

REQUESTS = 50
WARM_UP = 3


def measure(dossier: Any, actor: Any, requests: int = REQUESTS) -> dict:
    """Requests per second of the dashboard page and its query count (one request)."""
    url = reverse("portal:view_dossier", args=[dossier.public_id])
    results: dict[str, Any] = {"dashboard_requests": requests}
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(actor)
        for _ in range(WARM_UP):
            status = client.get(url).status_code
            if status != 200:
                raise RuntimeError(
                    f"{url} answered {status}: does {actor} hold a View role on {dossier}?"
                )
        start = time.perf_counter()
        for _ in range(requests):
            client.get(url)
        elapsed = time.perf_counter() - start
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
    results["dashboard_rps"] = requests / elapsed
    results["dashboard_ms"] = 1000 * elapsed / requests
    results["dashboard_queries"] = len(queries)
    times = sorted((float(query["time"]) for query in queries.captured_queries), reverse=True)
    results["dashboard_slowest_query_ms"] = 1000 * times[0] if times else 0.0
    return results
