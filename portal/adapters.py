"""allauth's account adapter as the shell configures it: the person's side
(``users.adapters.AccountAdapter``) plus where a login lands, which needs the dossiers."""

from django.http import HttpRequest

from dossiers.selectors import landing_url_for
from users.adapters import AccountAdapter as UserAccountAdapter


class AccountAdapter(UserAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Without a ``next``: a client with one Connect dossier lands in it, others on the hub."""
        return landing_url_for(actor=request.user)  # type: ignore[arg-type]
