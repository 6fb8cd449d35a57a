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

Modules: ``errors`` (what the user reads), ``api`` (the HTTP client: token, JSON, retries),
``store`` (file names and atomic files in the local folder), ``report`` (progress and lines),
``sync`` (one run: list, download, verify, acknowledge), ``cli`` (arguments, exit codes).
"""

__version__ = "1.0.0"
