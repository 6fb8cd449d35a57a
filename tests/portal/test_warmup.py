"""A web process loads its URLconf, catalogues and templates when it starts (portal/warmup.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.test import override_settings

from portal.warmup import warm_up

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from django.template import engines
before = {name for name in sys.modules if name.startswith(("connect.", "view.", "portal.views"))}
import portal.wsgi
from django.utils.translation import trans_real
loader = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "views": sorted(name for name in sys.modules if name.endswith("views") and name not in before),
    "templates": sorted(loader.get_template_cache),
    "languages": sorted(trans_real._translations),
}))
"""


def test_the_wsgi_module_loads_views_templates_and_catalogues_before_any_request() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert "connect.documents.views" in loaded["views"]
    assert "view.views" in loaded["views"]
    # Each of the project's templates is compiled and cached, the base pages with them.
    own = {str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates").rglob("*.html")}
    assert own <= set(loaded["templates"])
    assert {code for code, _ in settings.LANGUAGES} <= set(loaded["languages"])


def test_a_template_that_does_not_compile_is_named_and_the_rest_still_load(tmp_path: Path) -> None:
    (tmp_path / "fine.html").write_text("{% load i18n %}{% translate 'Inbox' %}")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "broken.html").write_text("{% if %}unclosed")
    (tmp_path / "notes.md").write_text("{% if %} not a template")
    engine = {**settings.TEMPLATES[0], "DIRS": [tmp_path]}
    with override_settings(TEMPLATES=[engine]):
        assert warm_up() == ["nested/broken.html"]


def test_every_template_of_the_project_compiles() -> None:
    assert warm_up() == []
