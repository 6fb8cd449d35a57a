"""Documents as one zip, streamed: each stored file is opened only when the zip reaches it.
Used by the inbox's bulk download and by the API's dossier zip (connect.api.dossiers)."""

from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from django.core.files.storage import default_storage
from django.http import StreamingHttpResponse
from zipstream import ZipStream

from connect.documents.downloads import DOWNLOAD_BLOCK
from connect.documents.files import safe_filename
from connect.models import Document


def _stored_bytes(storage_name: str) -> Iterator[bytes]:
    """Opened only when the zip reaches this file: one file open at a time."""
    with default_storage.open(storage_name, "rb") as handle:
        while chunk := handle.read(DOWNLOAD_BLOCK):
            yield chunk


def zip_name(document: Document) -> str:
    name = PurePosixPath(safe_filename(document.filename))
    return f"{name.stem[:80]}_{document.public_id.hex[:8]}{name.suffix}"


def zip_response(
    documents: list[Document], filename: str, extra: Iterable[tuple[bytes, str]] = ()
) -> StreamingHttpResponse:
    """The documents' files in one zip, streamed (each file read when the zip reaches it), and
    ``extra`` files (bytes, name) after them. The caller records the reads."""
    stream = ZipStream(sized=True)
    for document in documents:
        stream.add(_stored_bytes(document.storage_name), zip_name(document), size=document.size)
    for data, name in extra:
        stream.add(data, name)
    response = StreamingHttpResponse(stream, content_type="application/zip")
    response["Content-Length"] = str(len(stream))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
