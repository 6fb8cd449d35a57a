"""View: the accountant's firm dashboard and the report switches (included in the "portal"
namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
