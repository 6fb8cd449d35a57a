"""API v1 (DESIGN.md §4): which documents of a dossier a list or a zip holds."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from connect.documents.selectors import new_documents
from connect.models import Document, Status
from core.errors import ServiceError
from dossiers.models import Dossier
from users.models import User

#: The statuses a list may ask for: "new" (ready for retrieval) or a lifecycle status.
LIST_STATUSES = ("new", *Status.values)


def documents_for_status(actor: User, dossier: Dossier, wanted: str) -> QuerySet[Document]:
    if wanted not in LIST_STATUSES:
        raise ServiceError(
            _("Unknown status: choose new or one of %(statuses)s.")
            % {"statuses": ", ".join(Status.values)},
            code="status_invalid",
        )
    documents = Document.objects.visible_to(actor).filter(dossier=dossier)
    if wanted == "new":
        return new_documents(documents)
    if wanted == Status.DRAFT:
        # A client's desk is theirs until they send.
        return documents.none()
    return documents.filter(status=wanted)
