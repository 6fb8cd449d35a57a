from typing import Any

from django.conf import settings
from django.http import HttpRequest

from connect.collaboration.messages.selectors import unread_count_cached
from dossiers.members import api_tokens_in_menu_for, request_memberships
from dossiers.models import FirmMembership
from users.selectors import MENU_API_TOKENS


def header(request: HttpRequest) -> dict[str, Any]:
    """What the page header shows: the user's firms, their unread messages (one query) and
    the language switch."""
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    memberships = request_memberships(request) if authenticated else []
    return {
        "header_firm_names": sorted({m.firm.name for m in memberships}),
        "header_api_tokens": authenticated and _api_tokens_in_menu(request, memberships),
        "header_languages": settings.LANGUAGES,
        "header_unread_messages": _unread_messages(request) if authenticated else 0,
    }


def _unread_messages(request: HttpRequest) -> int:
    """Read once per request, however many templates render the header."""
    cached = getattr(request, "_portal_unread_messages", None)
    if cached is None:
        cached = unread_count_cached(actor=request.user)  # type: ignore[arg-type]
        request._portal_unread_messages = cached  # type: ignore[attr-defined]
    return int(cached)


def _api_tokens_in_menu(request: HttpRequest, memberships: list[FirmMembership]) -> bool:
    """Staff: yes, without a query. Others: read once per session (for this user)."""
    if any(m.is_staff_level for m in memberships):
        return True
    session = getattr(request, "session", None)
    remembered = session.get(MENU_API_TOKENS) if session is not None else None
    if isinstance(remembered, list) and len(remembered) == 2 and remembered[0] == request.user.pk:
        return bool(remembered[1])
    offered = api_tokens_in_menu_for(actor=request.user, memberships=memberships)  # type: ignore[arg-type]
    if session is not None:
        session[MENU_API_TOKENS] = [request.user.pk, offered]
    return offered
