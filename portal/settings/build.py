"""The image's build stage: `compilemessages` and `collectstatic` with the production
storages, and nothing a build cannot have (no secret, no database, no broker). Never serves."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "build-only-never-serves"  # noqa: S105 - the build stage serves nothing
ALLOWED_HOSTS = ["localhost"]
STATIC_ROOT = env.path("STATIC_ROOT", default="/app/staticfiles")
