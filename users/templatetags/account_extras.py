"""Account pages: the session list's "device" (a browser and a system read from the User-Agent
header), and the login form's ``next`` field, echoed only when it is a local path."""

import re
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from users.redirects import safe_next

register = template.Library()

#: First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
BROWSERS = (
    (re.compile(r"Edg(e|A|iOS)?/"), "Edge"),
    (re.compile(r"OPR/|Opera"), "Opera"),
    (re.compile(r"Firefox/|FxiOS/"), "Firefox"),
    (re.compile(r"Chrome/|CriOS/|Chromium/"), "Chrome"),
    (re.compile(r"Safari/"), "Safari"),
)
SYSTEMS = (
    (re.compile(r"iPhone|iPod"), "iOS"),
    (re.compile(r"iPad"), "iPadOS"),
    (re.compile(r"Android"), "Android"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"CrOS"), "ChromeOS"),
    (re.compile(r"Mac OS X|Macintosh"), "macOS"),
    (re.compile(r"Linux|X11"), "Linux"),
)


def _first(patterns: tuple[tuple[re.Pattern[str], str], ...], text: str) -> str | None:
    return next((name for pattern, name in patterns if pattern.search(text)), None)


@register.filter
def device_summary(user_agent: str) -> str:
    """ "Firefox on Windows"; the raw header (shortened) when neither is recognised."""
    user_agent = user_agent or ""
    browser, system = _first(BROWSERS, user_agent), _first(SYSTEMS, user_agent)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser or system:
        return str(browser or system)
    return user_agent[:60] or _("Unknown device")


@register.simple_tag(takes_context=True)
def safe_next_field(context: dict[str, Any]) -> SafeString | str:
    """The hidden ``next`` input of the login form, left out when ``next`` would leave the
    site (it would be refused after login anyway; this keeps it out of the page)."""
    request = context["request"]
    value = safe_next(context.get("redirect_field_value"), request=request)
    if not value:
        return ""
    name = context.get("redirect_field_name") or "next"
    return format_html('<input type="hidden" name="{}" value="{}">', name, value)
