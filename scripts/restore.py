#!/usr/bin/env python3
"""Restore a backup made by scripts/backup.py into a database and a documents directory, and
check it. See docs/operations.md, "Backups and restore".

    scripts/restore.py BACKUP_DIR --database-url URL --media-root DIR [--create-database]
                       [--no-owner]

1. The SHA-256 sums of the dump and of the documents' archive are checked against the manifest
   before anything is touched.
2. The database is restored with pg_restore in one transaction (all or nothing) into the
   database of ``--database-url``: an empty one, or a new one with ``--create-database``.
   ``--no-owner`` leaves out owners and grants (a cluster without the production roles).
3. The documents are extracted into ``--media-root``, which must be empty or new (tar's "data"
   filter: no absolute paths, no "..", no links out, no devices).
4. Every document file is checked against its SHA-256 in the manifest; the row count of every
   table is printed.

Exit status: 0 restored and checked, 2 the backup is damaged (nothing was touched), 1 the
restore failed."""

import argparse
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import environ
import psycopg
from backup import pg_environment, sha256_file
from psycopg import sql

COUNTS = """
SELECT table_name,
       (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I',
                                                   table_schema, table_name),
                                            false, true, '')))[1]::text::bigint
FROM information_schema.tables
WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
ORDER BY table_name
"""


class Damaged(Exception):
    pass


def verify_archives(backup: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((backup / "manifest.json").read_text())
    parts = [manifest["database"]]
    if "file" in manifest.get("media", {}):
        parts.append(manifest["media"])
    for part in parts:
        path = backup / part["file"]
        if not path.is_file() or sha256_file(path) != part["sha256"]:
            raise Damaged(f"{path.name} does not match its SHA-256 in the manifest")
    return manifest


def connection_info(database_url: str) -> dict[str, Any]:
    config = environ.Env.db_url_config(database_url)
    return {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "dbname": config["NAME"],
        "connect_timeout": 10,
    }


def database_create(database_url: str) -> None:
    info = connection_info(database_url)
    name = info.pop("dbname")
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_restore(backup: Path, manifest: dict[str, Any], url: str, no_owner: bool) -> None:
    command = ["pg_restore", "--exit-on-error", "--single-transaction"]
    if no_owner:
        command += ["--no-owner", "--no-privileges"]
    env = pg_environment(url)
    command += ["--dbname", env["PGDATABASE"], str(backup / manifest["database"]["file"])]
    subprocess.run(command, env=env, check=True)


def media_restore(backup: Path, manifest: dict[str, Any], root: Path) -> int:
    media = manifest.get("media", {})
    if "file" not in media:
        return 0
    with tarfile.open(backup / media["file"]) as tar:
        tar.extractall(root, filter="data")
    for name, expected in media["files"].items():
        path = root / name
        if not path.is_file() or sha256_file(path) != expected:
            raise Damaged(f"the restored file {name} does not match its SHA-256")
    return len(media["files"])


def row_counts(database_url: str) -> list[tuple[str, int]]:
    with psycopg.connect(**connection_info(database_url)) as connection:
        return [(name, count) for name, count in connection.execute(COUNTS).fetchall()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("backup", type=Path, help="a directory made by scripts/backup.py")
    parser.add_argument("--database-url", required=True, help="the database to restore into")
    parser.add_argument("--media-root", type=Path, required=True, help="an empty or new dir")
    parser.add_argument("--create-database", action="store_true")
    parser.add_argument("--no-owner", action="store_true", help="leave out owners and grants")
    args = parser.parse_args(argv)
    root: Path = args.media_root
    if root.exists() and any(root.iterdir()):
        parser.error(f"{root} is not empty: restore into a new directory")

    try:
        manifest = verify_archives(args.backup)
    except (Damaged, OSError, KeyError, ValueError) as error:
        print(f"the backup is damaged: {error}", file=sys.stderr)
        return 2
    try:
        if args.create_database:
            database_create(args.database_url)
        database_restore(args.backup, manifest, args.database_url, args.no_owner)
        root.mkdir(parents=True, exist_ok=True)
        files = media_restore(args.backup, manifest, root)
        counts = row_counts(args.database_url)
    except (Damaged, OSError, subprocess.CalledProcessError, psycopg.Error) as error:
        print(f"restore failed: {error}", file=sys.stderr)
        return 1
    for name, count in counts:
        print(f"{name}\t{count}")
    print(f"restored {len(counts)} tables and {files} document files, all checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
