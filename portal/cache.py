"""The shared cache on Redis, failing open: when Redis is unreachable, a read misses and a
write is dropped (logged), instead of failing the request. What lives in the cache can be
lost by design (rate-limit counters, the unread count); the database holds the truth. During
an outage the rate limits count nothing: the login throttle is off until Redis returns.

It adds one atomic operation to Django's cache, a hit against a sliding window
(``window_hit``, ``window_forget``): the rate limits count with it, without a lock
(portal/ratelimit.py)."""

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, cast

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE = (RedisConnectionError, RedisTimeoutError)

#: One hit against a sliding window, run by Redis as one step (a script runs alone): the hits
#: older than the window are dropped and the rest counted; under the limit, this hit is recorded
#: (unless only asked) and the key lives one window more. Returns 1 if the hit is within the
#: limit, 0 if not. KEYS[1]: the window (a sorted set of hits scored by their time in ms);
#: ARGV: now (ms), the window's length (ms), the limit, this hit's member, 1 to record it.
WINDOW_HIT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
    return 0
end
if ARGV[5] == '1' then
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
"""


def _fail_open(method: Callable[..., Any], answer: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: RedisCacheClient, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except OUTAGE as exc:
            logger.warning("cache unavailable, %s skipped: %s", method.__name__, exc)
            return answer(*args)

    return call


class _WindowClient(RedisCacheClient):
    def window_hit(
        self, key: str, member: str, *, now_ms: int, window_ms: int, limit: int, record: bool
    ) -> bool:
        client = self.get_client(key, write=True)
        script = client.register_script(WINDOW_HIT)
        return bool(script(keys=[key], args=[now_ms, window_ms, limit, member, int(record)]))

    def window_forget(self, key: str, member: str) -> bool:
        return bool(self.get_client(key, write=True).zrem(key, member))


class FailOpenRedisCacheClient(_WindowClient):
    get = _fail_open(RedisCacheClient.get, lambda key, default: default)
    get_many = _fail_open(RedisCacheClient.get_many, lambda keys: {})
    has_key = _fail_open(RedisCacheClient.has_key, lambda key: False)
    add = _fail_open(RedisCacheClient.add, lambda *args: True)  # as if stored
    set = _fail_open(RedisCacheClient.set, lambda *args: None)
    set_many = _fail_open(RedisCacheClient.set_many, lambda *args: [])
    touch = _fail_open(RedisCacheClient.touch, lambda *args: False)
    delete = _fail_open(RedisCacheClient.delete, lambda key: False)
    delete_many = _fail_open(RedisCacheClient.delete_many, lambda keys: None)
    clear = _fail_open(RedisCacheClient.clear, lambda: False)
    # As if within the limit: a rate limit counts nothing during an outage.
    window_hit = _fail_open(_WindowClient.window_hit, lambda *args: True)
    window_forget = _fail_open(_WindowClient.window_forget, lambda *args: False)


class FailOpenRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient

    @property
    def _windows(self) -> FailOpenRedisCacheClient:
        return cast(FailOpenRedisCacheClient, self._cache)

    def window_hit(
        self, key: str, member: str, *, window: float, limit: int, record: bool = True
    ) -> bool:
        """Whether one more hit on ``key`` stays within ``limit`` hits per ``window`` seconds
        (sliding); if so and ``record``, the hit is counted under ``member`` (unique per hit).
        Atomic: hits made at the same moment are each counted or refused, never lost."""
        return bool(
            self._windows.window_hit(
                self.make_and_validate_key(key),
                member,
                now_ms=time.time_ns() // 1_000_000,
                window_ms=max(1, round(window * 1000)),
                limit=limit,
                record=record,
            )
        )

    def window_forget(self, key: str, member: str) -> bool:
        """Takes the hit ``member`` back out of the window ``key``."""
        return bool(self._windows.window_forget(self.make_and_validate_key(key), member))
