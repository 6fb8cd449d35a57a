"""Reads of Connect. Each takes the acting user; a document or binder out of reach is a 404."""

import uuid

from django.db.models import Q, QuerySet
from django.http import Http404

from connect.models import INVOICE_CATEGORIES, Binder, Document, Source, Status
from dossiers.models import Dossier
from dossiers.selectors import dossier_connect_list_for
from users.models import User

#: The client's tabs: which documents each shows.
TABS = {
    "desk": Q(status__in=(Status.DRAFT, Status.REJECTED)) & ~Q(source=Source.SHARED),
    "sent": Q(status__in=(Status.SENT, Status.VALIDATED, Status.RETRIEVED)),
    "archive": Q(status=Status.BOOKED),
    "shared": Q(source=Source.SHARED),
}
SECTIONS = {
    "invoices": Q(category__in=INVOICE_CATEGORIES),
    "documents": ~Q(category__in=INVOICE_CATEGORIES),
}


def document_list_for(
    *, actor: User, dossier: Dossier, section: str, tab: str, binder: Binder | None = None
) -> QuerySet[Document]:
    """One tab of the client's Connect for a dossier the actor holds a Connect role on."""
    if not dossier_connect_list_for(actor=actor).filter(pk=dossier.pk).exists():
        return Document.objects.none()
    documents = Document.objects.filter(dossier=dossier).filter(TABS[tab])
    if tab != "shared":
        documents = documents.filter(SECTIONS[section])
    if binder is not None:
        documents = documents.filter(binder=binder)
    return documents.select_related("binder").order_by("-uploaded_at", "-id")


def document_get_for(*, actor: User, public_id: object) -> Document:
    try:
        uid = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except (TypeError, ValueError):
        raise Http404 from None
    document = (
        Document.objects.filter(
            public_id=uid, dossier__in=dossier_connect_list_for(actor=actor).values("id")
        )
        .select_related("dossier__firm", "binder")
        .first()
    )
    if document is None:
        raise Http404
    return document


def binder_list_for(*, actor: User, dossier: Dossier) -> list[Binder]:
    if not dossier_connect_list_for(actor=actor).filter(pk=dossier.pk).exists():
        return []
    return list(Binder.objects.filter(dossier=dossier).order_by("builtin", "name"))


def binder_get_for(*, actor: User, dossier: Dossier, public_id: object) -> Binder:
    try:
        uid = uuid.UUID(str(public_id))
    except (TypeError, ValueError):
        raise Http404 from None
    for binder in binder_list_for(actor=actor, dossier=dossier):
        if binder.public_id == uid:
            return binder
    raise Http404
