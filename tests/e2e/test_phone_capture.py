"""The client's upload on a phone, in French on a 390x844 screen, in a real browser (issue 14):
photos taken one after the other gather in a strip, are reordered, deleted and added to, and
leave as one PDF whose pages are in the order shown; files the browser can already refuse (a
type not accepted, a file over the size limit) say why on their row and are never sent; the
strip says when it holds more pages, or more bytes, than one document may, and sends nothing
then; the summary gives the counts and the reasons of the refusals."""

import io
import os
import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader

from connect.documents import services
from connect.models import Document
from dossiers.models import Dossier
from dossiers.services_demo import DEFAULT_DEMO_PASSWORD, demo_data_load
from tests.connect import samples
from users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLIENT = "client@boulangerie-demo.be"
PHONE = {"width": 390, "height": 844}
MB = 1024 * 1024

#: Four shots of distinct sizes and colours, each with its name written on it: a page of the
#: combined PDF is known by its image's size.
SHOTS = {
    "A": ((600, 800), (200, 40, 40)),
    "B": ((640, 820), (40, 160, 40)),
    "C": ((680, 840), (40, 40, 200)),
    "D": ((720, 860), (220, 180, 30)),
}


@pytest.fixture
def boulangerie(tmp_path: Path, settings) -> Dossier:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    User.objects.filter(email=CLIENT).update(language="fr")
    dossier = Dossier.objects.get(code="BOULANGERIE")
    profile = services.profile_for(dossier)
    profile.pre_validation = False
    profile.save()
    return dossier


@pytest.fixture
def desk(page_factory, boulangerie: Dossier):
    """The client's desk of the dossier, on a phone, in French; it counts the uploads sent."""
    page = page_factory(locale="fr-BE", viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("WinBooksID")).fill(CLIENT)
    page.locator("#id_password").fill(DEFAULT_DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("load")
    page.goto(f"/connect/dossiers/{boulangerie.public_id}/invoices/")
    page.uploads = []
    page.on(
        "request",
        lambda request: (
            page.uploads.append(request.url)
            if request.method == "POST" and request.url.endswith("/upload/")
            else None
        ),
    )
    return page


def shot(tmp_path: Path, name: str) -> str:
    size, colour = SHOTS[name]
    image = Image.new("RGB", size, colour)
    ImageDraw.Draw(image).text(
        (40, 40), f"PAGE {name}", fill=(255, 255, 255), font=ImageFont.load_default(size=80)
    )
    path = tmp_path / f"photo-{name}.jpg"
    image.save(path, "JPEG", quality=90)
    return str(path)


def noise(tmp_path: Path, name: str, side: int = 700) -> str:
    """A photo that does not compress (about 450 KB): a few of them exceed 1 MB together."""
    path = tmp_path / f"{name}.jpg"
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(path, quality=90)
    return str(path)


def strip_widths(page) -> list[int]:
    page.wait_for_function(
        "() => [...document.querySelectorAll('.strip-page img')].every(i => i.complete)"
    )
    return page.locator(".strip-page img").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")


def new_documents(dossier: Dossier, before: set[int]):
    return Document.objects.filter(dossier=dossier).exclude(pk__in=before)


def test_three_shots_reordered_one_deleted_one_added_leave_as_one_pdf_in_that_order(
    desk, boulangerie: Dossier, tmp_path: Path
) -> None:
    before = set(Document.objects.filter(dossier=boulangerie).values_list("pk", flat=True))
    camera = desk.locator("input[name=photos]")
    for name in "ABC":
        camera.set_input_files(shot(tmp_path, name))
    assert desk.locator(".strip-page").count() == 3
    assert strip_widths(desk) == [600, 640, 680]

    # C is moved before B, then A (now the first page) is deleted.
    desk.get_by_role("button", name="Déplacer avant · Page 3", exact=True).click()
    assert strip_widths(desk) == [600, 680, 640]
    desk.get_by_role("button", name="Supprimer · Page 1", exact=True).click()
    assert strip_widths(desk) == [680, 640]
    assert desk.locator(".strip-number").all_inner_texts() == ["Page 1", "Page 2"]

    # "Add a page" opens the camera again; the new shot comes last.
    with desk.expect_file_chooser() as chooser:
        desk.get_by_role("button", name="Ajouter une page").click()
    chooser.value.set_files(shot(tmp_path, "D"))
    assert strip_widths(desk) == [680, 640, 720]

    desk.get_by_role("button", name="Ajouter et envoyer").click()
    desk.wait_for_function(
        "() => document.querySelectorAll('.upload-ok').length === 1", timeout=60_000
    )
    assert desk.locator("[data-upload-summary]").inner_text() == "1 envoyé au comptable"
    assert desk.locator(".upload-ok").inner_text().split("\n") == [
        "photo-C.pdf",
        "Reçu et envoyé au comptable.",
    ]
    assert desk.locator(".strip-page").count() == 0
    assert len(desk.uploads) == 1

    # One PDF of three pages, in the strip's order, sent to the accountant.
    document = new_documents(boulangerie, before).get()
    assert (document.filename, document.content_type, document.status) == (
        "photo-C.pdf",
        "application/pdf",
        "sent",
    )
    assert document.sent_at is not None
    with default_storage.open(document.storage_name, "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    assert document.page_count == len(reader.pages) == 3
    pages = []
    for pdf_page in reader.pages:
        (image,) = pdf_page.images
        pages.append(image.image.size)
    assert pages == [SHOTS[name][0] for name in "CBD"]


def test_what_the_browser_can_refuse_says_why_and_is_never_sent(
    desk, boulangerie: Dossier, tmp_path: Path, settings
) -> None:
    settings.CONNECT_MAX_UPLOAD_SIZE = MB
    desk.reload()
    before = set(Document.objects.filter(dossier=boulangerie).values_list("pk", flat=True))
    (tmp_path / "contrat.docx").write_bytes(b"PK\x03\x04 not a document we take")
    (tmp_path / "scan-lourd.pdf").write_bytes(samples.pdf(1) + b"\0" * (MB + MB // 2))
    (tmp_path / "facture.pdf").write_bytes(samples.pdf(2))
    # A photo named as a PDF: only the server, which reads the content, can refuse it.
    (tmp_path / "photo-renommee.pdf").write_bytes(samples.image("JPEG"))
    desk.locator("input[name=uploads]").set_input_files(
        [
            str(tmp_path / n)
            for n in ("contrat.docx", "scan-lourd.pdf", "facture.pdf", "photo-renommee.pdf")
        ]
    )
    wrong_type = (
        "Non accepté : envoyez un PDF, une photo (JPEG, PNG, TIFF, HEIC) ou une facture "
        "électronique XML."
    )
    too_large = "Trop volumineux : 1 Mo au maximum par fichier."
    refused = desk.locator(".upload-item.upload-error")
    assert refused.count() == 2
    assert wrong_type in refused.filter(has_text="contrat.docx").inner_text()
    assert too_large in refused.filter(has_text="scan-lourd.pdf").inner_text()
    assert desk.locator(".upload-item").count() == 4

    desk.get_by_role("button", name="Ajouter et envoyer").click()
    desk.wait_for_function(
        "() => document.querySelectorAll('.upload-ok, .upload-error').length === 4"
        " && document.querySelector('[data-upload-summary]').textContent !== ''",
        timeout=60_000,
    )
    mismatch = desk.locator(".upload-error", has_text="photo-renommee.pdf").locator(".upload-state")
    server_reason = mismatch.inner_text()
    assert server_reason.startswith("Le contenu du fichier ne correspond pas à son nom")
    summary = desk.locator("[data-upload-summary]")
    assert summary.inner_text() == (
        f"1 envoyé au comptable · 3 refusés : {wrong_type} {too_large} {server_reason}"
    )
    # Only the two files the browser let through reached the server; one was kept.
    assert len(desk.uploads) == 2
    sent = new_documents(boulangerie, before)
    assert list(sent.values_list("filename", "status")) == [("facture.pdf", "sent")]


def test_the_strip_holds_as_many_pages_as_one_document_may_and_sends_nothing_beyond(
    desk, boulangerie: Dossier, tmp_path: Path, settings
) -> None:
    settings.CONNECT_MAX_FILES_PER_REQUEST = 3
    desk.reload()
    before = set(Document.objects.filter(dossier=boulangerie).values_list("pk", flat=True))
    camera = desk.locator("input[name=photos]")
    add_page = desk.get_by_role("button", name="Ajouter une page")
    note = desk.locator("#strip-limit")
    for name in "AB":
        camera.set_input_files(shot(tmp_path, name))
    assert add_page.is_enabled()
    assert note.inner_text() == ""

    # The third page is the last one: "Add a page" is off and says why.
    camera.set_input_files(shot(tmp_path, "C"))
    assert add_page.is_disabled()
    assert note.inner_text() == (
        "3 pages, c'est le maximum pour un document : envoyez-les, puis photographiez la suite."
    )

    # A fourth page from the Photo button: the strip says it is too many, and nothing leaves.
    camera.set_input_files(shot(tmp_path, "D"))
    too_many = (
        "Trop de pages : un document compte au plus 3 pages. Retirez des pages avant d'envoyer."
    )
    assert note.inner_text() == too_many
    desk.get_by_role("button", name="Ajouter et envoyer").click()
    assert desk.locator("[data-upload-summary]").inner_text() == too_many
    assert desk.locator(".strip-page").count() == 4
    assert desk.uploads == []
    assert not new_documents(boulangerie, before).exists()

    # One page fewer, and the three leave as one document.
    desk.get_by_role("button", name="Supprimer · Page 2", exact=True).click()
    assert add_page.is_disabled()
    desk.get_by_role("button", name="Ajouter et envoyer").click()
    desk.wait_for_function(
        "() => document.querySelectorAll('.upload-ok').length === 1", timeout=60_000
    )
    assert desk.locator("[data-upload-summary]").inner_text() == "1 envoyé au comptable"
    document = new_documents(boulangerie, before).get()
    assert (document.page_count, document.status) == (3, "sent")
    assert add_page.is_hidden()  # the strip is empty again


def test_photos_larger_together_than_one_document_may_be_are_not_sent(
    desk, boulangerie: Dossier, tmp_path: Path, settings
) -> None:
    settings.CONNECT_MAX_UPLOAD_SIZE = MB
    desk.reload()
    # Transport: the noise photos are not read (OCR of noise takes seconds per page for nothing).
    Dossier.objects.filter(pk=boulangerie.pk).update(default_processing_mode="transport")
    before = set(Document.objects.filter(dossier=boulangerie).values_list("pk", flat=True))
    camera = desk.locator("input[name=photos]")
    shots = [noise(tmp_path, f"ticket-{n}") for n in range(3)]
    sizes = [Path(s).stat().st_size for s in shots]
    assert all(size < MB for size in sizes) and sum(sizes) > MB > sum(sizes[:2])
    for path in shots:
        camera.set_input_files(path)
    too_large = (
        "Ensemble, ces pages dépassent 1 Mo, le maximum pour un document. Retirez des pages "
        "avant d'envoyer, ou envoyez-les en deux documents."
    )
    assert desk.locator("#strip-limit").inner_text() == too_large
    desk.get_by_role("button", name="Ajouter et envoyer").click()
    assert desk.locator("[data-upload-summary]").inner_text() == too_large
    assert desk.uploads == []

    desk.get_by_role("button", name="Supprimer · Page 3", exact=True).click()
    assert desk.locator("#strip-limit").inner_text() == ""
    desk.get_by_role("button", name="Ajouter et envoyer").click()
    desk.wait_for_function(
        "() => document.querySelectorAll('.upload-ok').length === 1", timeout=60_000
    )
    document = new_documents(boulangerie, before).get()
    assert (document.filename, document.page_count, document.status) == (
        "ticket-0.pdf",
        2,
        "sent",
    )
