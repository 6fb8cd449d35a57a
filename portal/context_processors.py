from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.selectors import request_memberships


def header(request: HttpRequest) -> dict[str, Any]:
    """What the page header shows: the user's firms and the language switch."""
    user = getattr(request, "user", None)
    memberships = request_memberships(request) if user is not None and user.is_authenticated else []
    return {
        "header_firm_names": sorted({m.firm.name for m in memberships}),
        "header_languages": settings.LANGUAGES,
    }
