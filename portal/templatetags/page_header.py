"""The header of every page (templates/includes/header.html), rendered once per state and kept
in this process.

The header is the same on every page a user opens until something it shows changes: their
names and firms, their unread messages, the page they are on (marked in the menu), the
language. Through the template engine it cost more than an inbox row table of 50 rows (issue
18: some 3 ms a page). ``{% page_header %}`` renders it from those values alone, in a context
holding nothing else (so that what it shows can only come from its key), and keeps the result;
the two values of one request, the CSRF token and the address to come back to after a change
of language, are written into a copy of the kept text as placeholders that no text can guess.
With ``DEBUG`` on (a developer editing the template) nothing is kept."""

import secrets
from typing import Any

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

TEMPLATE = "includes/header.html"
#: Headers kept by one process (a firm's staff and clients: a few per user and page).
KEPT_MAX = 4096
_kept: dict[tuple[Any, ...], str] = {}
#: Placeholders for the request's own values, random per process.
_CSRF = f"csrf-{secrets.token_hex(16)}"
_NEXT = f"next-{secrets.token_hex(16)}"


def _values(context: template.Context, request: Any) -> dict[str, Any]:
    """What the header shows, from the page's context (``portal.context_processors.header``
    and the request)."""
    user = getattr(request, "user", None) if request is not None else context.get("user")
    signed_in = bool(getattr(user, "is_authenticated", False))
    match = getattr(request, "resolver_match", None)
    return {
        "header_signed_in": signed_in,
        "header_user_name": user.display_name if signed_in else "",  # type: ignore[union-attr]
        "header_view": getattr(match, "view_name", "") or "",
        "header_firm_names": tuple(context.get("header_firm_names") or ()),
        "header_api_tokens": bool(context.get("header_api_tokens")),
        "header_unread_messages": int(context.get("header_unread_messages") or 0),
        "header_languages": tuple(context.get("header_languages") or settings.LANGUAGES),
    }


@register.simple_tag(takes_context=True)
def page_header(context: template.Context) -> SafeString:
    request = context.get("request")
    values = _values(context, request)
    token = context.get("csrf_token")
    token = str(token) if token else ""
    next_path = request.get_full_path() if request is not None else ""
    if settings.DEBUG or not token or token == "NOTPROVIDED":  # noqa: S105 (Django's marker)
        return render_to_string(TEMPLATE, values | {"csrf_token": token, "header_next": next_path})
    key = (get_language(), *values.values())
    text = _kept.get(key)
    if text is None:
        text = render_to_string(TEMPLATE, values | {"csrf_token": _CSRF, "header_next": _NEXT})
        if len(_kept) >= KEPT_MAX:
            _kept.clear()
        _kept[key] = text
    return mark_safe(  # noqa: S308 (the kept text is escaped HTML; both values are escaped)
        text.replace(_CSRF, escape(token)).replace(_NEXT, escape(next_path))
    )


def _forget(**kwargs: Any) -> None:
    _kept.clear()


# A test that changes the URLs, templates or languages renders the header again.
setting_changed.connect(_forget, dispatch_uid="portal_page_header")
