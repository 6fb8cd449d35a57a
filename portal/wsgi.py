"""WSGI entry point (gunicorn portal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")
# A web process sees no tenant row until a request says who is asking (core/db_scope.py).
os.environ.setdefault("DB_DEFAULT_SCOPE", "none")

application = get_wsgi_application()

# The URLconf, catalogues and templates are loaded now, before the first request (warmup.py).
from portal.warmup import warm_up  # noqa: E402 - needs the settings set up above

warm_up()
