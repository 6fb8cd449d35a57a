from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectConfig(AppConfig):
    name = "connect"
    verbose_name = _("Connect")

    def ready(self) -> None:
        from connect.documents import signals  # noqa: F401  (connects the provider webhook)
