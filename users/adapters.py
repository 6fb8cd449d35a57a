"""allauth glue: no public sign-up, every mail rendered in the recipient's language and sent
through Celery, ``next`` limited to local paths (the firm's two-factor rule is the shell's:
``portal.adapters.MFAAdapter``)."""

from collections.abc import Iterable
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from django.http import HttpRequest
from django.utils import translation

from core.mail import email_enqueue
from users.models import TokenRevokedBecause, User, normalize_winbooks_id
from users.redirects import is_safe_next
from users.services import api_tokens_revoke_for


class AccountAdapter(DefaultAccountAdapter):
    """The person's side of login; where a login lands is the shell's
    (``portal.adapters.AccountAdapter``, the one the settings name)."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def is_safe_url(self, url: str | None) -> bool:
        """Login, logout, re-authentication and the two-factor pages redirect to ``next``
        only when it is a path of this site."""
        return is_safe_next(url, request=context.request)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        user = context.get("user")
        if not isinstance(user, User):
            user = User.objects.filter(email=normalize_winbooks_id(email)).first()
        language = user.language if user else translation.get_language()
        with translation.override(language):
            message = self.render_mail(template_prefix, email, context)
        email_enqueue(message, kind=template_prefix.rsplit("/", 1)[-1][:50])


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions: Iterable[Any]) -> None:
        """Logging out other sessions also revokes the person's API tokens: a stolen token is
        one more session."""
        sessions = list(sessions)
        for user_id in {s.user_id for s in sessions}:
            api_tokens_revoke_for(user=User(pk=user_id), because=TokenRevokedBecause.SESSIONS)
        super().end_sessions(sessions)
