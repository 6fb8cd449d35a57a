"""A new password ends the person's API tokens: whoever set it (the person, a reset link, an
operator), every path saves the user after ``set_password``."""

from typing import Any

from django.db.models.signals import post_save

from users.models import TokenRevokedBecause, User


def _password_set(sender: Any, instance: User, created: bool, **extra: Any) -> None:
    # AbstractBaseUser.save keeps the new raw password in ``_password`` until after post_save.
    if created or getattr(instance, "_password", None) is None:
        return
    from users.services import api_tokens_revoke_for

    api_tokens_revoke_for(user=instance, because=TokenRevokedBecause.PASSWORD)


def connect() -> None:
    post_save.connect(_password_set, sender=User, dispatch_uid="users.tokens.password_set")
