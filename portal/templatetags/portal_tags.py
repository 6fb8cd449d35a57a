"""Template helpers of the portal shell."""

import re
from typing import Any

from django import forms, template
from django.forms import BoundField
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import AuditEvent
from dossiers.models import FirmLevel, ProcessingMode, Role
from portal.templatetags.formats import day, moment
from users.models import Language
from view.reports import REPORTS

register = template.Library()

ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")

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
    "mfa_required_for_staff": capfirst(
        gettext_lazy("two-factor authentication required for staff")
    ),
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
        titles = {report.key: str(report.title) for report in REPORTS}
        return ", ".join(titles.get(v, v) for v in value)
    if key == "level" and value in FirmLevel.values:
        return str(FirmLevel(value).label)
    if key == "language" and value in Language.values:
        return str(Language(value).label)
    if key == "default_processing_mode" and value in ProcessingMode.values:
        return str(ProcessingMode(value).label)
    if isinstance(value, str) and ISO_MOMENT.match(value):
        # Points in time and days are stored as ISO strings: shown as the reader writes them.
        return moment(value) if "T" in value else day(value)
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


@register.filter
def is_checkbox(field: BoundField) -> bool:
    """A single checkbox (not a list of them): its label follows it."""
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def label_after(field: BoundField) -> str:
    """The label of a field that comes after it (a checkbox): no colon, in any language."""
    return field.label_tag(label_suffix="")
