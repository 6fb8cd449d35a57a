from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from core import db_scope
        from portal import ratelimit

        db_scope.connect_celery_signals()
        db_scope.connect_auth_signals()
        ratelimit.install()


class PortalAdminConfig(AdminConfig):
    """The Django admin, open to superusers (the platform operator) only."""

    default_site = "portal.admin.PortalAdminSite"
