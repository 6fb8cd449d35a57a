from django.http import HttpRequest

from users.models import User


class AuthedRequest(HttpRequest):
    """A request behind ``login_required``: its user is a real, logged-in User."""

    user: User
