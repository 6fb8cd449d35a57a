"""Long names on a list (issue 14, "Layout that holds"): a 200-character file name is cut with
an ellipsis and shown whole, wrapped, when its link has the keyboard focus or the pointer, on a
390 px phone and on a desktop, without the page scrolling sideways; and on a phone the client's
desk starts within reach (issue 14, problem 7: "the list starts three screens down")."""

import pytest

from connect.documents import services
from dossiers.models import Dossier
from dossiers.services_demo import DEFAULT_DEMO_PASSWORD, demo_data_load
from tests.connect import samples
from tests.e2e.pages import ACCOUNTANT, CLIENT, LONG_FILENAME, LONG_REASON, log_in
from users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

#: The link's box, whether its text is cut, and whether the page scrolls sideways.
BOX = """(el) => {
  const box = el.getBoundingClientRect();
  const root = document.documentElement;
  return {height: box.height, right: box.right, cut: el.scrollWidth > el.clientWidth,
          sideways: root.scrollWidth > root.clientWidth, width: root.clientWidth};
}"""


def _client_desk(*, sent: int = 3, on_desk: int = 1, rejected: bool = False) -> Dossier:
    """The demo client's one dossier with a few documents, the first named with 200 characters."""
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    client = User.objects.get(email=CLIENT)
    dossier = Dossier.objects.get(code="BOULANGERIE")
    names = [LONG_FILENAME] + [f"facture-{n}.pdf" for n in range(1, sent + on_desk + 1)]
    documents = [
        services.document_receive(
            dossier=dossier,
            actor=client,
            filename=name,
            chunks=[samples.pdf(text=f"Facture {n}")],
            source="web",
        ).document
        for n, name in enumerate(names[: sent + on_desk])
    ]
    services.documents_send(actor=client, dossier=dossier, documents=documents[:sent])
    if rejected:
        accountant = User.objects.get(email=ACCOUNTANT)
        services.document_reject(actor=accountant, document=documents[1], reason=LONG_REASON)
    return dossier


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_a_cut_file_name_is_shown_whole_when_its_link_is_focused(page_factory, screen) -> None:
    _client_desk()
    page = page_factory(locale="fr-BE", **(PHONE if screen == "phone" else DESKTOP))
    log_in(page, CLIENT)
    page.goto(page.url.split("?")[0] + "?tab=sent")
    link = page.locator(f'table.documents a.cut[title^="{LONG_FILENAME[:60]}"]')
    before = link.evaluate(BOX)
    assert before["cut"] and not before["sideways"], before  # cut with an ellipsis, one line

    link.focus()
    focused = link.evaluate(BOX)
    assert not focused["cut"], focused  # all of it shown
    assert focused["height"] > 2 * before["height"], focused  # on several lines
    assert focused["right"] <= focused["width"] and not focused["sideways"], focused
    assert link.inner_text() == link.get_attribute("title")  # kept whole (150 characters)
    assert len(link.inner_text()) >= 150

    page.locator("#document-search").focus()  # focus elsewhere: cut again
    assert link.evaluate(BOX)["cut"]
    if screen == "desktop":
        link.hover()
        hovered = link.evaluate(BOX)
        assert not hovered["cut"] and not hovered["sideways"], hovered


#: The top of an element from the top of the page, in CSS pixels (the page scrolled to 0).
TOP = "(el) => el.getBoundingClientRect().top + window.scrollY"


@pytest.mark.parametrize("rejected", [False, True], ids=["list", "rejection cards"])
def test_on_a_phone_the_desk_starts_within_one_and_a_half_screens(page_factory, rejected) -> None:
    _client_desk(rejected=rejected)
    page = page_factory(locale="fr-BE", **PHONE)
    log_in(page, CLIENT)
    assert "/connect/dossiers/" in page.url  # one dossier: the client lands on the desk
    screen = PHONE["viewport"]["height"]
    first = page.locator(".action-required .cards" if rejected else "table.documents")
    top = first.evaluate(TOP)
    assert top < 1.5 * screen, f"the desk starts at {top:.0f} px, below 1.5 screens"
    if not rejected:  # and its first row is there too, not only its header
        row = page.locator("table.documents tbody tr").first
        assert row.evaluate(TOP) < 1.5 * screen
