"""Template helpers of the portal shell."""

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.models import ProcessingMode
from portal.models import AuditEvent
from users.models import FirmLevel, Language, Role

register = template.Library()

FIELD_LABELS = {
    "email": gettext_lazy("WinBooksID"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "language": gettext_lazy("Language"),
    "level": gettext_lazy("Level"),
    "active": gettext_lazy("Active"),
    "roles": gettext_lazy("Roles"),
    "code": gettext_lazy("Code"),
    "name": gettext_lazy("Name"),
    "enterprise_number": gettext_lazy("Enterprise number"),
    "connect_enabled": gettext_lazy("Connect"),
    "accountant": gettext_lazy("Accountant"),
    "default_processing_mode": gettext_lazy("Default processing mode"),
    "expires_at": gettext_lazy("Valid until"),
    "off": gettext_lazy("Reports switched off"),
}


def _display(key: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "roles":
        return ", ".join(str(Role(v).label) if v in Role.values else v for v in value)
    if key == "off":
        from portal.reports import REPORTS

        titles = {report.key: str(report.title) for report in REPORTS}
        return ", ".join(titles.get(v, v) for v in value)
    if key == "level" and value in FirmLevel.values:
        return str(FirmLevel(value).label)
    if key == "language" and value in Language.values:
        return str(Language(value).label)
    if key == "default_processing_mode" and value in ProcessingMode.values:
        return str(ProcessingMode(value).label)
    return str(value)


@register.simple_tag
def audit_changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    """(field, before, after) lines of an audit event, in the reader's language."""
    keys = list(dict.fromkeys([*event.before, *event.after]))
    return [
        (
            str(FIELD_LABELS.get(key, key)),
            _display(key, event.before.get(key)) if key in event.before else "",
            _display(key, event.after.get(key)),
        )
        for key in keys
    ]
