"""Nothing scrolls sideways on a 390 px phone: every page of every role (client, accountant,
licence admin, and the pages before login), with a 200-character file name, long dossier,
firm and user names in the data (issue 14, "Layout that holds")."""

import pytest

from tests.e2e.pages import long_content_load, walk_every_role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

#: The document element's overflow, and the elements sticking out of the window (to say what).
OVERFLOW = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  if (root.scrollWidth <= width) return null;
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") {
        return up.getBoundingClientRect().right <= width + 1;
      }
    }
    return false;
  };
  const culprits = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !clipped(el)) {
      const name = typeof el.className === "string" && el.className.trim()
        ? "." + el.className.trim().split(/\\s+/).join(".") : "";
      culprits.push(el.tagName.toLowerCase() + name + " (" + Math.round(box.right) + " px)");
    }
  }
  return {scroll: root.scrollWidth, width, culprits: culprits.slice(-4)};
}"""


def test_no_page_scrolls_sideways_on_a_phone(page_factory, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    data = long_content_load()
    problems: list[str] = []

    def check(page, url: str) -> None:
        overflow = page.evaluate(OVERFLOW)
        menu = page.locator(".menu-button")
        if not overflow and menu.count() and menu.is_visible():  # and with the menu open
            menu.click()
            overflow = page.evaluate(OVERFLOW)
            page.keyboard.press("Escape")
            url += " (menu open)" if overflow else ""
        if overflow:
            problems.append(
                f"{url}: {overflow['scroll']} px wide in {overflow['width']} px"
                f" - {', '.join(overflow['culprits'])}"
            )

    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    walks = walk_every_role(page_factory, live_server.url, check, data, **phone)
    assert sum(len(done.urls) for done in walks.values()) > 50  # the walk did walk
    assert not problems, "Pages that scroll sideways at 390 px:\n" + "\n".join(problems)
