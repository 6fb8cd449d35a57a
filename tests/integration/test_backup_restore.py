"""Backup and restore round trip (scripts/backup.py, scripts/restore.py, docs/operations.md):
documents received through the receive service are backed up, restored into a fresh database
and a fresh directory, and every table's row count and every document file's SHA-256 match.
A damaged backup is refused before anything is touched."""

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

from connect.documents.services import document_receive
from connect.models import Document
from dossiers.models import Dossier
from tests.connect import samples
from tests.fixtures_services import _database_url
from users.models import User

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
RESTORE_DB = f"test_restore_{os.environ.get('TEST_RUN_SLOT', '0')}" + (
    f"_{_worker}" if _worker else ""
)

COUNTS = """
SELECT table_name,
       (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I',
                                                   table_schema, table_name),
                                            false, true, '')))[1]::text::bigint
FROM information_schema.tables
WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def script(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "S3_BUCKET")}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def url_for(name: str) -> str:
    base = _database_url()
    return base.rsplit("/", 1)[0] + "/" + name


def counts(url: str) -> dict[str, int]:
    """Every table's exact row count, read as the login role (the owner: no row hidden)."""
    with psycopg.connect(url) as connection:
        return dict(connection.execute(COUNTS).fetchall())


def digests(url: str) -> dict[str, str]:
    """Every table's rows, as text in a stable order, hashed: the same rows, not only as many."""
    with psycopg.connect(url) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        return {
            table: connection.execute(
                sql.SQL(
                    "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                    " FROM {} t"
                ).format(sql.Identifier(table))
            ).fetchone()[0]
            for table in tables
        }


def drop_restore_database() -> None:
    with psycopg.connect(url_for("postgres"), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(RESTORE_DB))
        )


@pytest.fixture
def restore_database() -> Iterator[str]:
    drop_restore_database()
    yield url_for(RESTORE_DB)
    drop_restore_database()


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def documents(media: Path, dossier: Dossier, client_user: User) -> list[Document]:
    received = [
        document_receive(
            dossier=dossier, actor=client_user, filename=name, chunks=[data], source="web"
        ).document
        for name, data in (
            ("facture.pdf", samples.pdf(2)),
            ("ticket.jpg", samples.image("JPEG")),
            ("scan.png", samples.image("PNG", (640, 480))),
            ("peppol.xml", samples.ubl()),
        )
    ]
    # Processing ran (inline, after commit): first-page thumbnails are stored files too.
    assert Document.objects.exclude(thumbnail_name="").count() >= 3
    return received


def test_a_backup_restores_into_a_fresh_database_and_directory(
    documents: list[Document], media: Path, restore_database: str, tmp_path: Path
) -> None:
    source = _database_url()
    made = script(
        "scripts/backup.py",
        str(tmp_path / "backups"),
        "--database-url",
        source,
        "--media-root",
        str(media),
    )
    assert made.returncode == 0, made.stderr
    (backup,) = (tmp_path / "backups").iterdir()
    assert not backup.name.endswith(".partial")
    manifest = json.loads((backup / "manifest.json").read_text())
    stored = sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())
    assert sorted(manifest["media"]["files"]) == stored
    assert len(stored) >= 7  # four documents and their thumbnails

    restored_media = tmp_path / "restored-media"
    restored = script(
        "scripts/restore.py",
        str(backup),
        "--database-url",
        restore_database,
        "--media-root",
        str(restored_media),
        "--create-database",
    )
    assert restored.returncode == 0, restored.stderr
    assert "all checked" in restored.stdout

    # Every table holds as many rows as the source.
    before, after = counts(source), counts(restore_database)
    assert after == before
    assert after["connect_document"] == len(documents)
    assert after["users_user"] >= 2
    # And the same rows, value for value.
    assert digests(restore_database) == digests(source)
    # Every document's file (and thumbnail) is back, byte for byte.
    with psycopg.connect(restore_database) as connection:
        rows = connection.execute(
            "SELECT storage_name, sha256, thumbnail_name FROM connect_document"
        ).fetchall()
    assert len(rows) == len(documents)
    for storage_name, digest, thumbnail_name in rows:
        assert sha256(restored_media / storage_name) == digest
        if thumbnail_name:
            assert sha256(restored_media / thumbnail_name) == sha256(media / thumbnail_name)
    assert (
        sorted(
            p.relative_to(restored_media).as_posix()
            for p in restored_media.rglob("*")
            if p.is_file()
        )
        == stored
    )


def test_a_damaged_backup_is_refused_before_anything_is_touched(
    documents: list[Document], media: Path, restore_database: str, tmp_path: Path
) -> None:
    made = script(
        "scripts/backup.py",
        str(tmp_path / "backups"),
        "--database-url",
        _database_url(),
        "--media-root",
        str(media),
        "--keep",
        "1",
    )
    assert made.returncode == 0, made.stderr
    (backup,) = (tmp_path / "backups").iterdir()
    archive = backup / "media.tar"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped bit in a document
    archive.write_bytes(bytes(data))

    restored_media = tmp_path / "restored-media"
    refused = script(
        "scripts/restore.py",
        str(backup),
        "--database-url",
        restore_database,
        "--media-root",
        str(restored_media),
        "--create-database",
    )
    assert refused.returncode == 2
    assert "media.tar does not match" in refused.stderr
    assert not restored_media.exists()
    with psycopg.connect(url_for("postgres")) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [RESTORE_DB]
        ).fetchone()
    assert exists is None


def test_old_backups_beyond_keep_are_deleted(media: Path, tmp_path: Path) -> None:
    media.mkdir(parents=True, exist_ok=True)
    dest = tmp_path / "backups"
    for stamp in ("20250101T000000Z", "20250102T000000Z"):
        (dest / f"portal-{stamp}").mkdir(parents=True)
    (dest / "portal-20250103T000000Z.partial").mkdir()
    made = script(
        "scripts/backup.py",
        str(dest),
        "--database-url",
        _database_url(),
        "--media-root",
        str(media),
        "--keep",
        "2",
    )
    assert made.returncode == 0, made.stderr
    names = sorted(p.name for p in dest.iterdir())
    assert names[0] == "portal-20250102T000000Z"
    assert names[1] == "portal-20250103T000000Z.partial"  # not a whole backup: left alone
    assert len(names) == 3
    assert settings.DATABASES["default"]["NAME"] in (dest / names[2] / "manifest.json").read_text()
