"""The person's signal handlers. A new password ends the person's API tokens: whoever set it
(the person, a reset link, an operator), every path saves the user after ``set_password``. Once
the person has logged in, their names are their own (no firm changes them)."""

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save

from users.models import TokenRevokedBecause, User
from users.services import api_tokens_revoke_for, names_confirm


def _password_set(sender: Any, instance: User, created: bool, **extra: Any) -> None:
    # AbstractBaseUser.save keeps the new raw password in ``_password`` until after post_save.
    if created or getattr(instance, "_password", None) is None:
        return

    api_tokens_revoke_for(user=instance, because=TokenRevokedBecause.PASSWORD)


def _names_own_at_first_login(
    sender: object, request: object, user: object, **kwargs: object
) -> None:
    if isinstance(user, User) and user.names_confirmed_at is None:
        names_confirm(user=user)


def connect() -> None:
    post_save.connect(_password_set, sender=User, dispatch_uid="users.tokens.password_set")
    user_logged_in.connect(_names_own_at_first_login, dispatch_uid="users.names_own")
