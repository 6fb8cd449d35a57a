"""The accountant's firm dashboard under `make bench`: requests per second and queries per
request, for a user whose dossiers hold the bench's documents. Called from bench/run.py once
the database is populated and Django set up:

    from bench import firm_dashboard
    results = firm_dashboard.measure(accountant)
"""

import time
from http import HTTPStatus
from typing import Any

REQUESTS = 50
URL = "/view/firm/"


def measure(actor: Any, requests: int = REQUESTS) -> dict[str, float | int]:
    """Requests per second of the firm dashboard over ``requests`` requests (after a warm-up),
    with a logged-in test client, full middleware and auth; and its number of queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(actor)
        for _ in range(5):
            status = client.get(URL).status_code
            if status != HTTPStatus.OK:
                raise RuntimeError(f"{URL} answered {status}")
        start = time.perf_counter()
        for _ in range(requests):
            client.get(URL)
        elapsed = time.perf_counter() - start
        with CaptureQueriesContext(connection) as queries:
            client.get(URL)
    return {
        "firm_dashboard_rps": round(requests / elapsed, 1),
        "firm_dashboard_queries": len(queries),
    }
