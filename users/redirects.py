"""Where a ``next`` parameter may send the browser: a path of this site, nothing else."""

from urllib.parse import unquote

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def is_safe_next(url: str | None, *, request: HttpRequest) -> bool:
    """Only a local path: it starts with one ``/`` (not ``//`` nor ``/\\``, which browsers read
    as another host), holds no backslash, whitespace or control character, still starts so once
    percent-decoded (``/%2F%2Fevil.com``), and passes Django's own check. Absolute URLs, even
    to this host, are refused: nothing here needs them."""
    if not url or len(url) > 2000 or not _starts_local(url):
        return False
    if any(c == "\\" or c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return False
    decoded = url
    for _ in range(3):  # a value may be encoded more than once on its way here
        once_more = unquote(decoded)
        if once_more == decoded:
            break
        if not _starts_local(once_more):
            return False
        decoded = once_more
    else:
        return False
    return url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _starts_local(url: str) -> bool:
    return url.startswith("/") and not url.startswith(("//", "/\\"))


def safe_next(url: str | None, *, request: HttpRequest) -> str | None:
    """``url`` if it is a safe local path, else None (the caller's default applies)."""
    return url if is_safe_next(url, request=request) else None
