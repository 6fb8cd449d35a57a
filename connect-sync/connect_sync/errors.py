"""What goes wrong in a run: every message is meant for the user."""

from __future__ import annotations


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


class DocumentError(SyncError):
    """This document failed; the others go on."""
