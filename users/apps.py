from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = _("Users")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from users import signals

        signals.connect()
        user_logged_in.connect(_names_own_at_first_login, dispatch_uid="users.names_own")


def _names_own_at_first_login(
    sender: object, request: object, user: object, **kwargs: object
) -> None:
    """Once the person has logged in, their names are their own (no firm changes them)."""
    from users.models import User
    from users.services import names_confirm

    if isinstance(user, User) and user.names_confirmed_at is None:
        names_confirm(user=user)
