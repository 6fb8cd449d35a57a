"""Every list page of `make bench`'s query count (bench/queries.py) stays within its number of
queries with 2 rows and with 200 (the warm third request, as the bench counts it), and no page
asks more than issue 18's 8."""

from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import queries

#: The most queries each page may make (session, user, and the row-level scope, whose statement
#: also returns the user's memberships: 3 on every page).
LIMITS = {
    "inbox (accountant)": 5,
    "desk (client, invoices)": 8,
    "sent tab (client)": 8,
    "review queue": 4,
    "hub": 5,
    "users (portal)": 8,
    "dossiers (portal firm)": 7,
    "tasks": 5,
    "task calendar": 5,
    "document requests": 5,
    "message threads": 5,
    "messages inbox": 5,
    "payments": 8,
    "reads audit list": 5,
    "API new documents": 6,
    "firm dashboard": 8,
}

pytestmark = pytest.mark.django_db

PAGES = queries.PAGES


def test_every_list_page_of_the_bench_has_a_limit() -> None:
    assert {name for name, _ in queries.PAGES} == set(LIMITS)
    assert max(LIMITS.values()) <= queries.MOST == 8


def _warm_count(build: Callable[[int], tuple[Client, str]], rows: int) -> tuple[int, int]:
    client, url = build(rows)
    for _ in range(2):
        assert client.get(url).status_code == HTTPStatus.OK
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return len(captured), len(response.content)


@pytest.mark.parametrize(("name", "build"), PAGES, ids=[name for name, _ in PAGES])
def test_the_list_page_stays_within_its_queries_with_2_and_200_rows(
    name: str, build: Callable[[int], tuple[Client, str]], settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    few, few_bytes = _warm_count(build, queries.FEW)
    many, many_bytes = _warm_count(build, queries.MANY)
    if build not in queries.SHOWS_NO_ROWS:
        assert many_bytes > few_bytes + 1000  # the 200 rows are on the page
    assert few <= LIMITS[name]
    assert many <= LIMITS[name]
    assert many == few
