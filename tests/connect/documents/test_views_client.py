"""The client's Connect through HTTP: upload, the desk, sending, a document's page, binders."""

import json
import re
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from connect.models import Binder, Document
from dossiers.models import Dossier
from tests.connect import samples
from users.models import User


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def section_url(dossier: Dossier, section: str = "invoices", tab: str = "desk") -> str:
    return reverse("connect:section", args=[dossier.public_id, section]) + f"?tab={tab}"


def upload(client, dossier: Dossier, *files, json: bool = True, **data):
    headers = {"HTTP_ACCEPT": "application/json"} if json else {}
    payload = {"category": "purchase_invoice", "uploads": list(files), **data}
    return client.post(reverse("connect:upload", args=[dossier.public_id]), payload, **headers)


def pdf_file(name: str = "facture.pdf", pages: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, samples.pdf(pages), content_type="application/pdf")


def test_a_client_uploads_several_files_and_they_reach_the_accountant(
    client_user: User,
    dossier: Dossier,
    auth_client,
    django_capture_on_commit_callbacks,
) -> None:
    """Uploading is sending: no second step, a result per file."""
    client = auth_client(client_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(
            client,
            dossier,
            pdf_file("a.pdf", 1),
            pdf_file("b.pdf", 2),
            SimpleUploadedFile("x.exe", samples.EXECUTABLE),
            keyword="Telenet",
        )
    assert response.status_code == HTTPStatus.OK
    results = response.json()["results"]
    assert [(r["name"], r["ok"], r.get("sent")) for r in results] == [
        ("a.pdf", True, True),
        ("b.pdf", True, True),
        ("x.exe", False, None),
    ]
    assert "pas accepté" in results[2]["message"]
    assert results[0]["message"] == "Reçu et envoyé au comptable."
    documents = Document.objects.filter(dossier=dossier).order_by("filename")
    assert [(d.filename, d.keyword, d.status) for d in documents] == [
        ("a.pdf", "Telenet", "sent"),
        ("b.pdf", "Telenet", "sent"),
    ]
    sent = client.get(section_url(dossier, tab="sent")).content.decode()
    assert "a.pdf" in sent and "b.pdf" in sent


def test_kept_on_the_desk_when_the_client_says_so_and_the_banner_offers_to_send(
    client_user: User, dossier: Dossier, auth_client
) -> None:
    client = auth_client(client_user)
    answer = upload(client, dossier, pdf_file("a.pdf"), pdf_file("b.pdf", 2), keep="on").json()
    assert [(r["sent"], r["message"]) for r in answer["results"]] == [
        (False, "Reçu, gardé sur votre bureau."),
    ] * 2
    assert set(Document.objects.values_list("status", flat=True)) == {"draft"}
    desk = client.get(section_url(dossier)).content.decode()
    assert "2 factures sur votre bureau ne sont pas encore envoyées au comptable." in desk
    response = client.post(
        reverse("connect:send_desk", args=[dossier.public_id]), {"section": "invoices"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert set(Document.objects.values_list("status", flat=True)) == {"sent"}
    desk = client.get(section_url(dossier)).content.decode()
    assert "pas encore envoyée" not in desk


def test_an_amount_or_due_date_is_not_stamped_on_several_files(
    client_user: User, dossier: Dossier, auth_client
) -> None:
    """Without the page's script the facts block is shared: an amount for several files is
    refused (each file gets its own on the page), and nothing is written."""
    response = upload(
        auth_client(client_user),
        dossier,
        pdf_file("a.pdf", 1),
        pdf_file("b.pdf", 2),
        amount="1234.56",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "appartient à un seul document" in response.json()["error"]
    assert not Document.objects.exists()


def test_each_file_keeps_its_own_facts(client_user: User, dossier: Dossier, auth_client) -> None:
    """The page sends one request per file with that file's facts."""
    client = auth_client(client_user)
    upload(client, dossier, pdf_file("a.pdf", 1), amount="12.50", due_date="2026-12-31")
    upload(client, dossier, pdf_file("b.pdf", 2), amount="99.00", category="expense")
    facts = {
        d.filename: (str(d.amount), str(d.due_date), d.category) for d in Document.objects.all()
    }
    assert facts == {
        "a.pdf": ("12.50", "2026-12-31", "purchase_invoice"),
        "b.pdf": ("99.00", "None", "expense"),
    }


def test_a_required_fact_keeps_the_upload_on_the_desk_with_the_reason(
    client_user: User, dossier: Dossier, auth_client
) -> None:
    from connect.models import ConnectProfile

    ConnectProfile.objects.update_or_create(dossier=dossier, defaults={"require_due_date": True})
    answer = upload(auth_client(client_user), dossier, pdf_file("a.pdf")).json()
    result = answer["results"][0]
    assert result["ok"] and not result["sent"]
    assert result["message"].startswith("Reçu, gardé sur votre bureau : a.pdf ")
    assert Document.objects.get().status == "draft"


def test_the_same_file_twice_is_reported_and_linked(
    client_user: User, dossier: Dossier, auth_client
) -> None:
    client = auth_client(client_user)
    upload(client, dossier, pdf_file("a.pdf"))
    again = upload(client, dossier, pdf_file("copy.pdf")).json()["results"][0]
    assert again["ok"] and again["duplicate"]
    first = Document.objects.get()
    assert again["url"] == reverse("connect:document", args=[first.public_id])


def test_without_javascript_the_form_posts_and_messages_tell_the_result(
    client_user: User, dossier: Dossier, auth_client
) -> None:
    client = auth_client(client_user)
    response = upload(client, dossier, pdf_file("a.pdf"), json=False)
    assert response.status_code == HTTPStatus.FOUND
    page = client.get(response["Location"]).content.decode()
    assert "a.pdf: Reçu et envoyé au comptable." in page


def test_photos_are_combined_into_one_pdf(client_user: User, dossier: Dossier, auth_client) -> None:
    client = auth_client(client_user)
    photos = [
        SimpleUploadedFile(f"p{i}.jpg", samples.image("JPEG", (600 + i, 800))) for i in range(3)
    ]
    response = client.post(
        reverse("connect:upload", args=[dossier.public_id]),
        {"category": "purchase_invoice", "photos": photos, "combine": "on"},
        HTTP_ACCEPT="application/json",
    )
    assert response.json()["results"][0]["ok"]
    document = Document.objects.get()
    assert (document.filename, document.content_type, document.page_count) == (
        "p0.pdf",
        "application/pdf",
        3,
    )


def test_too_many_files_at_once_are_refused(
    client_user: User, dossier: Dossier, auth_client, settings
) -> None:
    settings.CONNECT_MAX_FILES_PER_REQUEST = 2
    response = upload(
        auth_client(client_user),
        dossier,
        pdf_file("a.pdf", 1),
        pdf_file("b.pdf", 2),
        pdf_file("c.pdf", 3),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "au maximum 2" in response.json()["error"]
    assert not Document.objects.exists()


def test_the_page_tells_its_script_the_limits_the_server_enforces(
    client_user: User, dossier: Dossier, auth_client, settings
) -> None:
    """The upload script refuses in the browser what the server would refuse after sending:
    a file over the size limit, and a photo strip of more pages than the files the server
    takes at once, or larger together than one document may be."""
    settings.CONNECT_MAX_FILES_PER_REQUEST = 4
    settings.CONNECT_MAX_UPLOAD_SIZE = 3 * 1024 * 1024
    html = auth_client(client_user).get(section_url(dossier)).content.decode()
    found = re.search(r'<script id="upload-words" type="application/json">(.*?)</script>', html)
    assert found
    words = json.loads(found.group(1))
    assert (words["maxPages"], words["maxBytes"]) == (4, 3 * 1024 * 1024)
    assert words["tooManyPages"]["other"] == (
        "Trop de pages : un document compte au plus %(count)s pages. Retirez des pages avant "
        "d'envoyer."
    )
    assert words["pagesTooLarge"].startswith("Ensemble, ces pages dépassent 3 Mo")
    assert words["refusedBecause"] == "%(counts)s : %(reasons)s"


def test_sending_moves_documents_from_the_desk(
    client_user: User, dossier: Dossier, auth_client
) -> None:
    client = auth_client(client_user)
    upload(client, dossier, pdf_file("a.pdf", 1), pdf_file("b.pdf", 2), keep="on")
    a, b = Document.objects.order_by("filename")
    response = client.post(
        reverse("connect:send", args=[dossier.public_id]),
        {"documents": [str(a.public_id), "not-a-uuid"]},
    )
    assert response.status_code == HTTPStatus.FOUND
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == ("sent", "draft")
    assert a.sent_at is not None
    sent = client.get(section_url(dossier, tab="sent")).context["page"].object_list
    assert [d.filename for d in sent] == ["a.pdf"]


def test_upload_and_send_at_once(client_user: User, dossier: Dossier, auth_client) -> None:
    upload(auth_client(client_user), dossier, pdf_file("a.pdf"))
    assert Document.objects.get().status == "sent"


def test_a_document_is_edited_while_on_the_desk_only(
    client_user: User, dossier: Dossier, auth_client
) -> None:
    client = auth_client(client_user)
    upload(client, dossier, pdf_file("a.pdf"), keep="on")
    document = Document.objects.get()
    url = reverse("connect:document", args=[document.public_id])
    own = Binder.objects.create(dossier=dossier, name="Voitures")
    response = client.post(
        url,
        {
            "filename": "Facture garage",
            "category": "expense",
            "keyword": "Pneus",
            "due_date": "2027-01-15",
            "amount": "350.50",
            "paid": "on",
            "comment": "Hiver",
            "binder": str(own.public_id),
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    document.refresh_from_db()
    assert (
        document.filename,
        document.category,
        str(document.amount),
        document.paid,
        document.binder,
    ) == ("Facture garage.pdf", "expense", "350.50", True, own)
    document.status = "sent"
    document.save()
    assert client.post(url, {"filename": "x", "category": "other"}).status_code == 404
    document.refresh_from_db()
    assert document.filename == "Facture garage.pdf"


def test_a_locked_binder_cannot_be_chosen_by_the_client(
    client_user: User, dossier: Dossier, auth_client
) -> None:
    client = auth_client(client_user)
    client.get(section_url(dossier, "documents"))  # creates the built-in binders
    locked = Binder.objects.get(dossier=dossier, builtin="bank_statements")
    upload(client, dossier, pdf_file("a.pdf"), keep="on")
    document = Document.objects.get()
    response = client.post(
        reverse("connect:document", args=[document.public_id]),
        {"filename": "a", "category": "other", "binder": str(locked.public_id)},
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    document.refresh_from_db()
    assert document.binder is None


def test_binders_built_in_and_own(client_user: User, dossier: Dossier, auth_client) -> None:
    client = auth_client(client_user)
    page = client.get(section_url(dossier, "documents")).content.decode()
    for name in (
        "Paiements",
        "Extraits de compte",
        "Rapports et opérations diverses",
        "Fiches de paie",
    ):
        assert name in page
    url = reverse("connect:binder_create", args=[dossier.public_id])
    client.post(url, {"name": "Assurances"})
    client.post(url, {"name": "Assurances"})  # a second one with the same name is refused
    assert Binder.objects.filter(dossier=dossier, name="Assurances").count() == 1


def test_download_is_an_attachment_with_a_safe_name(
    client_user: User, dossier: Dossier, auth_client
) -> None:
    client = auth_client(client_user)
    upload(client, dossier, SimpleUploadedFile("../../evil\u202efdp.pdf", samples.pdf()))
    document = Document.objects.get()
    response = client.get(reverse("connect:download", args=[document.public_id]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert "evilfdp.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Content-SHA256"] == document.sha256
    assert b"".join(response.streaming_content) == samples.pdf()


@pytest.mark.parametrize("rows", [2, 60])
def test_the_desk_query_count_does_not_grow(
    client_user: User, dossier: Dossier, auth_client, django_assert_max_num_queries, rows: int
) -> None:
    for i in range(rows):
        Document.objects.create(
            firm=dossier.firm,
            dossier=dossier,
            filename=f"{i}.pdf",
            storage_name=f"x/{i}.pdf",
            content_type="application/pdf",
            size=10,
            sha256=f"{i:064d}",
            source="web",
        )
    client = auth_client(client_user)
    client.get(section_url(dossier))
    with django_assert_max_num_queries(8):
        response = client.get(section_url(dossier))
    assert len(response.context["page"].object_list) == min(rows, 50)


def test_sub_folders_of_the_clients_own_binders(
    client_user: User, dossier: Dossier, auth_client
) -> None:
    client = auth_client(client_user)
    client.get(section_url(dossier, "documents"))  # the built-in binders exist from here
    url = reverse("connect:binder_create", args=[dossier.public_id])
    client.post(url, {"name": "Assurances"})
    insurance = Binder.objects.get(dossier=dossier, name="Assurances")
    client.post(url, {"name": "Voiture", "parent": str(insurance.public_id)})
    car = Binder.objects.get(dossier=dossier, name="Voiture")
    assert (car.parent, car.path) == (insurance, "Assurances / Voiture")
    client.post(url, {"name": "Trop loin", "parent": str(car.public_id)})  # one level only
    assert not Binder.objects.filter(name="Trop loin").exists()
    locked = Binder.objects.get(dossier=dossier, builtin="payslips")
    client.post(url, {"name": "Intrus", "parent": str(locked.public_id)})  # not in a locked one
    assert not Binder.objects.filter(name="Intrus").exists()
    upload(client, dossier, pdf_file("police.pdf"), keep="on")
    document = Document.objects.get()
    client.post(
        reverse("connect:document", args=[document.public_id]),
        {"filename": "police", "category": "other", "binder": str(car.public_id)},
    )
    listed = client.get(
        reverse("connect:section", args=[dossier.public_id, "documents"])
        + f"?tab=desk&binder={car.public_id}"
    )
    assert [d.filename for d in listed.context["page"].object_list] == ["police.pdf"]
    assert "Assurances / Voiture" in listed.content.decode()


def test_behind_the_proxy_stored_files_are_sent_by_x_accel_redirect(
    client_user: User, dossier: Dossier, auth_client, settings
) -> None:
    """With CONNECT_X_ACCEL_REDIRECT and files on the local filesystem, the download, a page
    image and the thumbnail answer headers only, naming the file under the internal prefix;
    without it, Django streams the same file with the same headers."""
    import hashlib
    from pathlib import Path
    from urllib.parse import unquote

    from connect.documents.services.processing import document_process

    client = auth_client(client_user)
    upload(client, dossier, SimpleUploadedFile("facture mars.pdf", samples.pdf(2)))
    document = Document.objects.get()
    document_process(document_id=document.pk)
    document.refresh_from_db()
    assert document.thumbnail_name
    urls = {
        "download": reverse("connect:download", args=[document.public_id]),
        "page": reverse("connect:page", args=[document.public_id, 1]),
        "thumbnail": reverse("connect:thumbnail", args=[document.public_id]),
    }
    compared = ("Content-Type", "Content-Disposition", "Cache-Control", "X-Content-SHA256")
    streamed = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, name
        assert "X-Accel-Redirect" not in response, name
        body = b"".join(response.streaming_content)
        assert body, name
        streamed[name] = (hashlib.sha256(body).hexdigest(), response)

    settings.CONNECT_X_ACCEL_REDIRECT = "/_protected/"
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, name
        assert response.content == b"", name
        internal = response["X-Accel-Redirect"]
        assert internal.startswith("/_protected/"), name
        # The internal path names the very file the streamed answer sent.
        on_disk = Path(settings.MEDIA_ROOT) / unquote(internal.removeprefix("/_protected/"))
        digest, plain = streamed[name]
        assert hashlib.sha256(on_disk.read_bytes()).hexdigest() == digest, name
        for header in compared:
            if header == "Content-Disposition" and name != "download":
                continue  # inline images: FileResponse names the file, the proxy does not
            assert response.get(header) == plain.get(header), (name, header)
    assert document.sha256 == streamed["download"][0]
