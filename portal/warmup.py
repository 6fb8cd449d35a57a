"""Work a web process does once, when it starts, instead of during its first requests.

Django imports the URLconf (and with it every view module), compiles each template and loads
each language's catalogue on first use. Under gunicorn every worker process does this for
itself, and its first requests pay for it: py-spy, during `make load`, found a tenth of the
workers' Python time in those imports, on the threads of the first requests, while the
logins of the morning were arriving. ``warm_up`` does it before the worker accepts a request
(portal/wsgi.py). It touches no database.
"""

import logging
from pathlib import Path

from django.conf import settings
from django.template import TemplateSyntaxError, engines
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import translation

logger = logging.getLogger(__name__)
#: What the project's template folders hold besides templates (notes, images) is left alone.
TEMPLATE_SUFFIXES = (".html", ".txt", ".xml")


def _project_templates() -> list[str]:
    """The names of the project's own templates (each engine's ``DIRS``: ``templates/``);
    those of the packages they extend or include are compiled with them."""
    names: list[str] = []
    for engine in engines.all():
        for folder in map(Path, engine.dirs):
            names += sorted(
                str(path.relative_to(folder))
                for path in folder.rglob("*")
                if path.is_file() and path.suffix in TEMPLATE_SUFFIXES
            )
    return names


def warm_up() -> list[str]:
    """Import the URLconf and its views, load each language's catalogue and compile the
    project's templates. Returns the templates that did not compile (logged: the worker still
    serves the rest, and the page that uses one answers 500 as it would have)."""
    get_resolver().url_patterns  # noqa: B018 - imports every view module
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            get_resolver().reverse_dict  # noqa: B018 - the reverse lookups, per language
    failed: list[str] = []
    for name in _project_templates():
        try:
            get_template(name)
        except (TemplateSyntaxError, UnicodeDecodeError):
            logger.exception("template %s does not compile", name)
            failed.append(name)
    return failed
