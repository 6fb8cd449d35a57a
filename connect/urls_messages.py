"""Connect routes for messages (included in connect/urls.py, in the "connect" namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
