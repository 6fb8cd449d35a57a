"""allauth's rate limits (login, failed logins, password resets…) counted atomically in Redis,
without a lock.

allauth keeps each limit's hits as a list in the cache and guards its read-modify-write with a
lock (``cache.add``), which a request waits for at most one second, then answers 429. Every
login from one address (an office behind one router; loopback under `make load`) shares the
per-address keys, so on a busy server a login could be refused that no limit refused: its
first try at the lock came more than a second after it began to wait (a worker's first call
to Redis, a process starved of CPU), found the lock held by another login from the address,
and allauth answered 429 without trying again. `make load` with every user logging in at once
beside a CPU hog showed it (docs/load.md).

Here each limit is a sorted set of hits that one Redis script trims, counts and adds to
(``FailOpenRedisCache.window_hit``): nothing to wait for, so no refusal but a limit's, and hits
made at the same moment are each counted, so a burst of guesses gets no more through than a
sequence. The rates, their keys (per address, user or key) and what counts are allauth's: a
successful login takes its own hit back out of the failed-login windows, a password reset
clears them. Without Redis (the local memory cache of `make run`), allauth's own code counts.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from allauth.core.exceptions import RateLimited
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.core.cache import caches
from django.http import HttpRequest

from portal.cache import FailOpenRedisCache

#: allauth's own, for a cache other than Redis.
_allauth_consume_single_rate = allauth_ratelimit._consume_single_rate
_allauth_clear = allauth_ratelimit.clear


def window_key(request: HttpRequest, **identity: Any) -> str:
    """The cache key of one limit's window: allauth's key for it (action, rate, and the address,
    user or key counted), with a suffix of its own, as the value is not allauth's list."""
    return f"{allauth_ratelimit.get_cache_key(request, **identity)}:window"


def _redis_cache() -> FailOpenRedisCache | None:
    backend = caches["default"]
    return backend if isinstance(backend, FailOpenRedisCache) else None


@dataclass
class Hit(allauth_ratelimit.SingleRateLimitUsage):
    """One counted hit; ``rollback`` takes it back out (a login that succeeded is not a
    failed one)."""

    member: str = ""

    def rollback(self) -> None:
        cache = _redis_cache()
        if cache is not None:
            cache.window_forget(self.cache_key, self.member)


def consume_single_rate(
    request: HttpRequest,
    *,
    app: str,
    action: str,
    rate: allauth_ratelimit.Rate,
    key: Any = None,
    user: Any = None,
    dry_run: bool = False,
    raise_exception: bool = False,
) -> allauth_ratelimit.SingleRateLimitUsage | None:
    """allauth's ``_consume_single_rate``: one hit against one rate, or None (or RateLimited)
    when the rate is reached."""
    cache = _redis_cache()
    if cache is None:
        return _allauth_consume_single_rate(
            request,
            app=app,
            action=action,
            rate=rate,
            key=key,
            user=user,
            dry_run=dry_run,
            raise_exception=raise_exception,
        )
    cache_key = window_key(request, app=app, action=action, rate=rate, key=key, user=user)
    hit = Hit(
        cache_key=cache_key, cache_duration=rate.duration, timestamp=0, member=uuid.uuid4().hex
    )
    if cache.window_hit(
        cache_key, hit.member, window=rate.duration, limit=rate.amount, record=not dry_run
    ):
        return hit
    if raise_exception:
        raise RateLimited
    return None


def clear(
    request: HttpRequest,
    *,
    app: str,
    action: str,
    config: dict[str, str] | None = None,
    key: Any = None,
    user: Any = None,
) -> None:
    """allauth's ``clear``: every window of the action for this address, user or key emptied
    (a password reset clears the failed logins of its account)."""
    cache = _redis_cache()
    if cache is None:
        _allauth_clear(request, app=app, action=action, config=config, key=key, user=user)
        return
    for rate in allauth_ratelimit.get_rates(app=app, action=action, config=config):
        cache.delete(window_key(request, app=app, action=action, rate=rate, key=key, user=user))


def install() -> None:
    """allauth counts through this module from now on (PortalConfig.ready). allauth offers no
    setting for it: its two functions that touch the cache are replaced in its module, and
    tests/portal/test_ratelimit.py fails if an upgrade of allauth goes round them."""
    allauth_ratelimit._consume_single_rate = consume_single_rate
    allauth_ratelimit.clear = clear
