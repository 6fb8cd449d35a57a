from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _


class PortalAdminSite(admin.AdminSite):
    site_header = _("Portal administration")
    site_title = _("Portal administration")
    index_title = _("Firms and licences")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """The admin has no login form of its own: the site's login (rate limits, two-factor
        authentication) comes first, then ``next`` leads back here."""
        return secure_admin_login(super().login)(request, extra_context)
