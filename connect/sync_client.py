"""connect-sync: the reference desktop client of the retrieval API, version 1 (DESIGN.md §4).

It downloads the documents a firm's clients sent ("new" for retrieval) into one folder per
dossier, verifies each file's SHA-256, writes the document's metadata beside it and only then
acknowledges it, so that a crash at any point neither loses nor duplicates a document:

- a file is written to ``.<name>.part-<random>``, hashed while it streams, fsynced, renamed to
  its final name (deterministic: upload date, sanitised name, the start of the document's id)
  and the directory is fsynced; the metadata ``<name>.json`` is written the same way;
- what was not acknowledged is offered again by the server; if its final file is already there
  with the right hash, it is not downloaded again, only acknowledged;
- part files left by a killed run are removed when the next run starts.

Standard library only: it runs on an accountant's PC with a bare Python (3.11 or later).

    connect-sync --url https://portal.example.be --to D:\\Connect [--dossier BOULANGERIE]

The token is read from ``--token`` or, better (it then stays out of the process list), from the
environment variable ``CONNECT_SYNC_TOKEN``.

Exit codes: 0 all done; 1 some documents failed or the server could not be reached; 2 usage
error or unknown dossier; 3 the token is not valid.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import http.client
import json
import os
import re
import sys
import tempfile
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

__version__ = "1.0.0"

API = "/api/v1"
CHUNK = 64 * 1024
MAX_NAME = 120  # characters of a final file name
MAX_NAME_BYTES = 200  # and bytes (UTF-8): room left for ".json" and ".part-…" under 255
MAX_RETRY_AFTER = 60.0
BAR = 24  # characters of the progress bar
CREDENTIAL_VARIABLE = "CONNECT_SYNC_TOKEN"
DIE_AFTER_ENV = "CONNECT_SYNC_DIE_AFTER"  # test hook, see _Sync.document
REFUSED_MESSAGE = "the token is not valid (revoked, or its user deactivated)"
#: What the user reads for the codes of a 401 (or a 403 that no retry can cure).
TOKEN_MESSAGES = {
    "token_expired": (
        "the token has expired: make a new one on the portal's API tokens page and run again "
        "with it"
    ),
    "token_revoked": (
        "the token has been revoked (by you, your firm, a password change or a log-out of "
        "the other sessions): make a new one on the portal's API tokens page"
    ),
    "token_read_only": (
        "the token may only read: connect-sync acknowledges what it downloads, so make a "
        "token that may also upload and acknowledge"
    ),
}

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_TOKEN = 0, 1, 2, 3

Document = dict[str, Any]
T = TypeVar("T")


# --- errors ------------------------------------------------------------------------------------


class SyncError(Exception):
    """Something the user reads: the message is meant for them."""


class AuthError(SyncError):
    """HTTP 401: the token does not open the API (any more); or it may not do the job."""


class ApiError(SyncError):
    """The server answered with an error (after retries, for 429 and 5xx)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{message} (HTTP {status}, {code})")
        self.status = status
        self.code = code


class NetworkError(SyncError):
    """The server could not be reached, or the connection broke, after the retries."""


class UnknownDossierError(SyncError):
    """--dossier names a dossier the token does not reach, or one not on Connect."""


# --- HTTP --------------------------------------------------------------------------------------


class Opener(Protocol):
    def open(
        self, fullurl: urllib.request.Request, data: None = None, timeout: float = ...
    ) -> Any: ...


class _NoTokenElsewhereRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never carry the token to another origin (urllib would)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(new.full_url) != _origin(req.full_url):
            for name in ("Authorization", "authorization"):
                new.headers.pop(name, None)
                new.unredirected_hdrs.pop(name, None)
        return new


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


# Network failures worth a retry. Local file errors (disk full...) are not among them.
_NETWORK_ERRORS = (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException)


class Client:
    """The retrieval API over HTTP(S): bearer token, JSON, retries.

    ``opener`` is anything with urllib's ``open(request, timeout=...)``; ``sleep`` is injectable
    so that tests do not wait. Every URL the server hands back (``next``, ``content_url``) is
    re-rooted on the origin the user gave, so the token never leaves for another host or scheme.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        opener: Opener | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 1.0,
        throttle_retries: int = 10,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.opener: Opener = opener or urllib.request.build_opener(_NoTokenElsewhereRedirect)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.throttle_retries = throttle_retries
        self.sleep = sleep

    # URLs

    def url(self, path_or_url: str) -> str:
        base = urlsplit(self.base_url)
        target = urlsplit(urljoin(self.base_url + "/", path_or_url))
        return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))

    # requests

    def _request(self, method: str, url: str) -> urllib.request.Request:
        return urllib.request.Request(  # noqa: S310 (the scheme is checked in main)
            self.url(url),
            data=b"" if method == "POST" else None,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/json",
                "User-Agent": f"connect-sync/{__version__}",
            },
        )

    def call(self, method: str, url: str, consume: Callable[[Any], T]) -> T:
        """Send the request and hand the open response to ``consume``; retry the whole exchange
        (``consume`` included: it must start over) on 429, 5xx and network failures."""
        failures = throttled = 0
        while True:
            try:
                with self.opener.open(self._request(method, url), timeout=self.timeout) as resp:
                    return consume(resp)
            except urllib.error.HTTPError as exc:
                error = _api_error(exc)
                if exc.code == HTTPStatus.UNAUTHORIZED:
                    raise AuthError(TOKEN_MESSAGES.get(error.code, REFUSED_MESSAGE)) from None
                if exc.code == HTTPStatus.FORBIDDEN and error.code == "token_read_only":
                    raise AuthError(TOKEN_MESSAGES[error.code]) from None
                if exc.code == HTTPStatus.TOO_MANY_REQUESTS and throttled < self.throttle_retries:
                    throttled += 1
                    self.sleep(_retry_after(exc.headers, self.backoff))
                    continue
                if exc.code >= HTTPStatus.INTERNAL_SERVER_ERROR and failures < self.retries:
                    self.sleep(self.backoff * 2**failures)
                    failures += 1
                    continue
                raise error from None
            except _NETWORK_ERRORS as exc:
                if failures < self.retries:
                    self.sleep(self.backoff * 2**failures)
                    failures += 1
                    continue
                reason = getattr(exc, "reason", None) or exc
                raise NetworkError(f"cannot reach {self.base_url}: {reason}") from None

    def get_json(self, url: str) -> Any:
        return self.call("GET", url, _read_json)

    def post_json(self, url: str) -> Any:
        return self.call("POST", url, _read_json)

    def paginate(self, url: str) -> Iterator[Document]:
        """Every item of a list, following ``next``."""
        seen: set[str] = set()
        next_url: str | None = url
        while next_url:
            if next_url in seen:
                raise ApiError(200, "pagination_loop", f"the server sent {next_url} twice")
            seen.add(next_url)
            page = self.get_json(next_url)
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise ApiError(200, "bad_response", f"{url} did not answer a list")
            yield from page["results"]
            next_url = page.get("next")

    # the API

    def dossiers(self) -> list[Document]:
        return list(self.paginate(f"{API}/dossiers"))

    def new_documents(self, dossier_id: str) -> list[Document]:
        return list(self.paginate(f"{API}/dossiers/{dossier_id}/documents?status=new"))

    def content_url(self, document: Document) -> str:
        return str(document.get("content_url") or f"{API}/documents/{document['id']}/content")

    def acknowledge(self, document: Document) -> Any:
        return self.post_json(f"{API}/documents/{document['id']}/retrieved")


def _read_json(resp: Any) -> Any:
    body = resp.read()
    try:
        return json.loads(body.decode("utf-8")) if body else None
    except ValueError:
        raise ApiError(resp.status, "bad_response", "the server did not answer JSON") from None


def _api_error(exc: urllib.error.HTTPError) -> ApiError:
    """The ``{"error": {"code", "message"}}`` body of an error answer, or what there is."""
    try:
        raw = exc.read(64 * 1024)
    except (OSError, http.client.HTTPException):
        raw = b""
    finally:
        exc.close()
    code, message = "http_error", (exc.reason or f"HTTP {exc.code}")
    try:
        error = json.loads(raw.decode("utf-8"))["error"]
        code, message = str(error.get("code") or code), str(error.get("message") or message)
    except (ValueError, KeyError, TypeError, AttributeError):
        text = raw.decode("utf-8", "replace").strip()
        if text and len(text) < 300 and "<" not in text:
            message = text
    return ApiError(exc.code, code, str(message))


def _retry_after(headers: Any, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), at most 60."""
    value = (headers.get("Retry-After") if headers else None) or ""
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            seconds = (when - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError, IndexError):
            seconds = default
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


# --- file names --------------------------------------------------------------------------------

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


# --- files -------------------------------------------------------------------------------------


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


# --- output ------------------------------------------------------------------------------------


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover


class Reporter:
    """Plain lines, or on a terminal one progress line per dossier rewritten with ``\\r``."""

    def __init__(self, out: TextIO, *, quiet: bool) -> None:
        self.out = out
        self.quiet = quiet
        isatty = getattr(out, "isatty", None)
        self.tty = bool(isatty and isatty()) and not quiet
        self.width = 0
        self.drawn_at = 0.0

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def _clear(self) -> None:
        if self.width:
            self._write("\r" + " " * self.width + "\r")
            self.width = 0

    def progress(self, code: str, done: int, total: int, size: int, *, force: bool = False) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if not force and now - self.drawn_at < 0.1:
            return
        self.drawn_at = now
        filled = (BAR * done // total) if total else BAR
        bar = "#" * filled + "-" * (BAR - filled)
        line = f"{code} [{bar}] {done}/{total} documents, {_human(size)}"
        self._write("\r" + line.ljust(self.width))
        self.width = max(self.width, len(line))

    def end_dossier(self) -> None:
        if self.tty and self.width:
            self._write("\n")
            self.width = 0

    def line(self, text: str) -> None:
        if self.quiet or self.tty:
            return
        self._write(text + "\n")

    def error(self, text: str) -> None:
        self._clear()
        self._write(f"error: {text}\n")

    def summary(self, text: str) -> None:
        if not self.quiet:
            self._clear()
            self._write(text + "\n")


# --- sync --------------------------------------------------------------------------------------


@dataclass
class Summary:
    downloaded: int = 0
    already_present: int = 0
    bytes: int = 0
    errors: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"downloaded {self.downloaded}, already present {self.already_present}, "
            f"errors {len(self.errors)} ({_human(self.bytes)} received)"
        )


class DocumentError(SyncError):
    """This document failed; the others go on."""


class _Sync:
    def __init__(self, client: Client, folder: Path, reporter: Reporter, *, explicit: bool) -> None:
        self.client = client
        self.folder = folder
        self.report = reporter
        self.explicit = explicit  # the user named the dossier: a refusal is an error
        self.summary = Summary()
        self.renames = 0
        die_after = os.environ.get(DIE_AFTER_ENV, "")
        self.die_after = int(die_after) if die_after.strip() else None
        # progress of the current dossier
        self.code, self.done, self.total, self.size = "", 0, 0, 0

    def run(self, dossiers: list[Document]) -> Summary:
        directories = {str(d["id"]): self.folder / sanitise(str(d["code"])) for d in dossiers}
        for directory in directories.values():
            directory.mkdir(parents=True, exist_ok=True)
            remove_part_files(directory)
        for dossier in dossiers:
            try:
                self.dossier(dossier, directories[str(dossier["id"])])
            except (NetworkError, OSError) as exc:  # the server is gone, or the disk refuses
                self.fail(f"{dossier['code']}: {exc}")
                break
            finally:
                self.report.end_dossier()
        return self.summary

    def fail(self, message: str) -> None:
        self.summary.errors.append(message)
        self.report.error(message)

    def show(self, extra: int = 0, *, force: bool = True) -> None:
        self.report.progress(self.code, self.done, self.total, self.size + extra, force=force)

    def dossier(self, dossier: Document, directory: Path) -> None:
        self.code = str(dossier["code"])
        try:
            documents = self.client.new_documents(str(dossier["id"]))
        except ApiError as exc:
            if exc.status == HTTPStatus.FORBIDDEN and not self.explicit:
                self.report.line(f"skipped {self.code}: no accountant role on it")
                return
            self.fail(f"{self.code}: cannot list the new documents: {exc}")
            return
        self.done, self.total, self.size = 0, len(documents), 0
        self.show()
        for document in documents:
            name = final_name(document)
            label = f"{directory.name}/{name}"
            try:
                self.document(document, directory, name, label)
            except (DocumentError, ApiError) as exc:
                self.fail(f"{label}: {exc}")
            self.done += 1
            self.show()

    def document(self, document: Document, directory: Path, name: str, label: str) -> None:
        expected = str(document.get("sha256") or "").lower()
        if not re.fullmatch(r"[0-9a-f]{64}", expected):
            raise DocumentError("the server gave no SHA-256 for it; not downloaded")
        target = directory / name
        if target.exists():
            # A run died after the rename and before the acknowledgement: finish its work.
            if file_sha256(target) != expected:
                raise DocumentError(
                    "a different file already has this name; move it away and sync again"
                )
            self.write_metadata(document, directory, name)
            self.client.acknowledge(document)
            self.summary.already_present += 1
            self.summary.files.append(target)
            self.report.line(f"already present {label}")
            return
        received = self.download(document, directory, name, expected)
        self.renames += 1
        if self.die_after is not None and self.renames >= self.die_after:
            self.report.out.flush()
            os._exit(9)  # test hook: a crash after the rename, before the metadata and the ack
        self.write_metadata(document, directory, name)
        self.client.acknowledge(document)
        self.size += received
        self.summary.downloaded += 1
        self.summary.bytes += received
        self.summary.files.append(target)
        self.report.line(f"downloaded {label} ({received} bytes)")

    def download(self, document: Document, directory: Path, name: str, expected: str) -> int:
        """Stream the content into a part file while hashing it; rename it when it matches."""
        with PartFile(directory, name) as part:

            def consume(resp: Any) -> tuple[str, str, int]:
                part.restart()  # a retried download starts over
                digest = hashlib.sha256()
                received = 0
                for chunk in iter(lambda: resp.read(CHUNK), b""):
                    digest.update(chunk)
                    part.file.write(chunk)
                    received += len(chunk)
                    self.show(received, force=False)
                header = (resp.headers.get("X-Content-SHA256") or "").strip().lower()
                return digest.hexdigest(), header, received

            actual, header, received = self.client.call(
                "GET", self.client.content_url(document), consume
            )
            if actual != expected or (header and header != expected):
                raise DocumentError(
                    f"checksum mismatch: expected {expected}, received {actual}"
                    + (f", header {header}" if header and header != expected else "")
                    + "; the partial file was removed, it will be offered again"
                )
            part.commit()
        return received

    def write_metadata(self, document: Document, directory: Path, name: str) -> None:
        if not (directory / f"{name}.json").exists():
            write_atomically(directory, f"{name}.json", metadata_bytes(document))


def sync(
    client: Client,
    folder: str | os.PathLike[str],
    dossier_code: str | None = None,
    out: TextIO | None = None,
    *,
    quiet: bool = False,
) -> Summary:
    """Download every new document of the token's dossiers (or of the one with
    ``dossier_code``) into ``folder/<dossier code>/``. Raises ``AuthError`` on 401,
    ``UnknownDossierError``, and ``SyncError`` when the dossiers cannot be listed; errors of
    single documents (and a server lost midway) are in the summary."""
    reporter = Reporter(out or sys.stderr, quiet=quiet)
    dossiers = client.dossiers()
    if dossier_code is not None:
        dossiers = [d for d in dossiers if str(d.get("code")).lower() == dossier_code.lower()]
        if not dossiers:
            raise UnknownDossierError(
                f"no dossier {dossier_code!r} among those this token reaches "
                "(a Connect role on it is needed)"
            )
        if not any(d.get("connect_enabled", True) for d in dossiers):
            raise UnknownDossierError(f"Connect is not enabled on dossier {dossier_code!r}")
    dossiers = [d for d in dossiers if d.get("connect_enabled", True)]
    summary = _Sync(client, Path(folder), reporter, explicit=dossier_code is not None).run(dossiers)
    reporter.summary(str(summary))
    return summary


# --- command line ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="connect-sync",
        description="Download the new documents of your Connect dossiers, exactly once.",
    )
    parser.add_argument("--url", required=True, help="the portal's address, https://…")
    parser.add_argument(
        "--token",
        help=f"an API token (better: set {CREDENTIAL_VARIABLE}, it then stays out of `ps`)",
    )
    parser.add_argument("--to", required=True, metavar="FOLDER", help="where to put the files")
    parser.add_argument("--dossier", metavar="CODE", help="only this dossier")
    parser.add_argument("--quiet", action="store_true", help="print errors only")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    token = (args.token or os.environ.get(CREDENTIAL_VARIABLE) or "").strip()
    if not token:
        parser.error(f"give a token with --token or the {CREDENTIAL_VARIABLE} environment variable")
    url = urlsplit(args.url)
    if url.scheme not in ("http", "https") or not url.netloc:
        parser.error("--url must be an http:// or https:// address")
    err = sys.stderr
    if url.scheme == "http" and url.hostname not in ("localhost", "127.0.0.1", "::1"):
        err.write("warning: the token travels unencrypted over http://; use https://\n")
    client = Client(args.url, token)
    try:
        summary = sync(client, args.to, args.dossier, err, quiet=args.quiet)
    except AuthError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_TOKEN
    except UnknownDossierError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_USAGE
    except (SyncError, OSError) as exc:
        err.write(f"error: {exc}\n")
        return EXIT_ERRORS
    except KeyboardInterrupt:
        err.write("\ninterrupted: what was not acknowledged will be offered again\n")
        return 130
    return EXIT_ERRORS if summary.errors else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
