"""allauth glue: no public sign-up, and every mail rendered in the recipient's language and sent
through Celery."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.utils import translation

from portal.mail import email_enqueue
from users.models import User, normalize_winbooks_id


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        user = context.get("user")
        if not isinstance(user, User):
            user = User.objects.filter(email=normalize_winbooks_id(email)).first()
        language = user.language if user else translation.get_language()
        with translation.override(language):
            message = self.render_mail(template_prefix, email, context)
        email_enqueue(message, kind=template_prefix.rsplit("/", 1)[-1][:50])
