from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.selectors import request_memberships
from users.selectors import api_tokens_in_menu_for


def header(request: HttpRequest) -> dict[str, Any]:
    """What the page header shows: the user's firms, their unread messages (one query) and
    the language switch."""
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    memberships = request_memberships(request) if authenticated else []
    return {
        "header_firm_names": sorted({m.firm.name for m in memberships}),
        "header_api_tokens": authenticated
        and api_tokens_in_menu_for(actor=user, memberships=memberships),  # type: ignore[arg-type]
        "header_languages": settings.LANGUAGES,
        "header_unread_messages": _unread_messages(request) if authenticated else 0,
    }


def _unread_messages(request: HttpRequest) -> int:
    """Read once per request, however many templates render the header."""
    cached = getattr(request, "_portal_unread_messages", None)
    if cached is None:
        from connect.messages_selectors import unread_count_cached

        cached = unread_count_cached(actor=request.user)  # type: ignore[arg-type]
        request._portal_unread_messages = cached  # type: ignore[attr-defined]
    return int(cached)
