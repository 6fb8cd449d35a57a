"""The supplier memory (issue 13, part 4): a correction in the review queue is remembered for
the supplier and the firm, the supplier's next invoice is read there first with a confidence
that follows how often the place held, the firm's accountants see and forget it, and nobody
else reaches it."""

from http import HTTPStatus

import pytest

from connect.documents import services
from connect.documents.services.memory import name_key, supplier_memory_learn, supplier_of
from connect.models import (
    Document,
    DocumentEvent,
    EventKind,
    Recognition,
    RememberedFact,
    SupplierMemory,
)
from dossiers.models import Dossier, FirmLevel
from tests.connect import samples
from tests.factories import DossierFactory, MembershipFactory, UserFactory, grant
from users.models import User

pytestmark = pytest.mark.django_db

REVIEW = "/connect/documents/{}/actions/review/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CONNECT_REVIEW_THRESHOLD = 0.8


def peeters(number: str, date: str = "14/03/2026") -> bytes:
    return samples.printer_invoice(number, date)


@pytest.fixture
def optimum(dossier: Dossier) -> Dossier:
    Dossier.objects.filter(pk=dossier.pk).update(default_processing_mode="optimum")
    dossier.refresh_from_db()
    return dossier


def arrive(dossier: Dossier, user: User, data: bytes, name: str, commit) -> Document:
    """Upload and send: the document is read (eager tasks) before this returns."""
    with commit(execute=True):
        document = services.document_receive(
            dossier=dossier, actor=user, filename=name, chunks=[data], source="web"
        ).document
    document.refresh_from_db()
    with commit(execute=True):
        services.documents_send(actor=user, dossier=dossier, documents=[document])
    document.refresh_from_db()
    return document


def review(client, document: Document, **changes: str) -> None:
    facts = {
        key: value or ""
        for key, value in document.recognized.items()
        if isinstance(value, str) or value is None
    }
    response = client.post(REVIEW.format(document.public_id), facts | changes)
    assert response.status_code == HTTPStatus.FOUND
    document.refresh_from_db()
    assert document.recognition == Recognition.DONE


def test_a_correction_is_remembered_and_the_next_invoice_arrives_right(
    optimum: Dossier,
    client_user: User,
    accountant: User,
    auth_client,
    django_capture_on_commit_callbacks,
) -> None:
    first = arrive(
        optimum, client_user, peeters("DP-117"), "a.pdf", django_capture_on_commit_callbacks
    )
    assert first.recognition == Recognition.REVIEW
    assert first.recognized["invoice_number"] is None  # the generic reader misses "Stuk"
    with django_capture_on_commit_callbacks(execute=True):
        review(auth_client(accountant), first, invoice_number="DP-117")
    memory = SupplierMemory.objects.get()
    assert (memory.firm_id, memory.key, memory.name) == (
        optimum.firm_id,
        "vat:BE0477123402",
        "Drukkerij Peeters BV",
    )
    fact = memory.facts.get()
    assert (fact.fact, fact.label, fact.relation, fact.taught, fact.used) == (
        "invoice_number",
        "Stuk",
        "right",
        1,
        0,
    )
    assert fact.confidence == 0.67  # held once: below the review threshold, still checked
    assert DocumentEvent.objects.filter(document=first, kind=EventKind.REMEMBERED).exists()

    second = arrive(
        optimum,
        client_user,
        peeters("DP-305", "02/04/2026"),
        "b.pdf",
        django_capture_on_commit_callbacks,
    )
    assert second.recognized["invoice_number"] == "DP-305"
    assert second.recognized["confidences"]["invoice_number"] == "0.67"
    assert second.recognized["remembered"] == ["invoice_number"]
    assert second.recognized_machine["memory"] == str(memory.public_id)
    assert "memory" not in second.recognized  # the memory's id stays out of the API
    page = auth_client(accountant).get(f"/connect/documents/{second.public_id}/")
    assert "mémoire du fournisseur" in page.content.decode()  # where the fact comes from
    fact.refresh_from_db()
    assert (fact.used, fact.held) == (1, 0)
    # The accountant confirms it: the place held, its confidence grows; nothing new to learn.
    with django_capture_on_commit_callbacks(execute=True):
        review(auth_client(accountant), second)
    fact.refresh_from_db()
    assert (fact.taught, fact.held, fact.missed, fact.confidence) == (1, 1, 0, 0.75)
    assert second.recognized["invoice_number"] == "DP-305"
    third = arrive(
        optimum,
        client_user,
        peeters("DP-412", "03/05/2026"),
        "c.pdf",
        django_capture_on_commit_callbacks,
    )
    assert third.recognized["confidences"]["invoice_number"] == "0.75"


def test_a_place_that_no_longer_holds_is_learned_again(
    optimum: Dossier,
    client_user: User,
    accountant: User,
    auth_client,
    django_capture_on_commit_callbacks,
) -> None:
    first = arrive(
        optimum, client_user, peeters("DP-117"), "a.pdf", django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        review(auth_client(accountant), first, invoice_number="DP-117")
    # The supplier's new software prints "Nummer" instead; "Stuk" now heads a reference.
    data = samples.invoice_pdf(
        [
            "Drukkerij Peeters BV",
            "BTW BE0477.123.402",
            "Stuk          PO-9",
            "Nummer        DP-2044",
            "Saldo                                     121,00",
        ]
    )
    second = arrive(optimum, client_user, data, "b.pdf", django_capture_on_commit_callbacks)
    assert second.recognized["invoice_number"] == "PO-9"  # what the memory said: wrong
    with django_capture_on_commit_callbacks(execute=True):
        review(auth_client(accountant), second, invoice_number="DP-2044")
    fact = RememberedFact.objects.get()
    # The old place's record says nothing of the new one: it starts afresh.
    assert (fact.label, fact.taught, fact.used, fact.held, fact.missed) == ("Nummer", 1, 0, 0, 0)


def test_the_memory_stays_in_its_firm(
    optimum: Dossier,
    client_user: User,
    accountant: User,
    other_firm,
    auth_client,
    django_capture_on_commit_callbacks,
) -> None:
    first = arrive(
        optimum, client_user, peeters("DP-117"), "a.pdf", django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        review(auth_client(accountant), first, invoice_number="DP-117")
    # The same supplier invoices a client of another firm: nothing of firm 1 is used there.
    staff = MembershipFactory(firm=other_firm, level=FirmLevel.POWER_USER).user
    elsewhere = DossierFactory(firm=other_firm, accountant=staff, default_processing_mode="optimum")
    grant(staff, elsewhere, "connect.accountant")
    client = UserFactory()
    MembershipFactory(firm=other_firm, user=client)
    grant(client, elsewhere, "connect.entrepreneur")
    other = arrive(
        elsewhere, client, peeters("DP-305"), "b.pdf", django_capture_on_commit_callbacks
    )
    assert other.recognized["invoice_number"] is None
    assert "remembered" not in other.recognized


def test_learning_is_idempotent_and_needs_a_reviewed_correction(
    optimum: Dossier,
    client_user: User,
    accountant: User,
    auth_client,
    django_capture_on_commit_callbacks,
) -> None:
    first = arrive(
        optimum, client_user, peeters("DP-117"), "a.pdf", django_capture_on_commit_callbacks
    )
    assert supplier_memory_learn(document_id=first.pk) is None  # not reviewed yet
    with django_capture_on_commit_callbacks(execute=True):
        review(auth_client(accountant), first, invoice_number="DP-117")
    assert supplier_memory_learn(document_id=first.pk) is None  # a message delivered twice
    assert RememberedFact.objects.get().taught == 1
    assert supplier_memory_learn(document_id=0) is None


def test_a_supplier_is_known_by_vat_number_else_iban_else_name() -> None:
    assert supplier_of({"supplier_vat": "BE0403170701", "iban": "BE68539007547034"}).key == (
        "vat:BE0403170701"
    )
    assert supplier_of({"iban": "be68539007547034", "supplier_name": "X"}).key == (
        "iban:BE68539007547034"
    )
    assert supplier_of({"supplier_name": "Garage Dupont S.R.L."}).key == "name:garage dupont"
    assert name_key("GARAGE  Dupont srl") == name_key("Garage Dupont SRL") == "garage dupont"
    assert supplier_of({"supplier_name": " - "}) is None


# --- the page ------------------------------------------------------------------------------


def remember(dossier: Dossier, name: str, vat: str) -> SupplierMemory:
    memory = SupplierMemory.objects.create(firm=dossier.firm, key=f"vat:{vat}", name=name, vat=vat)
    RememberedFact.objects.create(
        memory=memory,
        fact="invoice_number",
        label="Stuk",
        relation="right",
        dx0=0.1,
        dx1=0.2,
        dy=0,
        used=4,
        held=2,
        missed=1,
    )
    return memory


def test_the_accountant_sees_and_forgets_a_supplier_memory(
    dossier: Dossier, accountant: User, licence_admin: User, auth_client
) -> None:
    memory = remember(dossier, "Drukkerij Peeters BV", "BE0403170701")
    page = auth_client(accountant).get("/connect/suppliers/")
    html = page.content.decode()
    assert page.status_code == HTTPStatus.OK
    assert "Drukkerij Peeters BV" in html and "Stuk" in html and "BE0403170701" in html
    assert "67 %" in html  # (1 + 2 + 1) / (1 + 2 + 1 + 2)
    assert 'for="id_q"' in html
    # The licence admin sees it too, and the search finds it by VAT number.
    found = auth_client(licence_admin).get("/connect/suppliers/", {"q": "BE 0403.170"})
    assert "Drukkerij Peeters BV" in found.content.decode()
    missing = auth_client(licence_admin).get("/connect/suppliers/", {"q": "nobody"})
    assert "Drukkerij Peeters BV" not in missing.content.decode()
    forget = auth_client(accountant).post(
        f"/connect/suppliers/{memory.public_id}/forget/", follow=True
    )
    assert forget.status_code == HTTPStatus.OK
    assert not SupplierMemory.objects.exists() and not RememberedFact.objects.exists()
    assert "Drukkerij Peeters BV" in forget.content.decode()  # the message names it


def test_nobody_else_reaches_a_firm_memory(
    dossier: Dossier, client_user: User, other_staff: User, auth_client
) -> None:
    memory = remember(dossier, "Drukkerij Peeters BV", "BE0403170701")
    url = f"/connect/suppliers/{memory.public_id}/forget/"
    for user in (client_user, other_staff):
        assert auth_client(user).post(url).status_code == HTTPStatus.NOT_FOUND
    assert auth_client(client_user).get("/connect/suppliers/").status_code == 404
    # Another firm's licence admin has a page: their own firm's, without this supplier.
    assert "Drukkerij" not in auth_client(other_staff).get("/connect/suppliers/").content.decode()
    # A power user of the firm who keeps no dossier as accountant: not theirs either.
    colleague = MembershipFactory(firm=dossier.firm, level=FirmLevel.POWER_USER).user
    assert auth_client(colleague).post(url).status_code == HTTPStatus.NOT_FOUND
    assert SupplierMemory.objects.filter(pk=memory.pk).exists()
    # Another firm's staff with a memory of their own sees only theirs.
    other = DossierFactory(firm=other_staff.memberships.get().firm)
    remember(other, "Beta Supplier", "BE0123456749")
    grant(other_staff, other, "connect.accountant")
    html = auth_client(other_staff).get("/connect/suppliers/").content.decode()
    assert "Beta Supplier" in html and "Drukkerij" not in html


def test_the_page_costs_the_same_queries_for_2_and_200_suppliers(
    dossier: Dossier, accountant: User, auth_client, django_assert_max_num_queries
) -> None:
    client = auth_client(accountant)
    for n in range(2):
        remember(dossier, f"Supplier {n:03d}", f"BE{n:010d}")
    client.get("/connect/suppliers/")  # warm the session
    with django_assert_max_num_queries(7) as few:
        client.get("/connect/suppliers/")
    for n in range(2, 200):
        remember(dossier, f"Supplier {n:03d}", f"BE{n:010d}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/connect/suppliers/")
    assert page.content.decode().count('class="panel memory"') == 50
    next_page = client.get("/connect/suppliers/" + page.context["next_url"])
    assert "Supplier 050" in next_page.content.decode()


def test_row_level_security_shows_a_memory_to_its_firm_only(
    dossier: Dossier,
    client_user: User,
    accountant: User,
    licence_admin: User,
    other_staff: User,
    other_dossier: Dossier,
) -> None:
    """The second wall, with the application's filters out of the way: PostgreSQL shows the
    rows to the firm's staff, to its dossiers' accountants and to a task on one of its
    dossiers; not to a client of the firm nor to another firm."""
    from core import db_scope

    memory = remember(dossier, "Drukkerij Peeters BV", "BE0403170701")
    # An accountant who is no staff of the firm: seen through the role.
    outsider = UserFactory()
    MembershipFactory(firm=dossier.firm, user=outsider, level=FirmLevel.USER)
    grant(outsider, dossier, "connect.accountant")
    for scope, seen in (
        (db_scope.for_user(accountant), True),
        (db_scope.for_user(licence_admin), True),
        (db_scope.for_user(outsider), True),
        (db_scope.for_dossiers(dossier.pk), True),
        (db_scope.for_user(client_user), False),
        (db_scope.for_user(other_staff), False),
        (db_scope.for_dossiers(other_dossier.pk), False),
    ):
        with db_scope.scoped(scope):
            assert SupplierMemory.objects.filter(pk=memory.pk).exists() is seen, scope
            assert RememberedFact.objects.filter(memory_id=memory.pk).exists() is seen, scope


def test_a_fact_corrected_on_the_documents_page_is_remembered_too(
    optimum: Dossier,
    client_user: User,
    accountant: User,
    auth_client,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    """A reading delivered without review, corrected later from the document's page, teaches
    the memory as a review does."""
    settings.CONNECT_REVIEW_THRESHOLD = 0.0
    first = arrive(
        optimum, client_user, peeters("DP-117"), "a.pdf", django_capture_on_commit_callbacks
    )
    assert first.recognition == Recognition.DONE
    assert first.recognized["invoice_number"] is None
    facts = {
        f"facts-{key}": value
        for key, value in first.recognized.items()
        if key in services.review.REVIEW_FACTS and isinstance(value, str)
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client(accountant).post(
            f"/connect/documents/{first.public_id}/facts/",
            facts | {"facts-invoice_number": "DP-117"},
        )
    assert response.status_code == HTTPStatus.FOUND
    fact = SupplierMemory.objects.get(firm_id=optimum.firm_id).facts.get()
    assert (fact.fact, fact.label, fact.taught) == ("invoice_number", "Stuk", 1)
    second = arrive(
        optimum,
        client_user,
        peeters("DP-305", "02/04/2026"),
        "b.pdf",
        django_capture_on_commit_callbacks,
    )
    assert second.recognized["invoice_number"] == "DP-305"
