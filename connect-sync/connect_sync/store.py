"""The local folder: safe, deterministic file names, and files written atomically (part file,
fsync, rename, fsync of the directory) so that a crash leaves no half file under a final name."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from connect_sync.api import CHUNK, Document

MAX_NAME = 120  # characters of a final file name
MAX_NAME_BYTES = 200  # and bytes (UTF-8): room left for ".json" and ".part-…" under 255

_WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])$", re.IGNORECASE)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_SAFE_EXT = re.compile(r"^\.[A-Za-z0-9]{1,10}$")
_PART = re.compile(r"^\..+\.part-[A-Za-z0-9_]+$")
_EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe"),
    "image/png": (".png",),
    "image/tiff": (".tif", ".tiff"),
    "image/heic": (".heic",),
    "image/heif": (".heif", ".heic"),
    "image/webp": (".webp",),
    "image/gif": (".gif",),
    "application/xml": (".xml",),
    "text/xml": (".xml",),
}


def sanitise(text: str, *, fallback: str = "document") -> str:
    """A name that is safe as one path component on Windows, macOS and Linux: no separators, no
    control or invisible formatting characters (right-to-left override...), no characters or
    names Windows reserves, no leading dot, no trailing dot or space."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))
    text = "".join(
        "_" if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") else char
        for char in text
    )
    text = _WINDOWS_FORBIDDEN.sub("_", text)
    text = re.sub(r"_{2,}", "_", text).strip(" ._")
    if not text:
        return fallback
    if _WINDOWS_RESERVED.match(text.split(".", 1)[0].rstrip(" ")):
        text = f"_{text}"
    return text


def _split_name(filename: str) -> tuple[str, str]:
    """Stem and extension of the last path component of ``filename`` (``/`` or ``\\``)."""
    base = re.split(r"[\\/]", filename)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem.strip(" ."):
        return base, ""
    return stem, f".{ext}"


def _extension(filename_ext: str, content_type: str) -> str:
    ext = filename_ext.lower() if _SAFE_EXT.match(filename_ext) else ""
    expected = _EXTENSIONS.get(content_type.split(";", 1)[0].strip().lower())
    if expected and ext not in expected:
        return expected[0]  # the content decides (a photo delivered as PDF ends in .pdf)
    return ext


def _upload_date(uploaded_at: str) -> str:
    try:
        when = datetime.fromisoformat(uploaded_at.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        match = re.match(r"\d{4}-\d{2}-\d{2}", uploaded_at or "")
        return match.group(0) if match else "undated"
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.date().isoformat()


def final_name(document: Document) -> str:
    """``<upload date>_<sanitised stem>_<first 8 characters of the id><ext>``, at most 120
    characters (and 200 bytes in UTF-8)."""
    stem, ext = _split_name(str(document.get("filename") or ""))
    ext = _extension(ext, str(document.get("content_type") or ""))
    prefix = f"{_upload_date(str(document.get('uploaded_at') or ''))}_"
    suffix = f"_{sanitise(str(document['id']), fallback='x')[:8]}{ext}"
    stem = sanitise(stem)
    while stem and (
        len(prefix + stem + suffix) > MAX_NAME
        or len((prefix + stem + suffix).encode("utf-8")) > MAX_NAME_BYTES
    ):
        stem = stem[:-1]
    stem = stem.rstrip(" .") or "document"
    return prefix + stem + suffix


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # Windows cannot open a directory; NTFS journals the rename itself
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class PartFile:
    """``.<name>.part-<random>`` beside the final name: write, then ``commit()`` (fsync, rename,
    fsync the directory) or ``discard()``. A context manager that discards on any exit that
    did not commit."""

    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.name = name
        fd, path = tempfile.mkstemp(prefix=f".{name}.part-", dir=directory)
        self.path = Path(path)
        self.file = os.fdopen(fd, "wb")
        self.committed = False

    def restart(self) -> None:
        self.file.seek(0)
        self.file.truncate()

    def commit(self) -> Path:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        self.path.chmod(_file_mode())
        target = self.directory / self.name
        self.path.replace(target)  # atomic, also over an existing file
        self.committed = True
        _fsync_directory(self.directory)
        return target

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> PartFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.committed:
            self.discard()


def write_atomically(directory: Path, name: str, data: bytes) -> Path:
    with PartFile(directory, name) as part:
        part.file.write(data)
        return part.commit()


def remove_part_files(directory: Path) -> int:
    """Remove the part files a killed run left in ``directory``; how many."""
    removed = 0
    if directory.is_dir():
        for entry in directory.iterdir():
            if _PART.match(entry.name) and entry.is_file():
                entry.unlink(missing_ok=True)
                removed += 1
    return removed


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def metadata_bytes(document: Document) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
