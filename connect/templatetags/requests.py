"""The client's panel of document requests still waiting for them, shown on their desk."""

from typing import Any

from django import template

from connect.collaboration.document_requests.services import request_waiting_for
from dossiers.models import Dossier

register = template.Library()


@register.inclusion_tag("connect/requests/desk_panel_items.html")
def request_desk_panel(dossier: Dossier, user: Any) -> dict[str, Any]:
    """The dossier's requests waiting for ``user`` (requested, more needed): none unless the
    user is one of the dossier's entrepreneurs."""
    if dossier is None or not getattr(user, "is_authenticated", False):
        return {"dossier": dossier, "waiting": []}
    return {"dossier": dossier, "waiting": request_waiting_for(actor=user, dossier=dossier)}
