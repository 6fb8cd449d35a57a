"""Per-request behaviour tied to the logged-in user: the UI language, the session list's "last
seen" and the idle timeout (the firm's two-factor requirement for its staff is
dossiers/middleware.py)."""

import time
from collections.abc import Callable

from allauth.usersessions.internal.usersessionkit import track_activity
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class UserLanguageMiddleware:
    """The UI follows the logged-in user's language (before login: the browser's
    Accept-Language, or the language chosen on the login page)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


#: How often a session's "last seen" (time, IP, browser) is written: not on every request.
SESSION_SEEN_EVERY = 60
_SEEN_KEY = "_usersession_seen_at"


#: How often a session's last activity is written (a session save): idle time is measured to
#: within this much.
SESSION_ACTIVE_EVERY = 60
_ACTIVE_KEY = "_portal_active_at"


def session_idle_limit(session: SessionBase) -> int:
    """The idle time after which the session ends: 14 days (SESSION_REMEMBER_SECONDS) when
    "remember me" was ticked at login (allauth then sets the session's own expiry), else
    SESSION_IDLE_SECONDS (8 hours)."""
    remembered = bool(session.get("_session_expiry"))
    return settings.SESSION_REMEMBER_SECONDS if remembered else settings.SESSION_IDLE_SECONDS


class SessionIdleTimeoutMiddleware:
    """Log out a session idle for longer than its limit, at its next request (the logout
    switches the request's database scope to the anonymous visitor's: it then runs as one).
    The last activity is kept in the session, written at most once a minute."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and session is not None and user.is_authenticated:
            now = int(time.time())
            last = int(session.get(_ACTIVE_KEY, now))
            if now - last > session_idle_limit(session):
                logout(request)
            elif now - last >= SESSION_ACTIVE_EVERY or _ACTIVE_KEY not in session:
                session[_ACTIVE_KEY] = now
        return self.get_response(request)


class UserSessionActivityMiddleware:
    """allauth's session tracking (USERSESSIONS_TRACK_ACTIVITY), written at most once a minute
    per session: allauth's own middleware writes the row on every request. When it is due is
    kept in the session itself, which is read anyway, so a request in between costs nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and user.is_authenticated and session is not None:
            now = int(time.time())
            if now - int(session.get(_SEEN_KEY, 0)) >= SESSION_SEEN_EVERY:
                track_activity(request, user=user, session=session)
                session[_SEEN_KEY] = now
        return self.get_response(request)
