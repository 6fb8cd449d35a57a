"""The accountant's work queue: the inbox sorted by any column and worked in bulk, "book and
next" in the order chosen, the pages of a document as large images, and a failed preview that
says so and can be made again."""

import io
import zipfile
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter

from connect.documents import services
from connect.documents.pages import PAGE_CAP, PAGE_MAX_PIXELS, PAGE_WIDTH, page_storage_name
from connect.documents.queue import (
    SORT_KEYS,
    queue_neighbours_for,
    queue_order,
    queue_rows_for,
)
from connect.documents.selectors import (
    InboxFilters,
    accountant_dossier_rows_for,
    inbox_documents_for,
)
from connect.documents.services.processing import document_process
from connect.models import Document, DocumentRead, Processing
from dossiers.models import Dossier
from tests.connect import samples
from tests.factories import grant
from users.models import User


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _english(accountant: User, client_user: User) -> None:
    """The pages in English: the tests read their words."""
    User.objects.filter(pk__in=[accountant.pk, client_user.pk]).update(language="en")


def sent(dossier: Dossier, client_user: User, name: str, data: bytes | None = None, **facts):
    document = services.document_receive(
        dossier=dossier,
        actor=client_user,
        filename=name,
        chunks=[data or samples.invoice_pdf([name])],
        source="web",
        **facts,
    ).document
    services.documents_send(actor=client_user, dossier=dossier, documents=[document])
    document.refresh_from_db()
    return document


def read(document: Document, **facts: Any) -> Document:
    """What recognition would have stored (the queue sorts by it)."""
    recognized = {
        "supplier_name": None,
        "invoice_number": None,
        "issue_date": None,
        "total_incl_vat": None,
        "currency": "EUR",
        "confidence": "0.90",
        "confidences": {},
    } | facts
    Document.objects.filter(pk=document.pk).update(recognized=recognized)
    document.refresh_from_db()
    return document


@pytest.fixture
def four(dossier: Dossier, client_user: User) -> list[Document]:
    """Four invoices read differently: one total damaged, one with no total at all."""
    return [
        read(
            sent(dossier, client_user, "a.pdf"),
            supplier_name="Brico",
            issue_date="2026-03-02",
            total_incl_vat="1480.25",
            confidence="0.58",
        ),
        read(
            sent(dossier, client_user, "b.pdf"),
            supplier_name="apotheek",
            issue_date="2026-01-15",
            total_incl_vat="99.90",
            confidence="0.97",
        ),
        read(
            sent(dossier, client_user, "c.pdf"),
            supplier_name="Colruyt",
            issue_date="2026-02-28",
            total_incl_vat="not a number",
            confidence="0.75",
        ),
        read(sent(dossier, client_user, "d.pdf"), supplier_name=None, confidence="0.10"),
    ]


def names(response) -> list[str]:
    return [row["filename"] for row in response.context["rows"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("supplier", ["d.pdf", "b.pdf", "a.pdf", "c.pdf"]),  # no supplier first, case ignored
        ("-supplier", ["c.pdf", "a.pdf", "b.pdf", "d.pdf"]),
        ("total", ["c.pdf", "d.pdf", "b.pdf", "a.pdf"]),  # unreadable and missing first
        ("-total", ["a.pdf", "b.pdf", "d.pdf", "c.pdf"]),
        ("date", ["d.pdf", "b.pdf", "c.pdf", "a.pdf"]),
        ("confidence", ["d.pdf", "a.pdf", "c.pdf", "b.pdf"]),
        ("-sent", ["d.pdf", "c.pdf", "b.pdf", "a.pdf"]),
        ("'; DROP TABLE", ["d.pdf", "c.pdf", "b.pdf", "a.pdf"]),  # not a column: the default
    ],
)
def test_the_inbox_sorts_by_each_column(
    four: list[Document], accountant: User, auth_client, sort: str, expected: list[str]
) -> None:
    base = timezone.now()
    for n, document in enumerate(four):
        Document.objects.filter(pk=document.pk).update(sent_at=base + timedelta(minutes=n))
    response = auth_client(accountant).get(reverse("connect:inbox"), {"sort": sort})
    assert response.status_code == HTTPStatus.OK
    assert names(response) == expected


def test_sorting_keeps_the_filters_and_pages_by_keyset(
    four: list[Document], dossier: Dossier, accountant: User, auth_client
) -> None:
    client = auth_client(accountant)
    response = client.get(reverse("connect:inbox"), {"dossier": str(dossier.public_id)})
    headers = {column["key"]: column["url"] for column in response.context["columns"]}
    assert f"dossier={dossier.public_id}" in headers["total"]
    assert "sort=total" in headers["total"]
    assert "sort=sent" in headers["sent"]  # newest first now: the header turns it round
    # Pages of two in the supplier order, with ties on the key and without repetition.
    order = queue_order("-supplier")
    seen, cursor = [], ""
    while True:
        page = queue_rows_for(
            actor=accountant, filters=InboxFilters(), order=order, cursor=cursor, size=2
        )
        seen += [row.filename for row in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == ["c.pdf", "a.pdf", "b.pdf", "d.pdf"]
    # A cursor of another order starts the list again rather than skipping rows.
    other = queue_rows_for(
        actor=accountant, filters=InboxFilters(), order=queue_order("total"), cursor=cursor
    )
    assert len(other.rows) == 4


def test_the_rows_built_by_code_escape_what_was_read_and_the_file_name(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    """The inbox's rows are HTML built by code (connect/documents/inbox_html.py): what a
    document says and what its sender named it reach the page as text, never as markup."""
    read(
        sent(dossier, client_user, 'a"<img src=x onerror=alert(1)>.pdf'),
        supplier_name="<b>Acme & Co</b>",
        invoice_number="<i>7</i>",
    )
    html = auth_client(accountant).get(reverse("connect:inbox")).content.decode()
    assert "&lt;b&gt;Acme &amp; Co&lt;/b&gt;" in html and "<b>Acme" not in html
    assert "&lt;i&gt;7&lt;/i&gt;" in html and "<i>7" not in html
    assert "<img src=x" not in html


def test_the_inbox_shows_what_was_read_and_flags_a_typed_amount_that_differs(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    from decimal import Decimal

    differs = read(
        sent(dossier, client_user, "m.pdf", amount=Decimal("1234.56")),
        supplier_name="Meunerie Lambert SA",
        invoice_number="ML-7781",
        issue_date="2026-03-02",
        total_incl_vat="1480.25",
        confidences={"supplier_name": "0.50", "total_incl_vat": "0.95"},
    )
    agrees = read(
        sent(dossier, client_user, "n.pdf", amount=Decimal("99.90")),
        supplier_name="Apotheek",
        total_incl_vat="99.90",
    )
    response = auth_client(accountant).get(reverse("connect:inbox"), {"sort": "supplier"})
    rows = {row["filename"]: row for row in response.context["rows"]}
    assert rows["m.pdf"]["mismatch"] is True
    assert rows["n.pdf"]["mismatch"] is False
    html = response.content.decode()
    assert "Meunerie Lambert SA" in html
    assert "ML-7781" in html
    assert "1,480.25\xa0EUR" in html or "1.480,25\xa0EUR" in html
    assert "mismatch: the client typed" in html
    assert html.count("mismatch: the client typed") == 1
    assert "lowest: Supplier 50" in html
    assert f"/connect/dossiers/{dossier.public_id}/profile/" in html  # each row's dossier
    assert str(differs.public_id) in html and str(agrees.public_id) in html


def test_bulk_validate_and_book_use_the_services_and_name_what_could_not_be_done(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    profile = services.profile_for(dossier)
    profile.pre_validation = True
    profile.save()
    first, second, third = (sent(dossier, client_user, f"{n}.pdf") for n in "xyz")
    client = auth_client(accountant)
    chosen = [str(first.public_id), str(second.public_id)]
    response = client.post(
        reverse("connect:inbox_bulk"),
        {"action": "validate", "documents": chosen, "queue": "sort=supplier"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("connect:inbox") + "?sort=supplier"
    statuses = dict(Document.objects.values_list("filename", "status"))
    assert statuses == {"x.pdf": "validated", "y.pdf": "validated", "z.pdf": "sent"}
    # z was not validated: booking it fails and is named; the two others are booked.
    response = client.post(
        reverse("connect:inbox_bulk"),
        {
            "action": "book",
            "documents": [*chosen, str(third.public_id)],
            "booking_number": "ACH-77",
        },
        follow=True,
    )
    statuses = dict(Document.objects.values_list("filename", "status"))
    assert statuses == {"x.pdf": "booked", "y.pdf": "booked", "z.pdf": "sent"}
    html = response.content.decode()
    assert "2 documents were booked." in html
    assert "z.pdf: Validate the document before booking it." in html
    assert set(Document.objects.values_list("booking_number", flat=True)) == {"ACH-77", ""}
    # Without a booking number nothing is booked.
    client.post(
        reverse("connect:inbox_bulk"),
        {"action": "validate", "documents": [str(third.public_id)]},
    )
    client.post(
        reverse("connect:inbox_bulk"),
        {"action": "book", "documents": [str(third.public_id)], "booking_number": " "},
    )
    assert Document.objects.get(pk=third.pk).status == "validated"


def test_bulk_actions_refuse_another_firms_documents_and_do_nothing(
    dossier: Dossier,
    client_user: User,
    accountant: User,
    other_dossier: Dossier,
    auth_client,
) -> None:
    mine = sent(dossier, client_user, "mine.pdf")
    stranger = User.objects.create_user(email="them@example.be", password="x" * 20)
    grant(stranger, other_dossier, "connect.entrepreneur")
    theirs = sent(other_dossier, stranger, "theirs.pdf")
    client = auth_client(accountant)
    for action in ("book", "download", "validate"):
        response = client.post(
            reverse("connect:inbox_bulk"),
            {
                "action": action,
                "documents": [str(mine.public_id), str(theirs.public_id)],
                "booking_number": "X-1",
            },
        )
        assert response.status_code == HTTPStatus.NOT_FOUND
    assert (
        client.post(
            reverse("connect:inbox_bulk"), {"action": "book", "documents": ["not-an-id"]}
        ).status_code
        == HTTPStatus.NOT_FOUND
    )
    assert (
        client.post(
            reverse("connect:inbox_bulk"), {"action": "delete", "documents": [str(mine.public_id)]}
        ).status_code
        == HTTPStatus.NOT_FOUND
    )
    assert set(Document.objects.values_list("status", flat=True)) == {"sent"}
    assert not DocumentRead.objects.exists()
    # The client of the dossier has no inbox to act on.
    response = auth_client(client_user).post(
        reverse("connect:inbox_bulk"),
        {"action": "download", "documents": [str(mine.public_id)]},
    )
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_bulk_download_zips_the_chosen_files_and_records_each_read(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    pdf, photo = samples.invoice_pdf(["one"]), samples.image()
    one = sent(dossier, client_user, "one.pdf", pdf)
    two = sent(dossier, client_user, "two.jpg", photo)
    sent(dossier, client_user, "left-out.pdf", samples.invoice_pdf(["three"]))
    response = auth_client(accountant).post(
        reverse("connect:inbox_bulk"),
        {"action": "download", "documents": [str(one.public_id), str(two.public_id)]},
    )
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    contents = {name.split("_")[0]: archive.read(name) for name in archive.namelist()}
    assert contents == {"one": pdf, "two": photo}
    reads = DocumentRead.objects.values_list("filename", "how")
    assert sorted(reads) == [("one.pdf", "download"), ("two.jpg", "download")]


def test_book_and_next_and_reject_and_next_follow_the_queue_order(
    four: list[Document], accountant: User, auth_client
) -> None:
    a, b, c, d = four  # by supplier: d (none), b (apotheek), a (Brico), c (Colruyt)
    client = auth_client(accountant)
    page = client.get(reverse("connect:document", args=[b.public_id]), {"sort": "supplier"})
    assert page.context["previous_url"].startswith(reverse("connect:document", args=[d.public_id]))
    assert page.context["next_url"] == (
        reverse("connect:document", args=[a.public_id]) + "?sort=supplier"
    )
    html = page.content.decode()
    assert 'data-shortcut="j"' in html and 'data-shortcut="b"' in html
    assert "Keyboard shortcuts" in html

    response = client.post(
        reverse("connect:document_action", args=[b.public_id, "book"]),
        {"booking_number": "ACH-1", "then": "next", "queue": "sort=supplier"},
    )
    assert response["Location"] == (
        reverse("connect:document", args=[a.public_id]) + "?sort=supplier"
    )
    response = client.post(
        reverse("connect:document_action", args=[a.public_id, "reject"]),
        {"reason": "Illisible", "then": "next", "queue": "sort=supplier"},
    )
    assert response["Location"] == (
        reverse("connect:document", args=[c.public_id]) + "?sort=supplier"
    )
    # The last of the queue goes back to the inbox, in the same order.
    response = client.post(
        reverse("connect:document_action", args=[c.public_id, "book"]),
        {"booking_number": "ACH-2", "then": "next", "queue": "sort=supplier"},
    )
    assert response["Location"] == reverse("connect:inbox") + "?sort=supplier"
    statuses = {doc.filename: doc.status for doc in Document.objects.all()}
    assert statuses == {"a.pdf": "rejected", "b.pdf": "booked", "c.pdf": "booked", "d.pdf": "sent"}
    # A failed action stays on the document, and does not go on.
    response = client.post(
        reverse("connect:document_action", args=[d.public_id, "reject"]),
        {"reason": "", "then": "next", "queue": "sort=supplier"},
    )
    assert response["Location"] == (
        reverse("connect:document", args=[d.public_id]) + "?sort=supplier"
    )


def test_the_document_page_flags_what_the_client_typed_against_what_was_read(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    from datetime import date
    from decimal import Decimal

    document = read(
        sent(dossier, client_user, "m.pdf", amount=Decimal("1234.56"), due_date=date(2026, 4, 30)),
        total_incl_vat="1480.25",
        due_date="2026-04-11",
    )
    response = auth_client(accountant).get(reverse("connect:document", args=[document.public_id]))
    facts = {row["key"]: row for row in response.context["facts"]}
    assert facts["total_incl_vat"]["mismatch"] and facts["due_date"]["mismatch"]
    assert not facts["supplier_name"]["mismatch"]
    assert response.content.decode().count("mismatch: the client typed") == 2


# --- the pages as images ------------------------------------------------------------------


def multi_page_pdf() -> bytes:
    """Three pages: A4 portrait, A4 landscape, and a till receipt a metre and a half long."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=842, height=595)
    writer.add_blank_page(width=227, height=4250)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_each_page_of_a_pdf_is_an_image_large_enough_to_read_and_is_kept(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    document = sent(dossier, client_user, "three.pdf", multi_page_pdf())
    document_process(document_id=document.pk)
    client = auth_client(accountant)
    page = client.get(reverse("connect:document", args=[document.public_id]))
    urls = [p["url"] for p in page.context["pages"]]
    assert urls == [reverse("connect:page", args=[document.public_id, n]) for n in (1, 2, 3)]
    sizes = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Type"] == "image/jpeg"
        with Image.open(io.BytesIO(b"".join(response.streaming_content))) as image:
            sizes.append(image.size)
    assert sizes[0] == (PAGE_WIDTH, round(842 * PAGE_WIDTH / 595))
    assert sizes[1] == (PAGE_WIDTH, round(595 * PAGE_WIDTH / 842))
    assert sizes[2][0] * sizes[2][1] <= PAGE_MAX_PIXELS * 1.01  # narrower, never huge
    assert sizes[2][1] > sizes[2][0] * 15
    # Kept in the storage: served from there the next time.
    name = page_storage_name(document, 1)
    assert default_storage.exists(name)
    default_storage.delete(name)
    default_storage.save(name, ContentFile(b"kept"))
    assert b"".join(client.get(urls[0]).streaming_content) == b"kept"
    assert client.get(reverse("connect:page", args=[document.public_id, 4])).status_code == 404


def test_a_photo_is_one_upright_page_and_pages_stay_in_the_firm(
    dossier: Dossier, client_user: User, other_staff: User, auth_client
) -> None:
    document = sent(dossier, client_user, "photo.jpg", samples.image("JPEG", (3000, 4000)))
    response = auth_client(client_user).get(reverse("connect:page", args=[document.public_id, 1]))
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as image:
        assert image.size == (PAGE_WIDTH, round(4000 * PAGE_WIDTH / 3000))
    other = auth_client(other_staff).get(reverse("connect:page", args=[document.public_id, 1]))
    assert other.status_code == HTTPStatus.NOT_FOUND


def test_a_page_that_cannot_be_rendered_answers_an_error_not_a_broken_image(
    dossier: Dossier, client_user: User, auth_client
) -> None:
    document = sent(dossier, client_user, "gone.pdf", samples.pdf(2))
    default_storage.delete(document.storage_name)
    response = auth_client(client_user).get(reverse("connect:page", args=[document.public_id, 2]))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert not default_storage.exists(page_storage_name(document, 2))


# --- a failed preview -----------------------------------------------------------------------


def test_a_failed_preview_says_so_and_the_client_can_make_it_again(
    dossier: Dossier, client_user: User, auth_client, django_capture_on_commit_callbacks
) -> None:
    data = samples.pdf(2)
    document = sent(dossier, client_user, "late.pdf", data)
    stored = document.storage_name
    default_storage.delete(stored)
    document_process(document_id=document.pk)  # the bytes are missing: it fails
    document.refresh_from_db()
    assert document.processing == Processing.FAILED
    client = auth_client(client_user)
    url = reverse("connect:document", args=[document.public_id])
    html = client.get(url).content.decode()
    assert "The preview could not be made." in html
    assert "The preview is being prepared." not in html
    retry = reverse("connect:preview_retry", args=[document.public_id])
    assert retry in html
    default_storage.save(stored, ContentFile(data))  # the storage is back
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry)
    assert response["Location"] == url
    document.refresh_from_db()
    assert document.processing == Processing.DONE
    assert document.thumbnail_name
    page = client.get(url)
    assert len(page.context["pages"]) == 2
    assert "The preview could not be made." not in page.content.decode()
    # Nothing to make again now.
    client.post(retry)
    document.refresh_from_db()
    assert document.processing_queued_at is not None


def test_a_preview_left_pending_is_shown_failed_and_the_accountant_retries_it(
    dossier: Dossier,
    client_user: User,
    accountant: User,
    auth_client,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    """Inline tasks (`make run`): a preview still pending a minute later was interrupted (a
    crash, a locked database) and no sweeper will come."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    document = sent(dossier, client_user, "stuck.pdf")
    client = auth_client(accountant)
    url = reverse("connect:document", args=[document.public_id])
    assert "The preview is being prepared." in client.get(url).content.decode()
    Document.objects.filter(pk=document.pk).update(
        uploaded_at=timezone.now() - timedelta(minutes=2)
    )
    assert "The preview could not be made." in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("connect:preview_retry", args=[document.public_id]),
            {"queue": "sort=total"},
        )
    document.refresh_from_db()
    assert (document.processing, bool(document.thumbnail_name)) == (Processing.DONE, True)


def test_a_quarantined_file_is_tried_again_by_the_firm_only_one_attempt_per_retry(
    dossier: Dossier, client_user: User, accountant: User, auth_client, settings
) -> None:
    document = sent(dossier, client_user, "poison.pdf")
    Document.objects.filter(pk=document.pk).update(
        processing=Processing.QUARANTINED,
        processing_attempts=settings.CONNECT_PROCESSING_MAX_ATTEMPTS,
    )
    # The client cannot replay a file that crashed the worker; the page says who can.
    client = auth_client(client_user)
    client.post(reverse("connect:preview_retry", args=[document.public_id]))
    document.refresh_from_db()
    assert document.processing == Processing.QUARANTINED
    page = client.get(reverse("connect:document", args=[document.public_id])).content.decode()
    assert "your accountant can try it again" in page
    assert reverse("connect:preview_retry", args=[document.public_id]) not in page
    # The accountant can: one more attempt per retry.
    auth_client(accountant).post(reverse("connect:preview_retry", args=[document.public_id]))
    document.refresh_from_db()
    assert document.processing == Processing.PENDING
    assert document.processing_attempts == settings.CONNECT_PROCESSING_MAX_ATTEMPTS - 1
    # Asked again at once: it is pending again, not failed, so nothing more is queued.
    auth_client(accountant).post(reverse("connect:preview_retry", args=[document.public_id]))
    document.refresh_from_db()
    assert document.processing_attempts == settings.CONNECT_PROCESSING_MAX_ATTEMPTS - 1


def test_a_page_image_needs_a_checked_file_and_counts_as_a_read_on_its_own(
    dossier: Dossier, client_user: User, accountant: User, auth_client
) -> None:
    from connect.models import DocumentRead

    document = sent(dossier, client_user, "three.pdf")
    client = auth_client(accountant)
    url = reverse("connect:page", args=[document.public_id, 1])
    assert client.get(url).status_code == 200
    reads = DocumentRead.objects.filter(document_public_id=document.public_id)
    assert list(reads.values_list("how", flat=True)) == ["page"]
    assert client.get(url).status_code == 200  # within the hour: the same read
    assert reads.count() == 1
    Document.objects.filter(pk=document.pk).update(processing=Processing.QUARANTINED)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("sort", [f"{sign}{key}" for key in SORT_KEYS for sign in ("", "-")])
def test_every_order_pages_without_gaps_and_knows_each_documents_neighbours(
    four: list[Document], accountant: User, sort: str
) -> None:
    order = queue_order(sort)
    rows = queue_rows_for(actor=accountant, filters=InboxFilters(), order=order).rows
    whole = [Document.objects.get(pk=row.id) for row in rows]
    assert [(row.public_id, row.filename, row.recognized) for row in rows] == [
        (d.public_id, d.filename, d.recognized) for d in whole
    ]
    seen, cursor = [], ""
    while True:
        page = queue_rows_for(
            actor=accountant, filters=InboxFilters(), order=order, cursor=cursor, size=1
        )
        seen += [row.id for row in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == [d.pk for d in whole] and len(whole) == 4
    for n, document in enumerate(whole):
        around = queue_neighbours_for(
            actor=accountant, filters=InboxFilters(), order=order, document=document
        )
        assert around.previous == (whole[n - 1] if n else None)
        assert around.next == (whole[n + 1] if n + 1 < len(whole) else None)


def test_the_inbox_reads_the_dossiers_once_and_only_the_actors_own(
    four: list[Document], dossier: Dossier, accountant: User, client_user: User
) -> None:
    reach = accountant_dossier_rows_for(actor=accountant)
    assert [row.code for row in reach.rows] == [dossier.code]
    within = inbox_documents_for(actor=accountant, filters=InboxFilters(), within=reach)
    subquery = inbox_documents_for(actor=accountant, filters=InboxFilters())
    assert sorted(d.pk for d in within) == sorted(d.pk for d in subquery) != []
    # A client holds no dossier as accountant: none, and another actor's set is refused.
    assert accountant_dossier_rows_for(actor=client_user).rows == ()
    with pytest.raises(ValueError, match="another actor"):
        inbox_documents_for(actor=client_user, filters=InboxFilters(), within=reach)


@pytest.mark.parametrize("rows", [2, 120])
def test_the_sorted_inbox_query_count_does_not_grow(
    dossier: Dossier, accountant: User, auth_client, django_assert_max_num_queries, rows: int
) -> None:
    now = timezone.now()
    Document.objects.bulk_create(
        Document(
            firm=dossier.firm,
            dossier=dossier,
            filename=f"{i}.pdf",
            storage_name=f"x/{i}.pdf",
            content_type="application/pdf",
            size=10,
            sha256=f"{i:064d}",
            source="web",
            status="sent",
            sent_at=now,
            thumbnail_name=f"t/{i}.png",
            recognized={"supplier_name": f"S{i % 7}", "total_incl_vat": f"{i}.50"},
        )
        for i in range(rows)
    )
    client = auth_client(accountant)
    client.get(reverse("connect:inbox"), {"sort": "-total"})
    with django_assert_max_num_queries(5):
        response = client.get(reverse("connect:inbox"), {"sort": "supplier"})
    assert len(response.context["rows"]) == min(rows, 50)


def test_a_long_pdf_offers_its_first_pages_and_says_so(
    dossier: Dossier, client_user: User, auth_client
) -> None:
    document = sent(dossier, client_user, "long.pdf", samples.pdf(PAGE_CAP + 2))
    document_process(document_id=document.pk)
    client = auth_client(client_user)
    response = client.get(reverse("connect:document", args=[document.public_id]))
    assert len(response.context["pages"]) == PAGE_CAP
    assert f"The first {PAGE_CAP} pages are shown" in response.content.decode()
    beyond = reverse("connect:page", args=[document.public_id, PAGE_CAP + 1])
    assert client.get(beyond).status_code == HTTPStatus.NOT_FOUND


def test_a_deleted_draft_takes_its_page_images_with_it(
    dossier: Dossier, client_user: User, auth_client, django_capture_on_commit_callbacks
) -> None:
    document = services.document_receive(
        dossier=dossier,
        actor=client_user,
        filename="draft.pdf",
        chunks=[samples.pdf(2)],
        source="web",
    ).document  # on the desk: never sent
    client = auth_client(client_user)
    for number in (1, 2):
        client.get(reverse("connect:page", args=[document.public_id, number]))
    names = [page_storage_name(document, n) for n in (1, 2)]
    assert all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("connect:document_delete", args=[document.public_id]))
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not any(default_storage.exists(name) for name in names)


def test_an_amount_filled_from_the_amount_to_pay_is_no_mismatch() -> None:
    """An e-invoice with a prepayment: the amount to pay (filled in as the document's amount)
    is less than the total with VAT; only an amount that is neither is flagged."""
    from decimal import Decimal

    from connect.documents.views_inbox import typed_differs

    facts = {"total_incl_vat": "7125.00", "payable_amount": "6125.00"}
    assert not typed_differs(facts, Decimal("6125.00"))
    assert not typed_differs(facts, Decimal("7125.00"))
    assert typed_differs(facts, Decimal("1234.56"))
    assert not typed_differs(facts, None)
    assert not typed_differs({}, Decimal("1"))
