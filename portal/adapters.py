"""allauth's account adapter as the shell configures it: the person's side
(``users.adapters.AccountAdapter``) plus where a login lands, which needs the dossiers; and the
firm's two-factor rule for its staff (``MFAAdapter``)."""

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from dossiers.members import memberships_for, mfa_required_for
from dossiers.selectors import landing_url_for
from users.adapters import AccountAdapter as UserAccountAdapter


class AccountAdapter(UserAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Without a ``next``: a client with one Connect dossier lands in it, others on the hub."""
        return landing_url_for(actor=request.user)  # type: ignore[arg-type]


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """A staff member whose firm requires two-factor authentication keeps at least one
        authenticator app or security key."""
        if authenticator.type == Authenticator.Type.RECOVERY_CODES:
            return True
        if not mfa_required_for(memberships=memberships_for(actor=authenticator.user)):
            return True
        return (
            Authenticator.objects.filter(
                user_id=authenticator.user_id,
                type__in=(Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN),
            )
            .exclude(pk=authenticator.pk)
            .exists()
        )
