"""The document's page: a replacement linked both ways (and badged in the inbox), the read
facts corrected by the dossier's accountant, a long name read whole."""

from http import HTTPStatus
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connect.documents import services
from connect.models import Document, DocumentEvent
from core.errors import ServiceError
from dossiers.models import Dossier, FirmLevel
from tests.connect import samples
from tests.factories import MembershipFactory, grant
from users.models import User


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _english(accountant: User, client_user: User) -> None:
    User.objects.filter(pk__in=[accountant.pk, client_user.pk]).update(language="en")


def receive(dossier: Dossier, client: User, name: str, pages: int = 1) -> Document:
    return services.document_receive(
        dossier=dossier, actor=client, filename=name, chunks=[samples.pdf(pages)], source="web"
    ).document


def sent(dossier: Dossier, client: User, name: str, pages: int = 1) -> Document:
    document = receive(dossier, client, name, pages)
    services.documents_send(actor=client, dossier=dossier, documents=[document])
    document.refresh_from_db()
    return document


def rejected(
    dossier: Dossier, client: User, accountant: User, name: str, pages: int = 1
) -> Document:
    document = sent(dossier, client, name, pages)
    return services.document_reject(actor=accountant, document=document, reason="Page 2 manque")


def page_of(client, document: Document) -> str:
    response = client.get(reverse("connect:document", args=[document.public_id]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def link_to(document: Document) -> str:
    return f'href="{reverse("connect:document", args=[document.public_id])}"'


# --- a replacement, linked both ways --------------------------------------------------------


def test_the_accountant_sees_a_replacement_linked_both_ways(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    old = rejected(dossier, client_user, accountant, "telenet.pdf")
    auth_client(client_user).post(
        reverse("connect:document_replace", args=[old.public_id]),
        {"file": SimpleUploadedFile("telenet-complet.pdf", samples.pdf(2))},
    )
    new = Document.objects.get(replaces=old)
    assert new.status == "sent"
    office = auth_client(accountant)
    page = page_of(office, new)
    assert "Replaces" in page and link_to(old) in page
    assert "telenet.pdf" in page and "rejected: Page 2 manque" in page
    history = page[page.index('id="history-title"') :]
    assert "Replaces an earlier file" in history
    assert "telenet.pdf</li>" in history
    assert list(new.events.values_list("kind", "note", "actor")) == [
        ("received", "web", client_user.pk),
        ("replaces", "telenet.pdf", client_user.pk),
        ("sent", "", client_user.pk),
    ]
    page = page_of(office, old)
    assert "Replaced by" in page and link_to(new) in page
    history = page[page.index('id="history-title"') :]
    assert "Replaced by a new file" in history and "telenet-complet.pdf</li>" in history


def test_a_replacement_kept_on_the_desk_is_linked_for_the_client_only(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    old = rejected(dossier, client_user, accountant, "telenet.pdf")
    new = services.document_replace(
        actor=client_user, document=old, filename="telenet-2.pdf", chunks=[samples.pdf(2)]
    ).document
    assert new.status == "draft"  # the service leaves it on the desk
    page = page_of(auth_client(accountant), old)
    assert 'class="notice replacement"' not in page and "telenet-2.pdf" not in page
    assert (
        auth_client(accountant).get(reverse("connect:document", args=[new.public_id])).status_code
        == HTTPStatus.NOT_FOUND
    )
    page = page_of(auth_client(client_user), old)
    assert "Replaced by" in page and link_to(new) in page


def test_a_replaced_draft_stays_the_clients(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    """A draft the client replaced before sending was never the accountant's to see."""
    draft = receive(dossier, client_user, "brouillon.pdf")
    new = services.document_replace(
        actor=client_user, document=draft, filename="propre.pdf", chunks=[samples.pdf(2)]
    ).document
    services.documents_send(actor=client_user, dossier=dossier, documents=[new])
    draft.refresh_from_db()
    assert draft.status == "withdrawn"
    office = auth_client(accountant)
    assert (
        office.get(reverse("connect:document", args=[draft.public_id])).status_code
        == HTTPStatus.NOT_FOUND
    )
    page = page_of(office, new)
    assert 'class="notice replacement"' not in page
    assert link_to(draft) not in page and "brouillon.pdf" not in page
    page = page_of(auth_client(client_user), new)
    assert "Replaces" in page and link_to(draft) in page


def test_another_firm_never_sees_a_replacement(
    client_user: User, accountant: User, dossier: Dossier, other_dossier: Dossier, auth_client
) -> None:
    old = rejected(dossier, client_user, accountant, "telenet.pdf")
    new = services.document_replace(
        actor=client_user, document=old, filename="telenet-2.pdf", chunks=[samples.pdf(2)]
    ).document
    stranger = MembershipFactory(firm=other_dossier.firm, level=FirmLevel.POWER_USER).user
    grant(stranger, other_dossier, "connect.accountant")
    for document in (old, new):
        response = auth_client(stranger).get(reverse("connect:document", args=[document.public_id]))
        assert response.status_code == HTTPStatus.NOT_FOUND


def _inbox_with_replacements(dossier: Dossier, count: int, start: int = 0) -> None:
    """``count`` sent replacements of withdrawn documents, and as many other sent documents."""
    now = timezone.now()

    def row(i: int, status: str, **extra: Any) -> Document:
        return Document(
            firm=dossier.firm,
            dossier=dossier,
            filename=f"{status}-{i}.pdf",
            storage_name=f"x/{status}-{i}.pdf",
            content_type="application/pdf",
            size=10,
            sha256=f"{status[:1]}{i:063d}",
            source="web",
            status=status,
            sent_at=now,
            recognized={"supplier_name": f"S{i}", "total_incl_vat": f"{i}.50"},
            **extra,
        )

    numbers = range(start, start + count)
    olds = Document.objects.bulk_create(row(i, "withdrawn") for i in numbers)
    pairs = zip(numbers, olds, strict=True)
    Document.objects.bulk_create(row(i, "sent", replaces=old) for i, old in pairs)
    Document.objects.bulk_create(row(i, "validated") for i in numbers)  # no replacement


def inbox_queries(client) -> tuple[int, Any]:
    client.get(reverse("connect:inbox"))  # the session warmed
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("connect:inbox"), {"sort": "supplier"})
    return len(queries), response


def test_the_inbox_badges_each_replacement_with_no_query_per_row(
    dossier: Dossier, accountant: User, auth_client
) -> None:
    client = auth_client(accountant)
    _inbox_with_replacements(dossier, 2)
    few, response = inbox_queries(client)
    html = response.content.decode()
    assert html.count(">Replacement</span>") == 2
    badged = {r["filename"] for r in response.context["rows"] if r["replacement"]}
    assert badged == {"sent-0.pdf", "sent-1.pdf"}
    _inbox_with_replacements(dossier, 18, start=2)
    many, response = inbox_queries(client)
    assert response.content.decode().count(">Replacement</span>") == 20
    assert many == few


# --- the read facts, corrected by the accountant ------------------------------------------------


def read(document: Document, **facts: Any) -> Document:
    """What recognition would have stored."""
    recognized = {
        "supplier_name": "Garage Dupon",
        "supplier_vat": None,
        "invoice_number": "F-11",
        "issue_date": "2026-03-02",
        "total_incl_vat": "121.00",
        "currency": "EUR",
        "iban": None,
        "confidence": "0.70",
        "confidences": {"supplier_name": "0.40", "total_incl_vat": "0.95"},
    } | facts
    Document.objects.filter(pk=document.pk).update(recognized=recognized)
    document.refresh_from_db()
    return document


def facts_post(document: Document, **changes: str) -> dict[str, str]:
    """The correction form as the page fills it, with ``changes``."""
    data = {
        f"facts-{key}": str(value)
        for key, value in (document.recognized or {}).items()
        if key in services.review.REVIEW_FACTS and value is not None
    }
    return data | {f"facts-{key}": value for key, value in changes.items()}


def test_the_accountant_corrects_a_fact_and_the_inbox_shows_the_corrected_value(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    document = read(sent(dossier, client_user, "garage.pdf"))
    machine = dict(document.recognized)
    office = auth_client(accountant)
    page = page_of(office, document)
    assert reverse("connect:document_facts", args=[document.public_id]) in page
    assert 'value="Garage Dupon"' in page  # the form starts from what was read
    assert "<details" in page and "Correct the facts" in page
    assert '<details class="facts-edit" open' in page_of_edit(office, document)
    response = office.post(
        reverse("connect:document_facts", args=[document.public_id]),
        facts_post(
            document,
            supplier_name="Garage Dupont SA",
            iban="BE68 5390 0754 7034",
            total_incl_vat="121,5",
        )
        | {"queue": "sort=supplier"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].endswith("?sort=supplier")  # back in the work queue
    document.refresh_from_db()
    assert document.recognized["supplier_name"] == "Garage Dupont SA"
    assert document.recognized["iban"] == "BE68539007547034"
    assert document.recognized["total_incl_vat"] == "121.50"
    assert document.recognized["confidences"]["supplier_name"] == "1.00"
    assert document.recognized_machine == machine  # the machine's reading is kept
    assert (document.reviewed_by, document.status) == (accountant, "sent")
    event = document.events.get(kind="reviewed")
    assert event.actor == accountant
    assert event.note == "supplier_name, total_incl_vat, iban"
    inbox = office.get(reverse("connect:inbox")).content.decode()
    assert "Garage Dupont SA" in inbox and "Garage Dupon<" not in inbox
    page = page_of(office, document)
    assert "Corrected by" in page and "Garage Dupont SA" in page
    # a second correction keeps the first reading as the machine's
    office.post(
        reverse("connect:document_facts", args=[document.public_id]),
        facts_post(document, invoice_number="F-12"),
    )
    document.refresh_from_db()
    assert document.recognized["invoice_number"] == "F-12"
    assert document.recognized_machine == machine


def page_of_edit(client, document: Document) -> str:
    url = reverse("connect:document", args=[document.public_id])
    return client.get(url, {"edit": "1"}).content.decode()


def test_facts_can_be_entered_on_a_document_that_was_not_read(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    document = sent(dossier, client_user, "transport.pdf")
    assert document.recognized is None
    office = auth_client(accountant)
    assert "Enter the facts" in page_of(office, document)
    office.post(
        reverse("connect:document_facts", args=[document.public_id]),
        {"facts-supplier_name": "Proximus", "facts-supplier_vat": "BE0202239951"},
    )
    document.refresh_from_db()
    assert document.recognized["supplier_name"] == "Proximus"
    assert document.recognized["supplier_vat"] == "BE0202239951"
    assert document.recognized_machine == {}  # nothing was read


def test_nothing_is_written_when_one_fact_is_not_valid(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    document = read(sent(dossier, client_user, "garage.pdf"))
    before = dict(document.recognized)
    response = auth_client(accountant).post(
        reverse("connect:document_facts", args=[document.public_id]),
        facts_post(document, supplier_name="Garage Dupont SA", iban="BE00 1234"),
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.content.decode()
    assert "Enter a valid IBAN." in html
    assert '<details class="facts-edit" open' in html
    assert 'value="Garage Dupont SA"' in html  # what was typed is kept in the form
    document.refresh_from_db()
    assert document.recognized == before and document.recognized_machine is None
    assert document.reviewed_by is None
    assert not document.events.filter(kind="reviewed").exists()


def test_a_booked_or_withdrawn_document_refuses_a_correction(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    document = read(sent(dossier, client_user, "garage.pdf"))
    services.document_book(actor=accountant, document=document, booking_number="A-1")
    office = auth_client(accountant)
    assert reverse("connect:document_facts", args=[document.public_id]) not in page_of(
        office, document
    )
    response = office.post(
        reverse("connect:document_facts", args=[document.public_id]),
        facts_post(document, supplier_name="Autre"),
        follow=True,
    )
    assert "This document is booked: its facts can no longer be corrected." in (
        response.content.decode()
    )
    document.refresh_from_db()
    assert document.recognized["supplier_name"] == "Garage Dupon"
    withdrawn = rejected(dossier, client_user, accountant, "other.pdf", pages=3)
    services.document_delete(actor=client_user, document=withdrawn)
    with pytest.raises(ServiceError) as refused:
        services.document_correct_facts(
            actor=accountant, document=withdrawn, facts={"supplier_name": "Autre"}
        )
    assert refused.value.code == "state"
    assert "withdrew" in str(refused.value.message)


def test_the_client_cannot_correct_the_read_facts(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    document = read(sent(dossier, client_user, "garage.pdf"))
    client = auth_client(client_user)
    assert reverse("connect:document_facts", args=[document.public_id]) not in page_of(
        client, document
    )
    response = client.post(
        reverse("connect:document_facts", args=[document.public_id]),
        facts_post(document, supplier_name="Moi-même"),
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    with pytest.raises(ServiceError) as refused:
        services.document_correct_facts(
            actor=client_user, document=document, facts={"supplier_name": "Moi-même"}
        )
    assert refused.value.code == "forbidden"
    document.refresh_from_db()
    assert document.recognized["supplier_name"] == "Garage Dupon"
    assert not DocumentEvent.objects.filter(document=document, kind="reviewed").exists()


def test_another_firms_accountant_gets_404(
    client_user: User, dossier: Dossier, other_dossier: Dossier, auth_client
) -> None:
    document = read(sent(dossier, client_user, "garage.pdf"))
    stranger = MembershipFactory(firm=other_dossier.firm, level=FirmLevel.POWER_USER).user
    grant(stranger, other_dossier, "connect.accountant")
    response = auth_client(stranger).post(
        reverse("connect:document_facts", args=[document.public_id]),
        facts_post(document, supplier_name="Beta"),
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    document.refresh_from_db()
    assert document.recognized["supplier_name"] == "Garage Dupon"


# --- layout ----------------------------------------------------------------------------------


def test_a_long_name_is_shown_whole_in_the_title(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    name = "facture-" + "tres-long-" * 19 + ".pdf"
    document = sent(dossier, client_user, name)
    page = page_of(auth_client(accountant), document)
    title = page[page.index("<h1") : page.index("</h1>")]
    assert document.filename in title
    assert "cut" not in title  # wrapped, not cut with an ellipsis


# --- amounts and dates as the reader writes them ------------------------------------------------


@pytest.mark.parametrize(
    ("language", "typed", "canonical"),
    [
        ("fr", "1.234,56", "1234.56"),
        ("fr", "1 234,56", "1234.56"),
        ("fr", "412,34", "412.34"),
        ("nl", "1.234", "1234"),  # a Dutch thousands separator, not a decimal point
        ("nl", "412.34", "412.34"),  # two decimals after a point: the machine's form
        ("de", "1.234.567,8", "1234567.8"),
        ("en", "1,234.56", "1234.56"),
        ("en", "1,234", "1234"),
        ("en", "412,34", "412.34"),
        ("fr", "-12,50", "-12.50"),
        ("fr", "douze", "douze"),  # left for the service to refuse with its message
    ],
)
def test_an_amount_is_read_as_the_reader_types_it(
    language: str, typed: str, canonical: str
) -> None:
    from django.utils import translation

    from connect.documents.forms import amount_typed

    with translation.override(language):
        assert amount_typed(typed) == canonical


def test_the_correction_form_shows_amounts_in_the_readers_format_and_takes_them_back(
    client_user: User, accountant: User, dossier: Dossier, auth_client
) -> None:
    document = read(sent(dossier, client_user, "garage.pdf"), total_incl_vat="1234.5")
    User.objects.filter(pk=accountant.pk).update(language="fr")
    accountant.refresh_from_db()
    office = auth_client(accountant)
    page = page_of(office, document)
    assert 'name="facts-total_incl_vat" value="1234,50"' in page
    assert 'type="date" name="facts-issue_date" value="2026-03-02"' in page
    assert "AAAA-MM-JJ" not in page and "YYYY-MM-DD" not in page
    data = facts_post(document) | {
        "facts-total_incl_vat": "1.234,56",
        "facts-due_date": "2026-04-01",
    }
    response = office.post(reverse("connect:document_facts", args=[document.public_id]), data)
    assert response.status_code == HTTPStatus.FOUND
    document.refresh_from_db()
    assert document.recognized["total_incl_vat"] == "1234.56"
    assert document.recognized["due_date"] == "2026-04-01"
    assert document.recognized["issue_date"] == "2026-03-02"
