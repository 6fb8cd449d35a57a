"""The firm's two-factor requirement for its staff, on every request."""

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from dossiers.members import mfa_required_for, request_memberships


class MfaRequiredMiddleware:
    """A staff member of a firm that requires two-factor authentication, who has not set it
    up, is sent to the setup on every page but the two-factor pages themselves, the
    re-authentication they ask for, logout, the language switch and static files. Clients
    (level ``user``) are never forced. The API is not concerned: it authenticates with
    personal tokens, not sessions.

    Cost per request: the memberships, which come with the request's scope
    (``request_memberships``, portal/0012), and the authenticators only for the staff of a
    firm that requires them (one query, ~0.4 ms)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @cached_property
    def exempt_prefixes(self) -> tuple[str, ...]:
        """Reversed once, on the first request (not at start-up)."""
        return (
            reverse("mfa_index"),
            reverse("account_logout"),
            reverse("account_reauthenticate"),
            reverse("portal:language"),
            "/api/",
            settings.STATIC_URL,  # made absolute by Django ("/static/")
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.exempt_prefixes)
            and mfa_required_for(memberships=request_memberships(request))
            and not is_mfa_enabled(user)
        ):
            return self._send_to_setup(request)
        return self.get_response(request)

    def _send_to_setup(self, request: HttpRequest) -> HttpResponse:
        url = reverse("mfa_activate_totp")
        if getattr(request, "htmx", False):
            # An htmx fragment would swap the setup page into a part of the page.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        messages.warning(
            request,
            _(
                "Your firm requires two-factor authentication for its staff. Set it up to "
                "continue: with an authenticator app, or a security key."
            ),
        )
        return HttpResponseRedirect(url)
