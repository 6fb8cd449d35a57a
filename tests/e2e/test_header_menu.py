"""The page frame on a phone: one compact row with a Menu button that opens the menu (nav, the
user's name, the language, log out) by mouse or keyboard; on a desktop one row, no button. A
client lands in their dossier's Connect page and finds no "API tokens" (issue 14)."""

import re

import pytest

from dossiers.services_demo import DEFAULT_DEMO_PASSWORD, demo_data_load
from tests.e2e.pages import ACCOUNTANT, CLIENT, log_in
from tests.e2e.test_axe import LOAD, RUN
from users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEIGHT = "() => document.querySelector('header').getBoundingClientRect().height"


def test_on_a_phone_the_header_is_one_row_and_the_menu_opens_by_keyboard(page_factory):
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    page = page_factory(
        locale="fr-BE", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    log_in(page, CLIENT)
    assert re.search(r"/connect/dossiers/[^/]+/invoices/$", page.url)  # lands in Connect
    assert page.evaluate(HEIGHT) <= 60
    button = page.get_by_role("button", name="Menu")
    assert button.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("link", name="Sécurité").is_visible()

    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    menu = page.locator("#site-menu")
    assert menu.get_by_role("link", name="Outils numériques").is_visible()
    assert menu.get_by_role("link", name="Sécurité").is_visible()
    assert menu.get_by_text("Sophie Peeters").is_visible()
    assert menu.get_by_label("Langue").is_visible()
    assert menu.get_by_role("button", name="Se déconnecter").is_visible()
    assert menu.get_by_role("link", name="Jetons d'API").count() == 0  # a client
    page.keyboard.press("Tab")  # the first link of the menu follows the button
    assert page.evaluate("() => document.activeElement.textContent") == "Outils numériques"
    page.evaluate(LOAD)
    assert page.evaluate(RUN) == []  # open, the menu is as accessible as the rest

    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("() => document.activeElement.classList.contains('menu-button')")
    assert not menu.get_by_role("link", name="Sécurité").is_visible()
    button.click()
    menu.get_by_role("link", name="Outils numériques").click()
    page.wait_for_url("**/hub/")  # the hub stays reachable
    assert page.get_by_role("heading", level=1).inner_text() == "Outils numériques"


def test_on_a_desktop_the_header_is_one_row_without_a_menu_button(page_factory):
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    User.objects.filter(email=ACCOUNTANT).update(language="nl")
    page = page_factory(locale="nl-BE", viewport={"width": 1280, "height": 900})
    log_in(page, ACCOUNTANT)
    assert page.url.endswith("/hub/")
    assert page.evaluate(HEIGHT) <= 70
    assert not page.get_by_role("button", name="Menu").is_visible()
    for name in ("Digitale tools", "API-tokens", "Beveiliging", "Berichten"):
        assert page.locator("header").get_by_role("link", name=name).is_visible()
    assert page.get_by_role("button", name="Afmelden").is_visible()
    tops = page.evaluate(
        "() => [...document.querySelectorAll('.brand, .header-nav a, .logout-form button')]"
        ".map(e => Math.round(e.getBoundingClientRect().top / 20))"
    )
    assert len(set(tops)) == 1, tops  # one row
