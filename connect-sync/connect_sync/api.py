"""The retrieval API over HTTP(S): bearer token, JSON, retries on 429, 5xx and network failures;
the token never follows a redirect or a server-given URL to another origin."""

from __future__ import annotations

import email.utils
import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Protocol, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

from connect_sync import __version__
from connect_sync.errors import ApiError, AuthError, NetworkError

API = "/api/v1"
CHUNK = 64 * 1024
MAX_RETRY_AFTER = 60.0
REFUSED_MESSAGE = "the token is not valid (revoked, or its user deactivated)"
#: What the user reads for the codes of a 401 (or a 403 that no retry can cure).
TOKEN_MESSAGES = {
    "token_expired": (
        "the token has expired: make a new one on the portal's API tokens page and run again "
        "with it"
    ),
    "token_revoked": (
        "the token has been revoked (by you, your firm, a password change or a log-out of "
        "the other sessions): make a new one on the portal's API tokens page"
    ),
    "token_read_only": (
        "the token may only read: connect-sync acknowledges what it downloads, so make a "
        "token that may also upload and acknowledge"
    ),
}

Document = dict[str, Any]
T = TypeVar("T")


class Opener(Protocol):
    def open(
        self, fullurl: urllib.request.Request, data: None = None, timeout: float = ...
    ) -> Any: ...


class _NoTokenElsewhereRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never carry the token to another origin (urllib would)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(new.full_url) != _origin(req.full_url):
            for name in ("Authorization", "authorization"):
                new.headers.pop(name, None)
                new.unredirected_hdrs.pop(name, None)
        return new


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


# Network failures worth a retry. Local file errors (disk full...) are not among them.
_NETWORK_ERRORS = (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException)


class Client:
    """The retrieval API over HTTP(S): bearer token, JSON, retries.

    ``opener`` is anything with urllib's ``open(request, timeout=...)``; ``sleep`` is injectable
    so that tests do not wait. Every URL the server hands back (``next``, ``content_url``) is
    re-rooted on the origin the user gave, so the token never leaves for another host or scheme.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        opener: Opener | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 1.0,
        throttle_retries: int = 10,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.opener: Opener = opener or urllib.request.build_opener(_NoTokenElsewhereRedirect)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.throttle_retries = throttle_retries
        self.sleep = sleep

    # URLs

    def url(self, path_or_url: str) -> str:
        base = urlsplit(self.base_url)
        target = urlsplit(urljoin(self.base_url + "/", path_or_url))
        return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))

    # requests

    def _request(self, method: str, url: str) -> urllib.request.Request:
        return urllib.request.Request(  # noqa: S310 (the scheme is checked in main)
            self.url(url),
            data=b"" if method == "POST" else None,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/json",
                "User-Agent": f"connect-sync/{__version__}",
            },
        )

    def call(self, method: str, url: str, consume: Callable[[Any], T]) -> T:
        """Send the request and hand the open response to ``consume``; retry the whole exchange
        (``consume`` included: it must start over) on 429, 5xx and network failures."""
        failures = throttled = 0
        while True:
            try:
                with self.opener.open(self._request(method, url), timeout=self.timeout) as resp:
                    return consume(resp)
            except urllib.error.HTTPError as exc:
                error = _api_error(exc)
                if exc.code == HTTPStatus.UNAUTHORIZED:
                    raise AuthError(TOKEN_MESSAGES.get(error.code, REFUSED_MESSAGE)) from None
                if exc.code == HTTPStatus.FORBIDDEN and error.code == "token_read_only":
                    raise AuthError(TOKEN_MESSAGES[error.code]) from None
                if exc.code == HTTPStatus.TOO_MANY_REQUESTS and throttled < self.throttle_retries:
                    throttled += 1
                    self.sleep(_retry_after(exc.headers, self.backoff))
                    continue
                if exc.code >= HTTPStatus.INTERNAL_SERVER_ERROR and failures < self.retries:
                    self.sleep(self.backoff * 2**failures)
                    failures += 1
                    continue
                raise error from None
            except _NETWORK_ERRORS as exc:
                if failures < self.retries:
                    self.sleep(self.backoff * 2**failures)
                    failures += 1
                    continue
                reason = getattr(exc, "reason", None) or exc
                raise NetworkError(f"cannot reach {self.base_url}: {reason}") from None

    def get_json(self, url: str) -> Any:
        return self.call("GET", url, _read_json)

    def post_json(self, url: str) -> Any:
        return self.call("POST", url, _read_json)

    def paginate(self, url: str) -> Iterator[Document]:
        """Every item of a list, following ``next``."""
        seen: set[str] = set()
        next_url: str | None = url
        while next_url:
            if next_url in seen:
                raise ApiError(200, "pagination_loop", f"the server sent {next_url} twice")
            seen.add(next_url)
            page = self.get_json(next_url)
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise ApiError(200, "bad_response", f"{url} did not answer a list")
            yield from page["results"]
            next_url = page.get("next")

    # the API

    def dossiers(self) -> list[Document]:
        return list(self.paginate(f"{API}/dossiers"))

    def new_documents(self, dossier_id: str) -> list[Document]:
        return list(self.paginate(f"{API}/dossiers/{dossier_id}/documents?status=new"))

    def content_url(self, document: Document) -> str:
        return str(document.get("content_url") or f"{API}/documents/{document['id']}/content")

    def acknowledge(self, document: Document) -> Any:
        return self.post_json(f"{API}/documents/{document['id']}/retrieved")


def _read_json(resp: Any) -> Any:
    body = resp.read()
    try:
        return json.loads(body.decode("utf-8")) if body else None
    except ValueError:
        raise ApiError(resp.status, "bad_response", "the server did not answer JSON") from None


def _api_error(exc: urllib.error.HTTPError) -> ApiError:
    """The ``{"error": {"code", "message"}}`` body of an error answer, or what there is."""
    try:
        raw = exc.read(64 * 1024)
    except (OSError, http.client.HTTPException):
        raw = b""
    finally:
        exc.close()
    code, message = "http_error", (exc.reason or f"HTTP {exc.code}")
    try:
        error = json.loads(raw.decode("utf-8"))["error"]
        code, message = str(error.get("code") or code), str(error.get("message") or message)
    except (ValueError, KeyError, TypeError, AttributeError):
        text = raw.decode("utf-8", "replace").strip()
        if text and len(text) < 300 and "<" not in text:
            message = text
    return ApiError(exc.code, code, str(message))


def _retry_after(headers: Any, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), at most 60."""
    value = (headers.get("Retry-After") if headers else None) or ""
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            seconds = (when - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError, IndexError):
            seconds = default
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
