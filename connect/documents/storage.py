"""A document's stored bytes, read back for the tools that need a file on disk (pdftoppm,
Tesseract, pypdf): the storage may be S3, so they work on a local copy in a temporary
directory the caller owns. Below the services and the pages, importing neither."""

import shutil
from pathlib import Path

from django.core.files.storage import default_storage

from connect.models import Document


def local_copy(document: Document, directory: Path) -> Path:
    """The stored bytes in a local file in ``directory``, copied 1 MB at a time."""
    target = directory / f"source{Path(document.storage_name).suffix}"
    with default_storage.open(document.storage_name, "rb") as source, target.open("wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)
    return target
