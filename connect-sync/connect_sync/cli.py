"""The command line: ``connect-sync --url … --to FOLDER [--dossier CODE] [--quiet]``."""

from __future__ import annotations

import argparse
import os
import sys
from urllib.parse import urlsplit

from connect_sync import __version__
from connect_sync.api import Client
from connect_sync.errors import AuthError, SyncError, UnknownDossierError
from connect_sync.sync import sync

CREDENTIAL_VARIABLE = "CONNECT_SYNC_TOKEN"
EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_TOKEN = 0, 1, 2, 3


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
