"""The client's own corrections on the desk: delete a document that was never sent, take back a
rejected one, or replace it with a new file (the rejected one is kept in the history)."""

from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _

from connect.documents.pages import page_storage_names
from connect.documents.services.documents import EDITABLE, _require_role
from connect.documents.services.receive import ReceiveResult, document_receive
from connect.models import Document, DocumentEvent, EventKind, Source, Status
from core.errors import ServiceError
from dossiers.models import Role
from users.models import User


def _locked_for_client(actor: User, document: Document) -> Document:
    """The document, locked, while it is the client's to change: a draft, or rejected."""
    _require_role(actor, document.dossier, Role.CONNECT_ENTREPRENEUR)
    locked = Document.objects.select_for_update().get(pk=document.pk)
    if locked.status not in EDITABLE or locked.source == Source.SHARED:
        raise ServiceError(
            _("This document was sent to the accountant and can no longer be changed."),
            code="not_editable",
        )
    return locked


def document_delete(*, actor: User, document: Document) -> bool:
    """Delete a document from the desk. One that never left it is removed with its file (the
    reads of it are the client's own); one the accountant rejected is withdrawn: gone from
    every list, its history kept for the firm. Returns whether the rows were removed."""
    with transaction.atomic():
        locked = _locked_for_client(actor, document)
        if locked.sent_at is None:
            names = [locked.storage_name, locked.thumbnail_name, *page_storage_names(locked)]
            names += list(locked.attachments.values_list("storage_name", flat=True))
            try:
                with transaction.atomic():
                    locked.reads.all().delete()
                    locked.delete()
            except ProtectedError:
                raise ServiceError(
                    _("This document is used elsewhere (a payment file) and cannot be deleted."),
                    code="protected",
                ) from None
            transaction.on_commit(lambda: _remove_files(names))
            return True
        locked.status = Status.WITHDRAWN
        locked.save(update_fields=["status"])
        DocumentEvent.objects.create(document=locked, actor=actor, kind=EventKind.WITHDRAWN)
        return False


def _remove_files(names: Iterable[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


def document_replace(
    *, actor: User, document: Document, filename: str, chunks: Iterable[bytes]
) -> ReceiveResult:
    """A new file for a document on the desk (rejected, or a draft): received with the old
    one's category, keyword, comment and binder, linked to it, on the desk (the caller
    sends it unless the client keeps it there). The old document is withdrawn with a
    "replaced" event, the new one has a "replaces" event naming it; the same bytes again are
    refused (nothing changes)."""
    with transaction.atomic():
        old = _locked_for_client(actor, document)
        result = document_receive(
            dossier=old.dossier,
            actor=actor,
            filename=filename,
            chunks=chunks,
            source=Source.WEB,
            category=old.category,
            keyword=old.keyword,
            comment=old.comment,
        )
        if result.duplicate:
            raise ServiceError(
                _("This file is already in the dossier: choose the corrected file."),
                code="duplicate",
            )
        new = result.document
        try:
            new.replaces = old
            new.binder = old.binder if old.binder and not old.binder.locked else None
            new.request = old.request
            new.save(update_fields=["replaces", "binder", "request"])
            old.status = Status.WITHDRAWN
            old.save(update_fields=["status"])
            DocumentEvent.objects.create(
                document=old, actor=actor, kind=EventKind.REPLACED, note=new.filename[:500]
            )
            DocumentEvent.objects.create(
                document=new, actor=actor, kind=EventKind.REPLACES, note=old.filename[:500]
            )
        except BaseException:
            default_storage.delete(new.storage_name)
            raise
    return result
