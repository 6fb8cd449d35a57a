"""Writes on documents after they are received: facts, name, binder, sending, binders."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connect.documents.files import extension_of, safe_filename
from connect.documents.profiles import profile_of
from connect.documents.services.pipeline import pipeline_start
from connect.documents.services.receive import missing_facts
from connect.models import (
    Binder,
    Category,
    Document,
    DocumentEvent,
    EventKind,
    Source,
    Status,
)
from core.errors import ServiceError
from dossiers.access import require_connect_role
from dossiers.models import Dossier, Role
from users.models import User

#: What the client may still change: documents on the desk (new, or rejected to correct).
EDITABLE = (Status.DRAFT, Status.REJECTED)

FORBIDDEN = _("You cannot change documents of this dossier.")


def _require_role(actor: User, dossier: Dossier, role: str) -> None:
    require_connect_role(actor=actor, dossier=dossier, roles=(role,), message=FORBIDDEN)


def document_update(
    *,
    actor: User,
    document: Document,
    filename: str,
    category: str,
    keyword: str,
    due_date: date | None,
    amount: Decimal | None,
    paid: bool,
    comment: str,
    binder: Binder | None,
) -> Document:
    """The client's facts, name and binder of a document still on their desk. The extension
    of the name cannot change (it says what the file is)."""
    _require_role(actor, document.dossier, Role.CONNECT_ENTREPRENEUR)
    if document.status not in EDITABLE or document.source == Source.SHARED:
        raise ServiceError(
            _("This document was sent to the accountant and can no longer be changed."),
            code="not_editable",
        )
    profile = profile_of(document.dossier)
    allowed = profile.categories() if profile else list(Category.values)
    if category not in allowed:
        raise ServiceError(_("Choose a category."), code="category_invalid", field="category")
    if amount is not None and (amount <= 0 or amount >= Decimal("1e12")):
        raise ServiceError(
            _("Enter an amount greater than zero."), code="amount_invalid", field="amount"
        )
    if binder is not None and (binder.dossier_id != document.dossier_id or binder.locked):
        raise ServiceError(_("Choose one of your binders."), code="binder_invalid", field="binder")
    extension = extension_of(document.filename)
    name = safe_filename(filename)
    if extension_of(name).lower() != extension.lower():
        name = safe_filename(f"{name}{extension}")
    document.filename = name
    document.category = category
    document.keyword = keyword.strip()[:100]
    document.due_date = due_date
    document.amount = amount
    # An invoice in a payment file stays paid (unticking would offer it for payment again).
    document.paid = paid or document.payment_lines.exists()
    document.comment = comment.strip()[:2000]
    document.binder = binder
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.status not in EDITABLE or locked.source == Source.SHARED:
            raise ServiceError(
                _("This document was sent to the accountant and can no longer be changed."),
                code="not_editable",
            )
        document.save(
            update_fields=[
                "filename",
                "category",
                "keyword",
                "due_date",
                "amount",
                "paid",
                "comment",
                "binder",
            ]
        )
        DocumentEvent.objects.create(document=document, actor=actor, kind=EventKind.CHANGED)
    return document


def documents_send(*, actor: User, dossier: Dossier, documents: Iterable[Document]) -> int:
    """Send documents of the desk to the accountant; returns how many left the desk. When one
    lacks a fact the dossier's profile requires, none is sent and the client is told which.
    The accountant may send what they uploaded themselves (a sender script, a scanner)."""
    roles = require_connect_role(actor=actor, dossier=dossier, message=FORBIDDEN)
    documents = list(documents)
    own_uploads = all(d.uploaded_by_id == actor.pk for d in documents)
    if Role.CONNECT_ACCOUNTANT in roles and Role.CONNECT_ENTREPRENEUR not in roles and own_uploads:
        needed = Role.CONNECT_ACCOUNTANT
    else:
        needed = Role.CONNECT_ENTREPRENEUR
    if needed not in roles:
        raise ServiceError(FORBIDDEN, code="forbidden")
    ids = [d.pk for d in documents if d.dossier_id == dossier.pk]
    profile = profile_of(dossier)
    with transaction.atomic():
        candidates = list(
            Document.objects.select_for_update()
            .filter(pk__in=ids, dossier=dossier, status__in=EDITABLE)
            .exclude(source=Source.SHARED)
            .order_by("uploaded_at", "id")
        )
        for document in candidates:
            facts = missing_facts(document, profile)
            if facts:
                raise ServiceError(
                    _("%(name)s cannot be sent yet: add its %(facts)s.")
                    % {"name": document.filename, "facts": ", ".join(facts)},
                    code="facts_required",
                )
        now = timezone.now()
        for document in candidates:
            document.status, document.sent_at, document.reject_reason = Status.SENT, now, ""
            document.save(update_fields=["status", "sent_at", "reject_reason"])
            DocumentEvent.objects.create(document=document, actor=actor, kind=EventKind.SENT)
            pipeline_start(document=document, profile=profile)
        return len(candidates)


def binder_create(
    *, actor: User, dossier: Dossier, name: str, parent: Binder | None = None
) -> Binder:
    """A binder of the client's own (or a sub-folder of one)."""
    _require_role(actor, dossier, Role.CONNECT_ENTREPRENEUR)
    name = " ".join((name or "").split())[:100]
    if not name:
        raise ServiceError(_("Give the binder a name."), code="name_required", field="name")
    if parent is not None and parent.parent_id is not None:
        raise ServiceError(
            _("A sub-folder cannot hold another one."), code="binder_depth", field="parent"
        )
    if parent is not None and (parent.dossier_id != dossier.pk or parent.locked):
        raise ServiceError(_("Choose one of your binders."), code="binder_invalid", field="parent")
    if Binder.objects.filter(dossier=dossier, parent=parent, name__iexact=name).exists():
        raise ServiceError(
            _("A binder with this name already exists here."), code="binder_taken", field="name"
        )
    try:
        with transaction.atomic():
            return Binder.objects.create(dossier=dossier, parent=parent, name=name)
    except IntegrityError:
        raise ServiceError(
            _("A binder with this name already exists here."), code="binder_taken", field="name"
        ) from None
