"""The shared cache on Redis, failing open: when Redis is unreachable, a read misses and a
write is dropped (logged), instead of failing the request. What lives in the cache can be
lost by design (rate-limit counters, the unread count); the database holds the truth. During
an outage the rate limits count nothing: the login throttle is off until Redis returns."""

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE = (RedisConnectionError, RedisTimeoutError)


def _fail_open(method: Callable[..., Any], answer: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: RedisCacheClient, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except OUTAGE as exc:
            logger.warning("cache unavailable, %s skipped: %s", method.__name__, exc)
            return answer(*args)

    return call


class FailOpenRedisCacheClient(RedisCacheClient):
    get = _fail_open(RedisCacheClient.get, lambda key, default: default)
    get_many = _fail_open(RedisCacheClient.get_many, lambda keys: {})
    has_key = _fail_open(RedisCacheClient.has_key, lambda key: False)
    add = _fail_open(RedisCacheClient.add, lambda *args: True)  # as if stored (allauth's lock)
    set = _fail_open(RedisCacheClient.set, lambda *args: None)
    set_many = _fail_open(RedisCacheClient.set_many, lambda *args: [])
    touch = _fail_open(RedisCacheClient.touch, lambda *args: False)
    delete = _fail_open(RedisCacheClient.delete, lambda key: False)
    delete_many = _fail_open(RedisCacheClient.delete_many, lambda keys: None)
    clear = _fail_open(RedisCacheClient.clear, lambda: False)


class FailOpenRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient
