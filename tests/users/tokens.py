"""Helpers for the API token tests."""

from http import HTTPStatus

from django.test import Client

from tests.factories import PASSWORD


def reauthenticate(client: Client) -> None:
    """Type the password again, as allauth asks before a token is made."""
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND, response.content[:500]
