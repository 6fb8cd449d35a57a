"""`make run`: the embedded default (SQLite under var/, inline tasks, mail on the console),
unless DATABASE_URL, REDIS_URL or EMAIL_URL name real services."""

from .base import *  # noqa: F403
from .base import STORAGES, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Serve static files from the source folders without collectstatic.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None  # static files come from the finders (no collectstatic needed)
WHITENOISE_USE_FINDERS = True
