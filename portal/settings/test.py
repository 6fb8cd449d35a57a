"""Tests: PostgreSQL and Redis on loopback (never SQLite stand-ins). Each pytest-xdist worker
gets its own Redis database so that caches and queues of parallel runs never meet."""

import os

from .base import *  # noqa: F403
from .base import STORAGES, env

_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
# TEST_RUN_SLOT lets two test runs share this machine (another database name, other Redis dbs).
_slot = env.int("TEST_RUN_SLOT", default=0)
# Redis has 16 databases (0–15); 0 is left to `make run`-like uses.
_redis_db = 1 + (4 * _slot + (int(_worker[2:] or "0") if _worker.startswith("gw") else 0)) % 15
REDIS_URL = env("TEST_REDIS_URL", default=f"redis://127.0.0.1:6379/{_redis_db}")

DATABASES = {
    "default": env.db("TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/portal")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["TEST"] = {"NAME": f"test_portal{_slot or ''}"}

CACHES = {
    "default": {
        "BACKEND": "portal.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "test",
    }
}
CELERY_BROKER_URL = REDIS_URL
# Unit tests run tasks inline; integration tests switch this off and use a real worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# Unit tests keep mail in memory; the integration worker is pointed at the test SMTP server.
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=f"/tmp/portal-test-media-{_worker}")  # noqa: S108
DEBUG = False
STATIC_ROOT = None  # static files come from the finders (no collectstatic needed)
WHITENOISE_USE_FINDERS = True
MAIL_RETRY_BACKOFF = 1
CELERY_TASK_EAGER_PROPAGATES = True
# The inbound-mail checks never ask the network's DNS: a test serves its records from a stub
# (tests/dns_stub.py); without one, the questions go to a closed port and get no answer.
INBOUND_DNS_RESOLVER = env("INBOUND_DNS_RESOLVER", default="127.0.0.1:9")
INBOUND_DNS_TIMEOUT = env.float("INBOUND_DNS_TIMEOUT", default=1.0)
