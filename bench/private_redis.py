"""A redis-server of the bench's own, on a free loopback port, without persistence.

The test runs sharing this machine empty their Redis databases between tests (the cache's
``clear()`` is a FLUSHDB): on the shared server, a benchmark's queued tasks could vanish. The
server is ``tests.fixtures_services.RedisInstance``, the one the fault tests crash and restart.
Without ``redis-server`` on the PATH, the shared server's database ``fallback`` is used.
"""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def private_redis(fallback: str) -> Iterator[str]:
    """Yields the URL of database 0 of a private server (or ``fallback``); stops it after."""
    if shutil.which("redis-server") is None:
        yield fallback
        return
    from tests.fixtures_services import RedisInstance

    with RedisInstance() as instance:
        yield instance.url()
