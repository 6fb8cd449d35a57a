"""axe-core (vendored from npm for the tests, tests/e2e/vendor/axe-core/README.md) runs in
Chromium on every page of every role (the walk of tests/e2e/pages.py) and finds no serious or
critical violation (issue 14): on a desktop, and on a 390x844 phone with the menu closed and
open."""

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


SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.mark.parametrize("screen", list(SCREENS))
def test_no_serious_or_critical_accessibility_violation(
    page_factory, live_server, settings, tmp_path, screen
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    data = long_content_load()
    problems: list[str] = []
    menus_open: list[str] = []

    def audit(page, where: str) -> None:
        problems.extend(
            f"{violation['id']} ({violation['impact']}) on {where}:"
            f" {violation['help']} - {' | '.join(violation['targets'])}"
            for violation in page.evaluate(RUN)
        )

    def check(page, url: str) -> None:
        if page.evaluate("() => typeof window.axe") != "object":
            assert page.evaluate(LOAD) == "object"
        audit(page, url)
        menu = page.locator(".menu-button")
        if menu.count() and menu.is_visible():  # the phone's header: and with its menu open
            menu.click()
            menus_open.append(url)
            audit(page, f"{url} (menu open)")
            page.keyboard.press("Escape")

    walks = walk_every_role(page_factory, live_server.url, check, data, **SCREENS[screen])
    assert not problems, "axe-core, serious and critical:\n" + "\n".join(problems)
    pages = sum(len(done.urls) for done in walks.values())
    assert pages > 50  # the walk did walk
    if screen == "phone":
        assert len(menus_open) > 40  # the menu was audited open too, page after page
    else:
        assert not menus_open  # one row, no menu button
