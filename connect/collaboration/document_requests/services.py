"""Document requests ("missing documents"): the accountant asks the client for documents, the
client answers by uploading into the request, the accountant accepts or asks for more.

States: requested -> provided (the client uploads) -> accepted, or -> more_needed (with the
accountant's note) -> provided again. The reminders of the requests still waiting are sent by
``connect.collaboration.reminders`` from these rows.

The reads of requests are here too, after the writes (each takes the acting user; a request
out of reach is a 404)."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from connect.documents.profiles import profile_of
from connect.documents.services import document_receive, documents_send
from connect.models import (
    REQUEST_WAITING,
    Category,
    Document,
    DocumentEvent,
    DocumentRequest,
    EventKind,
    RequestStatus,
    Source,
)
from core.errors import ServiceError
from core.lookups import get_or_404
from core.mail import email_enqueue
from dossiers.access import (
    connect_roles_for,
    dossier_users,
    in_connect_reach,
    require_connect_role,
)
from dossiers.models import Dossier, Role
from users.models import User

# --- who may do what --------------------------------------------------------------------------


def _require(actor: User, dossier: Dossier, role: str) -> None:
    if role == Role.CONNECT_ACCOUNTANT:
        message = _("Only the dossier's accountant can do this.")
    else:
        message = _("Only the dossier's client can answer a request.")
    require_connect_role(actor=actor, dossier=dossier, roles=(role,), message=message)


def _locked(document_request: DocumentRequest) -> DocumentRequest:
    return (
        DocumentRequest.objects.select_for_update(of=("self",))
        .select_related("dossier__firm")
        .get(pk=document_request.pk)
    )


# --- writes -----------------------------------------------------------------------------------


def request_create(
    *, actor: User, dossier: Dossier, description: str, period: str, due_date: date | None
) -> DocumentRequest:
    """The accountant asks the client for documents; the dossier's clients are told by e-mail."""
    _require(actor, dossier, Role.CONNECT_ACCOUNTANT)
    description = " ".join((description or "").split())[:500]
    period = " ".join((period or "").split())[:100]
    if not description:
        raise ServiceError(
            _("Say which documents you need."), code="description_required", field="description"
        )
    if due_date is None:
        raise ServiceError(_("Choose a due date."), code="due_date_required", field="due_date")
    if due_date < timezone.localdate():
        raise ServiceError(
            _("Choose a due date from today on."), code="due_date_past", field="due_date"
        )
    with transaction.atomic():
        created = DocumentRequest.objects.create(
            dossier=dossier,
            description=description,
            period=period,
            due_date=due_date,
            created_by=actor,
        )
        _notify(created, role=Role.CONNECT_ENTREPRENEUR, kind="created")
    return created


def request_upload(
    *,
    actor: User,
    document_request: DocumentRequest,
    uploads: Sequence[UploadedFile],
    category: str = Category.OTHER,
    due_date: date | None = None,
    amount: Decimal | None = None,
) -> list[Document]:
    """The client answers a request with one or several files: each is received like any other
    upload, linked to the request and sent to the accountant; the request becomes provided and
    the accountant is told.

    All or nothing: when one file is refused (or cannot be sent), no document, no stored file
    and no change of the request remain, and the client reads which file and why. A file whose
    bytes are already in the dossier is linked too when it is the client's own."""
    dossier = document_request.dossier
    _require(actor, dossier, Role.CONNECT_ENTREPRENEUR)
    files = [upload for upload in uploads if upload]
    if not files:
        raise ServiceError(
            _("Choose at least one file to send."), code="file_required", field="uploads"
        )
    if len(files) > settings.CONNECT_MAX_FILES_PER_REQUEST:
        raise ServiceError(
            ngettext(
                "Send at most %(count)d file at once.",
                "Send at most %(count)d files at once.",
                settings.CONNECT_MAX_FILES_PER_REQUEST,
            )
            % {"count": settings.CONNECT_MAX_FILES_PER_REQUEST},
            code="too_many_files",
            field="uploads",
        )
    stored: list[str] = []  # files written by this call, removed again if it fails
    try:
        with transaction.atomic():
            locked = _locked(document_request)
            if locked.status == RequestStatus.ACCEPTED:
                raise ServiceError(
                    _("This request was accepted: it takes no more documents."), code="state"
                )
            linked: list[Document] = []
            for upload in files:
                name = upload.name or "document"
                try:
                    result = document_receive(
                        dossier=dossier,
                        actor=actor,
                        filename=name,
                        chunks=upload.chunks(),
                        source=Source.WEB,
                        category=category,
                        due_date=due_date,
                        amount=amount,
                    )
                except ServiceError as error:
                    raise ServiceError(
                        _("%(name)s: %(reason)s") % {"name": name, "reason": error.message},
                        code=error.code,
                        field="uploads" if error.field in (None, "file") else error.field,
                    ) from error
                document = result.document
                if not result.duplicate:
                    stored.append(document.storage_name)
                elif document.source == Source.SHARED:
                    raise ServiceError(
                        _("%(name)s is a document your accountant shared with you.")
                        % {"name": name},
                        code="duplicate_shared",
                        field="uploads",
                    )
                elif document.request_id not in (None, locked.pk):
                    raise ServiceError(
                        _("%(name)s already answers another request.") % {"name": name},
                        code="duplicate_other_request",
                        field="uploads",
                    )
                if all(d.pk != document.pk for d in linked):
                    linked.append(document)
            for document in linked:
                if document.request_id != locked.pk:
                    document.request = locked
                    document.save(update_fields=["request"])
                DocumentEvent.objects.create(
                    document=document,
                    actor=actor,
                    kind=EventKind.REQUESTED,
                    note=locked.description[:500],
                )
            documents_send(actor=actor, dossier=dossier, documents=linked)
            locked.status = RequestStatus.PROVIDED
            locked.save(update_fields=["status", "updated_at"])
            _notify(locked, role=Role.CONNECT_ACCOUNTANT, kind="provided", documents=linked)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    document_request.status = locked.status
    return linked


def request_accept(*, actor: User, document_request: DocumentRequest) -> DocumentRequest:
    """The accountant has what they asked for: the request is closed."""
    _require(actor, document_request.dossier, Role.CONNECT_ACCOUNTANT)
    with transaction.atomic():
        locked = _locked(document_request)
        if locked.status != RequestStatus.PROVIDED:
            raise ServiceError(
                _("Only a request the client answered can be accepted."), code="state"
            )
        locked.status = RequestStatus.ACCEPTED
        locked.save(update_fields=["status", "updated_at"])
    return locked


def request_more_needed(
    *, actor: User, document_request: DocumentRequest, note: str
) -> DocumentRequest:
    """The answer is not enough: the client is told what is still missing and may upload
    again."""
    _require(actor, document_request.dossier, Role.CONNECT_ACCOUNTANT)
    note = " ".join((note or "").split())[:500]
    if not note:
        raise ServiceError(
            _("Tell the client what is still missing."), code="note_required", field="note"
        )
    with transaction.atomic():
        locked = _locked(document_request)
        if locked.status != RequestStatus.PROVIDED:
            raise ServiceError(
                _("Only a request the client answered can be sent back for more."), code="state"
            )
        locked.status = RequestStatus.MORE_NEEDED
        locked.note = note
        locked.save(update_fields=["status", "note", "updated_at"])
        _notify(locked, role=Role.CONNECT_ENTREPRENEUR, kind="more_needed")
    return locked


# --- e-mails ----------------------------------------------------------------------------------


def _people(dossier: Dossier, role: str) -> list[User]:
    """Active users holding ``role`` on the dossier who still belong to its firm."""
    return list(dossier_users(dossier=dossier, roles=(role,)).order_by("email"))


def _notify(
    document_request: DocumentRequest,
    *,
    role: str,
    kind: str,
    documents: Sequence[Document] = (),
) -> int:
    """Tell the clients (created, more_needed) or the accountants (provided), each in their
    language. The link opens the request after login."""
    audience = "client" if role == Role.CONNECT_ENTREPRENEUR else "accountant"
    url = settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "connect:request_detail", args=[document_request.public_id]
    )
    count = 0
    for user in _people(document_request.dossier, role):
        with translation.override(user.language):
            context = {
                "user": user,
                "request": document_request,
                "dossier": document_request.dossier,
                "documents": documents,
                "kind": kind,
                "url": url,
            }
            subject = render_to_string(
                f"connect/emails/request_{audience}_subject.txt", context
            ).strip()
            body = render_to_string(f"connect/emails/request_{audience}_body.txt", context)
        email_enqueue(
            EmailMultiAlternatives(subject=subject, body=body, to=[user.email]),
            kind=f"request.{kind}",
        )
        count += 1
    return count


# --- reads ------------------------------------------------------------------------------------


def request_list_for(
    *, actor: User, dossier: Dossier, status: str = ""
) -> QuerySet[DocumentRequest]:
    """The requests of a dossier the actor holds a Connect role on, soonest due first, each
    with its number of documents (one query whatever the page size)."""
    requests = in_connect_reach(DocumentRequest.objects.filter(dossier=dossier), actor)
    if status in RequestStatus.values:
        requests = requests.filter(status=status)
    return requests.annotate(document_count=Count("documents")).order_by("due_date", "id")


def request_get_for(*, actor: User, public_id: object) -> DocumentRequest:
    """One request of a dossier the actor holds a Connect role on; otherwise 404."""
    return get_or_404(
        in_connect_reach(DocumentRequest.objects.all(), actor).select_related(
            "dossier__firm", "created_by"
        ),
        public_id,
    )


def request_documents_for(*, actor: User, document_request: DocumentRequest) -> list[Document]:
    """The documents uploaded into a request, as the actor may see them (a client's draft
    stays theirs: the same rule as every other list of documents)."""
    return list(
        Document.objects.visible_to(actor)
        .filter(request=document_request, dossier_id=document_request.dossier_id)
        .select_related("uploaded_by")
        .order_by("uploaded_at", "id")
    )


def request_waiting_for(*, actor: User, dossier: Dossier) -> list[DocumentRequest]:
    """The requests still waiting for the client (requested, more needed), for the client's
    desk: empty for anyone who is not an entrepreneur of the dossier."""
    if Role.CONNECT_ENTREPRENEUR not in (connect_roles_for(actor=actor, dossier=dossier) or ()):
        return []
    return list(
        DocumentRequest.objects.filter(dossier=dossier, status__in=REQUEST_WAITING).order_by(
            "due_date", "id"
        )[:50]
    )


def request_upload_categories(dossier: Dossier) -> list[str]:
    """The categories the client may give the files of a request (the profile's choice)."""
    profile = profile_of(dossier)
    return profile.categories() if profile else list(Category.values)
