"""The demo accountant logs in with a real browser and sees the hub in French and in Dutch."""

import re

import pytest

from dossiers.services_demo import DEFAULT_DEMO_PASSWORD, demo_data_load
from users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ACCOUNTANT = "comptable@fiduciaire-demo.be"


def log_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("WinBooksID")).fill(email)
    page.locator("#id_password").fill(password)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/(hub|connect/dossiers/.+)/$"))  # a client lands in Connect


@pytest.mark.parametrize(
    ("language", "title", "tools"),
    [
        ("fr", "Outils numériques", ["Connect", "Portal", "View"]),
        ("nl", "Digitale tools", ["Connect", "Portal", "View"]),
    ],
)
def test_the_demo_accountant_sees_the_hub_in_their_language(
    page_factory, language: str, title: str, tools: list[str]
) -> None:
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    User.objects.filter(email=ACCOUNTANT).update(language=language)
    page = page_factory(locale="en-GB")  # the browser asks for English; the user's choice wins
    log_in(page, ACCOUNTANT, DEFAULT_DEMO_PASSWORD)
    assert page.locator("html").get_attribute("lang") == language
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert page.locator(".tool-name").all_inner_texts() == tools


def test_switching_language_in_the_header_is_remembered(page_factory) -> None:
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    page = page_factory(locale="fr-BE")
    log_in(page, ACCOUNTANT, DEFAULT_DEMO_PASSWORD)
    assert page.get_by_role("heading", level=1).inner_text() == "Outils numériques"
    page.get_by_label("Langue").select_option("nl")
    page.get_by_role("button", name="Changer").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Digitale tools"
    page.get_by_role("button", name="Afmelden").click()
    page.wait_for_url("**/accounts/login/")
    log_in(page, ACCOUNTANT, DEFAULT_DEMO_PASSWORD)
    assert page.get_by_role("heading", level=1).inner_text() == "Digitale tools"
    assert User.objects.get(email=ACCOUNTANT).language == "nl"


def test_the_hub_fits_a_phone_screen(page_factory) -> None:
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    page = page_factory(
        locale="fr-BE", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    log_in(page, "client@boulangerie-demo.be", DEFAULT_DEMO_PASSWORD)
    page.goto("/hub/")  # the client landed in their one dossier's Connect
    assert page.locator(".tool-name").all_inner_texts() == ["Connect", "View"]
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
