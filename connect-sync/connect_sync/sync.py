"""One run: list the dossiers, download each new document into its dossier's folder, verify its
SHA-256, write its metadata beside it, then acknowledge it."""

from __future__ import annotations

import hashlib
import os
import re
import sys
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, TextIO

from connect_sync.api import CHUNK, Client, Document
from connect_sync.errors import ApiError, DocumentError, NetworkError, UnknownDossierError
from connect_sync.report import Reporter, human_size
from connect_sync.store import (
    PartFile,
    file_sha256,
    final_name,
    metadata_bytes,
    remove_part_files,
    sanitise,
    write_atomically,
)

DIE_AFTER_ENV = "CONNECT_SYNC_DIE_AFTER"  # test hook, see _Sync.document


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
            f"errors {len(self.errors)} ({human_size(self.bytes)} received)"
        )


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
