"""The receive service: every channel's files go through it (QUALITY.md, hostile input)."""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import translation

from connect.documents.files import safe_filename
from connect.documents.services import document_receive
from connect.models import Document
from core.errors import ServiceError
from dossiers.models import Dossier
from tests.connect import samples
from users.models import User


def receive(dossier: Dossier, actor: User | None, name: str, data: bytes, **facts):
    return document_receive(
        dossier=dossier, actor=actor, filename=name, chunks=[data], source="web", **facts
    )


def stored_files() -> list[str]:
    root = Path(default_storage.location) / "documents"
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")  # Django resets its storages on change


@pytest.mark.parametrize(
    ("name", "data", "content_type", "pages"),
    [
        ("facture.pdf", samples.pdf(3), "application/pdf", 3),
        ("photo.jpg", samples.image("JPEG"), "image/jpeg", 1),
        ("scan.PNG", samples.image("PNG"), "image/png", 1),
        ("scan.tiff", samples.image("TIFF"), "image/tiff", 1),
        ("peppol.xml", samples.ubl(), "application/xml", None),
        (
            "note-de-credit.xml",
            samples.ubl("base-creditnote-correction.xml"),
            "application/xml",
            None,
        ),
    ],
)
def test_accepted_files_are_stored_under_a_generated_name(
    dossier: Dossier,
    client_user: User,
    name: str,
    data: bytes,
    content_type: str,
    pages: int | None,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        result = receive(dossier, client_user, name, data, keyword="Proximus")
    document = result.document
    assert not result.duplicate
    assert (document.filename, document.content_type, document.size) == (
        name,
        content_type,
        len(data),
    )
    assert document.is_ubl == name.endswith(".xml")
    assert document.page_count == pages
    assert document.status == "draft" and document.keyword == "Proximus"
    assert name not in document.storage_name
    assert document.storage_name.startswith(f"documents/{dossier.firm.public_id}/")
    with default_storage.open(document.storage_name, "rb") as handle:
        assert handle.read() == data
    import hashlib

    assert document.sha256 == hashlib.sha256(data).hexdigest()


def test_the_same_bytes_are_kept_once_and_the_earlier_document_is_given_back(
    dossier: Dossier,
    client_user: User,
    other_dossier: Dossier,
    other_staff: User,
) -> None:
    data = samples.pdf(2)
    first = receive(dossier, client_user, "a.pdf", data)
    again = receive(dossier, client_user, "b.pdf", data)
    assert again.duplicate and again.document.pk == first.document.pk
    assert Document.objects.filter(dossier=dossier).count() == 1
    assert len(stored_files()) == 1
    # Another dossier may hold the same bytes.
    other_dossier.connect_enabled = True
    other_dossier.save()
    assert not receive(other_dossier, None, "a.pdf", data).duplicate


HOSTILE = [
    ("invoice.pdf", samples.HTML, "type_refused"),
    ("invoice.pdf", samples.EXECUTABLE, "type_refused"),
    ("setup.exe", samples.EXECUTABLE, "type_refused"),
    ("archive.pdf", samples.ZIP, "type_refused"),
    ("facture.exe", samples.pdf(), "type_mismatch"),
    ("facture.pdf.exe", samples.pdf(), "type_mismatch"),
    ("photo.pdf", samples.image("JPEG"), "type_mismatch"),
    ("locked.pdf", samples.encrypted_pdf(), "pdf_encrypted"),
    ("truncated.pdf", samples.pdf(2)[:-200], "pdf_broken"),
    ("corrupt.pdf", b"%PDF-1.7\n" + b"garbage " * 200 + b"\n%%EOF\n", "pdf_broken"),
    ("script.pdf", samples.javascript_pdf(), "pdf_active_content"),
    ("bomb.png", samples.pixel_bomb(), "image_too_large"),
    ("broken.jpg", samples.image("JPEG")[:300], "image_broken"),
    ("empty.pdf", b"", "empty"),
    ("xxe.xml", samples.XXE, "xml_forbidden"),
    ("laughs.xml", samples.BILLION_LAUGHS, "xml_forbidden"),
    ("order.xml", samples.NOT_UBL, "xml_not_einvoice"),
    ("incomplete.xml", samples.UBL_INCOMPLETE, "ubl_incomplete"),
]


@pytest.mark.parametrize(
    ("name", "data", "code"), HOSTILE, ids=[f"{n}-{c}" for n, _d, c in HOSTILE]
)
def test_hostile_files_are_refused_with_a_reason_and_leave_nothing(
    dossier: Dossier,
    client_user: User,
    name: str,
    data: bytes,
    code: str,
) -> None:
    with translation.override("nl"), pytest.raises(ServiceError) as excinfo:
        receive(dossier, client_user, name, data)
    assert excinfo.value.code == code
    assert str(excinfo.value.message)  # a reason for the user
    assert not Document.objects.exists()
    assert stored_files() == []


def test_one_byte_over_the_limit_is_refused(settings, dossier: Dossier, client_user: User) -> None:
    data = samples.pdf()
    settings.CONNECT_MAX_UPLOAD_SIZE = len(data) - 1
    with pytest.raises(ServiceError) as excinfo:
        receive(dossier, client_user, "big.pdf", data)
    assert excinfo.value.code == "too_large"
    settings.CONNECT_MAX_UPLOAD_SIZE = len(data)
    assert receive(dossier, client_user, "exact.pdf", data).document.size == len(data)


def test_a_storage_failure_leaves_no_row_and_no_file(
    settings, dossier: Dossier, client_user: User, tmp_path
) -> None:
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o500)
    settings.MEDIA_ROOT = str(readonly)
    try:
        import os

        if os.geteuid() == 0:  # root writes anywhere: use a path under a file instead
            blocker = tmp_path / "file"
            blocker.write_text("x")
            settings.MEDIA_ROOT = str(blocker / "media")
        with pytest.raises(ServiceError) as excinfo:
            receive(dossier, client_user, "a.pdf", samples.pdf())
        assert excinfo.value.code == "storage_failed"
        assert not Document.objects.exists()
    finally:
        readonly.chmod(0o700)


def test_a_failure_after_storing_removes_the_file(
    dossier: Dossier, client_user: User, monkeypatch, settings, tmp_path
) -> None:
    def explode(*args, **kwargs):
        raise RuntimeError("database gone")

    incoming = tmp_path / "incoming"  # the media's disk: the file is renamed into place
    incoming.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(incoming)
    monkeypatch.setattr(Document.objects, "create", explode)
    with pytest.raises(RuntimeError):
        receive(dossier, client_user, "a.pdf", samples.pdf())
    assert stored_files() == []
    assert list(incoming.iterdir()) == []


def test_only_connect_users_of_the_dossier_may_send(
    dossier: Dossier, other_staff: User, licence_admin: User
) -> None:
    for actor in (other_staff, licence_admin):  # staff without a Connect role on it
        with pytest.raises(ServiceError) as excinfo:
            receive(dossier, actor, "a.pdf", samples.pdf())
        assert excinfo.value.code == "forbidden"
    dossier.connect_enabled = False
    dossier.save()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("fac\x00ture.pdf", "facture.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("CON.pdf", "_CON.pdf"),
        ("nul", "_nul"),
        ("  .hidden. ", "hidden"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
        ("", "document"),
        ('quo"te<>|?*.pdf', "quo_te_____.pdf"),
        ("Facture été.pdf", "Facture été.pdf"),
    ],
)
def test_file_names_are_sanitised(raw: str, expected: str) -> None:
    assert safe_filename(raw) == expected


def test_script_words_inside_stream_data_are_not_mistaken_for_scripts(
    dossier: Dossier, client_user: User
) -> None:
    """Compressed image data may hold any bytes, "/JS" included: only dictionaries count."""
    data = samples.pdf_with_binary_stream(b"\x00\x9f/JS /JavaScript /OpenAction\xff" * 100)
    assert receive(dossier, client_user, "scan.pdf", data).document.page_count == 1


def test_a_spooled_file_on_the_medias_disk_is_moved_into_place_not_written_again(
    settings, tmp_path
) -> None:
    from connect.documents.files import SpooledFile, spool

    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "media").mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)  # the same disk as MEDIA_ROOT
    data = samples.pdf(2)
    spooled = spool([data], max_size=10 * 1024 * 1024)
    inode = spooled.path.stat().st_ino
    with spooled.as_file() as content:
        assert isinstance(content, SpooledFile)
        stored = default_storage.save("documents/moved.pdf", content)
    target = Path(default_storage.path(stored))
    assert target.stat().st_ino == inode  # the same file, renamed
    assert not spooled.path.exists()
    assert target.read_bytes() == data
    assert target.stat().st_mode & 0o777 == 0o644  # readable by the proxy, as a copy was
    spooled.remove()  # nothing left to remove: no error


def test_a_received_file_leaves_no_temporary_file_behind(
    dossier: Dossier, client_user: User, settings, tmp_path, django_capture_on_commit_callbacks
) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(incoming)
    data = samples.pdf(1)
    with django_capture_on_commit_callbacks(execute=True):
        result = receive(dossier, client_user, "facture.pdf", data)
    assert default_storage.open(result.document.storage_name).read() == data
    assert list(incoming.iterdir()) == []
    with pytest.raises(ServiceError):  # refused: nothing stored, nothing left either
        receive(dossier, client_user, "facture.pdf", b"not a pdf")
    assert list(incoming.iterdir()) == []


def test_a_spooled_file_on_another_disk_is_copied_by_a_checked_write(settings, tmp_path) -> None:
    from connect.documents.files import SpooledFile, spool

    shm = Path("/dev/shm")  # noqa: S108 - a tmpfs: not the media's disk
    if shm.stat().st_dev == Path(default_storage.location).parent.stat().st_dev:
        pytest.skip("here the shared memory is on the media's disk")
    settings.FILE_UPLOAD_TEMP_DIR = str(shm)
    data = samples.pdf(1)
    spooled = spool([data], max_size=10 * 1024 * 1024)
    try:
        with spooled.as_file() as content:
            assert not isinstance(content, SpooledFile)  # no cross-disk "move"
            stored = default_storage.save("documents/copied.pdf", content)
        assert default_storage.open(stored).read() == data
    finally:
        spooled.remove()
