"""axe-core (vendored from npm for the tests, tests/e2e/vendor/axe-core/README.md) runs in
Chromium on every page of every role (the walk of tests/e2e/pages.py) and finds no serious or
critical violation (issue 14)."""

from pathlib import Path

import pytest

from tests.e2e.pages import long_content_load, walk_every_role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
#: Loaded through the DevTools protocol: the page's Content-Security-Policy stays in force.
LOAD = AXE + "\n;typeof window.axe"
RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                  targets: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
}"""


def test_no_serious_or_critical_accessibility_violation(
    page_factory, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    data = long_content_load()
    problems: list[str] = []

    def check(page, url: str) -> None:
        if page.evaluate("() => typeof window.axe") != "object":
            assert page.evaluate(LOAD) == "object"
        problems.extend(
            f"{violation['id']} ({violation['impact']}) on {url}:"
            f" {violation['help']} - {' | '.join(violation['targets'])}"
            for violation in page.evaluate(RUN)
        )

    desktop = {"viewport": {"width": 1280, "height": 900}}
    walk_every_role(page_factory, live_server.url, check, data, **desktop)
    assert not problems, "axe-core, serious and critical:\n" + "\n".join(problems)
