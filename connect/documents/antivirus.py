"""Virus scanning of received files by ClamAV's clamd, over its socket (INSTREAM protocol).

``CONNECT_CLAMD_SOCKET`` is a unix socket path or ``host:port``; empty switches scanning off.
A file clamd finds infected is refused with the name of what was found. When clamd cannot
answer (down, timeout, a stream over its ``StreamMaxLength``) the file is refused too, with
"try again later", and the failure is logged: nothing unscanned is kept (fail closed).
"""

import logging
import re
import socket
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from connect.documents.files import refuse
from core.errors import ServiceError

logger = logging.getLogger(__name__)

CHUNK = 256 * 1024
#: What clamd may name a finding: shown to the user, so printable and bounded.
_UNPRINTABLE = re.compile(r"[^\w.:/@+-]+", re.ASCII)


class ScanUnavailable(Exception):
    """clamd did not give a verdict (unreachable, timed out, or answered an error)."""


def enabled() -> bool:
    return bool(settings.CONNECT_CLAMD_SOCKET)


def _connect() -> socket.socket:
    address: str = settings.CONNECT_CLAMD_SOCKET
    timeout: float = settings.CONNECT_CLAMD_TIMEOUT
    if address.startswith("/"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except BaseException:
            sock.close()
            raise
        return sock
    host, _sep, port = address.rpartition(":")
    return socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)


def _reply(sock: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\0") and len(data) < 4096:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.rstrip(b"\0").decode("utf-8", "replace").strip()


def scan(chunks: Iterable[bytes]) -> str | None:
    """The name of what clamd found in the stream, or None when it is clean. Raises
    ``ScanUnavailable`` when clamd gives no verdict."""
    try:
        with _connect() as sock:
            sock.sendall(b"zINSTREAM\0")
            try:
                for chunk in chunks:
                    for start in range(0, len(chunk), CHUNK):
                        part = chunk[start : start + CHUNK]
                        sock.sendall(struct.pack("!L", len(part)) + part)
                sock.sendall(struct.pack("!L", 0))
            except (BrokenPipeError, ConnectionResetError):
                pass  # clamd stopped reading (e.g. its size limit): its answer says why
            answer = _reply(sock)
    except (OSError, ValueError) as exc:
        raise ScanUnavailable(f"clamd at {settings.CONNECT_CLAMD_SOCKET}: {exc!r}") from None
    if answer.endswith(" FOUND"):
        found = answer.removeprefix("stream:").removesuffix(" FOUND").strip()
        return _UNPRINTABLE.sub("_", found)[:100] or "unknown"
    if answer == "stream: OK":
        return None
    raise ScanUnavailable(f"clamd at {settings.CONNECT_CLAMD_SOCKET} answered {answer[:200]!r}")


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def scan_or_refuse(
    chunks: Iterable[bytes] | Path, *, part: str | None = None, context: str = ""
) -> None:
    """Scan a received file (or ``part``, a file carried inside it: an e-invoice's embedded
    document) and refuse it with a translated reason when infected or when no verdict came.
    Does nothing when scanning is off."""
    if not enabled():
        return
    stream = _file_chunks(chunks) if isinstance(chunks, Path) else chunks
    try:
        found = scan(stream)
    except ScanUnavailable as exc:
        logger.error("virus scan unavailable, file refused (%s): %s", context, exc)
        raise _unavailable() from None
    if found is None:
        return
    logger.warning("virus %s found, file refused (%s)", found, context)
    raise virus_found(found, part=part)


def virus_found(name: str, *, part: str | None = None) -> ServiceError:
    if part:
        message = _(
            "A virus was found in the file's attachment %(part)s (%(name)s): nothing was kept."
        ) % {"part": part, "name": name}
    else:
        message = _("A virus was found in the file (%(name)s): it was not kept.") % {"name": name}
    return refuse(message, "virus_found", 422)


def _unavailable() -> ServiceError:
    return refuse(
        _("The virus scan is unavailable at the moment: nothing was kept, try again later."),
        "virus_scan_unavailable",
        503,
    )
