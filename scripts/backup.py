#!/usr/bin/env python3
"""Back up the portal: the PostgreSQL database (``pg_dump -Fc``) and the document storage (a
tar of MEDIA_ROOT), into one new directory with a manifest of SHA-256 sums. See
docs/operations.md, "Backups and restore"; scripts/restore.py puts a backup back and checks it.

    scripts/backup.py DEST [--database-url URL] [--media-root DIR] [--keep N]

The database comes from ``--database-url`` or ``DATABASE_URL``; the documents from
``--media-root`` or ``MEDIA_ROOT``. With ``S3_BUCKET`` set the documents live in the bucket and
are not copied here (bucket versioning or rclone keep them). Run it as the role that owns the
tables: pg_dump refuses to dump tables whose row-level security would hide rows from it.

The backup is written to ``DEST/portal-<UTC time>.partial`` and renamed when complete, so a
directory without ``.partial`` is a whole backup. ``--keep N`` then deletes all but the N
newest whole backups. Exit status: 0 done, 1 failed."""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import environ

CHUNK = 1024 * 1024
PREFIX = "portal-"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def pg_environment(database_url: str) -> dict[str, str]:
    """libpq's environment for ``database_url`` (the password never shows in a process list)."""
    config = environ.Env.db_url_config(database_url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit(f"only PostgreSQL can be backed up, not {config['ENGINE']}")
    values = {
        "PGHOST": config.get("HOST") or "",
        "PGPORT": str(config.get("PORT") or ""),
        "PGUSER": config.get("USER") or "",
        "PGPASSWORD": config.get("PASSWORD") or "",
        "PGDATABASE": config.get("NAME") or "",
        "PGSSLMODE": (config.get("OPTIONS") or {}).get("sslmode", ""),
        "PGCONNECT_TIMEOUT": "10",
    }
    return {**os.environ, **{key: value for key, value in values.items() if value}}


class Hashing:
    """A file that hashes what is read from it or written to it on the way: each document is
    read once, and the archive is not read back for its own sum."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.handle.write(data)

    def tell(self) -> int:
        return self.handle.tell()


def media_archive(root: Path, archive: Path) -> tuple[str, dict[str, str]]:
    """Tar every file under ``root`` (paths relative to it); returns the archive's SHA-256
    and path -> SHA-256 of each file."""
    sums: dict[str, str] = {}
    with archive.open("wb") as output:
        written = Hashing(output)
        with tarfile.open(  # type: ignore[call-overload]
            fileobj=written, mode="w", format=tarfile.PAX_FORMAT
        ) as tar:
            for path in sorted(root.rglob("*")):
                if path.is_symlink() or not path.is_file():
                    continue
                name = path.relative_to(root).as_posix()
                info = tar.gettarinfo(str(path), arcname=name)
                with path.open("rb") as handle:
                    reader = Hashing(handle)
                    tar.addfile(info, reader)
                sums[name] = reader.digest.hexdigest()
    return written.digest.hexdigest(), sums


def backup(dest: Path, database_url: str, media_root: Path | None, s3_bucket: str) -> Path:
    started = datetime.now(tz=UTC)
    final = dest / f"{PREFIX}{started:%Y%m%dT%H%M%SZ}"
    work = final.with_name(final.name + ".partial")
    env = pg_environment(database_url)
    work.mkdir(parents=True, mode=0o700)
    try:
        _write(work, env, started, media_root, s3_bucket)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)  # no half backup is left behind
        raise
    work.rename(final)
    return final


def _write(
    work: Path, env: dict[str, str], started: datetime, media_root: Path | None, s3_bucket: str
) -> None:
    manifest: dict[str, Any] = {"format": 1, "created_at": started.isoformat()}

    dump = work / "db.dump"
    subprocess.run(["pg_dump", "--format=custom", "--file", str(dump)], env=env, check=True)
    version = subprocess.run(
        ["pg_dump", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    manifest["database"] = {
        "file": dump.name,
        "name": env.get("PGDATABASE", ""),
        "bytes": dump.stat().st_size,
        "sha256": sha256_file(dump),
        "pg_dump": version,
    }

    if s3_bucket:
        manifest["media"] = {
            "skipped": "documents are in an S3 bucket: keep them with bucket versioning or rclone"
        }
    elif media_root is not None:
        archive = work / "media.tar"
        digest, files = media_archive(media_root, archive)
        manifest["media"] = {
            "file": archive.name,
            "bytes": archive.stat().st_size,
            "sha256": digest,
            "files": files,
        }

    (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def prune(dest: Path, keep: int) -> list[Path]:
    """Delete whole backups beyond the ``keep`` newest (names sort by time)."""
    whole = sorted(
        p for p in dest.glob(f"{PREFIX}*") if p.is_dir() and not p.name.endswith(".partial")
    )
    old = whole[:-keep] if keep > 0 else []
    for path in old:
        shutil.rmtree(path)
    return old


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="directory that receives the backup")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--media-root", type=Path, default=os.environ.get("MEDIA_ROOT"))
    parser.add_argument("--keep", type=int, default=0, help="keep the N newest backups")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL")
    s3_bucket = os.environ.get("S3_BUCKET", "")
    if not s3_bucket and (args.media_root is None or not Path(args.media_root).is_dir()):
        parser.error("give --media-root or set MEDIA_ROOT to the documents' directory")
    media_root = Path(args.media_root) if args.media_root else None
    try:
        made = backup(args.dest, args.database_url, media_root, s3_bucket)
    except (subprocess.CalledProcessError, OSError) as error:
        print(f"backup failed: {error}", file=sys.stderr)
        return 1
    manifest = json.loads((made / "manifest.json").read_text())
    files = len(manifest["media"].get("files", {}))
    print(f"{made}: database {manifest['database']['bytes']} bytes, {files} document files")
    for path in prune(args.dest, args.keep):
        print(f"deleted {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
