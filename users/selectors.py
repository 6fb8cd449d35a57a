"""Reads about the person: their own memberships, the menu and the two-factor rule that
follow from them, their own API tokens. Each takes the acting user. The firm's side (its
users, their roles) is in dossiers/members.py."""

from django.db.models import QuerySet

from core.lookups import get_or_404
from users.models import ApiToken, User

#: The session remembers whether the menu offers "API tokens" to a client (a query otherwise
#: on every page); the token page forgets it when a token is made or revoked.
MENU_API_TOKENS = "portal_menu_api_tokens"


def api_token_list_for(*, actor: User) -> QuerySet[ApiToken]:
    """The actor's own tokens, newest first (a token is never shown to anyone else)."""
    return ApiToken.objects.filter(user=actor).order_by("revoked_at", "-created_at", "-id")


def api_token_get_for(*, actor: User, public_id: object) -> ApiToken:
    return get_or_404(ApiToken.objects.filter(user=actor), public_id)
