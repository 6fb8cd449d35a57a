"""Messages: conversations (threads) of a dossier's users, general or about one document.

Who sees what: every user holding a Connect role on the dossier (and still an active member of
its firm) sees all of its threads; nobody else does.

An attachment is received like any other document of the dossier (``document_receive``), and
it must be visible to both sides at once:

* written by the accountant, the file is shared into the dossier's built-in binder "Reports and
  miscellaneous operations" (``source=shared``): the client finds it there too, and it never
  enters the retrieval queue. Received as a plain upload it would have become a draft on the
  client's desk that the client did not put there.
* written by the client, the file is received on their desk and sent to the accountant at
  once, under the dossier's usual rules (pre-validation, required facts): a client who attaches
  a file to a message is giving it to the accountant. Kept as a draft, the accountant could not
  open it (the desk is the client's until they send).

A refused file refuses the whole message: no message, no document row, no stored file."""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from connect.collaboration.messages.selectors import unread_count_forget
from connect.documents.selectors import document_visible_to
from connect.documents.services.binders import binders_ensure
from connect.documents.services.documents import documents_send
from connect.documents.services.receive import document_receive
from connect.models import (
    Binder,
    BuiltinBinder,
    Category,
    Document,
    Message,
    Source,
    Status,
    Thread,
    ThreadRead,
)
from core.errors import ServiceError
from core.mail import email_enqueue
from dossiers.access import dossier_users, require_connect_role
from dossiers.models import Dossier, Role
from users.models import User

BODY_MAX = 5000
SUBJECT_MAX = 200


def _require_member(actor: User, dossier: Dossier) -> frozenset[str]:
    """The actor's Connect roles on the dossier; none (or not a member any more): refused."""
    return require_connect_role(
        actor=actor, dossier=dossier, message=_("You cannot write in this dossier.")
    )


def _clean_body(body: str) -> str:
    body = (body or "").replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        raise ServiceError(_("Write a message."), code="body_required", field="body")
    if len(body) > BODY_MAX:
        raise ServiceError(
            _("Write at most %(max)d characters.") % {"max": BODY_MAX},
            code="body_too_long",
            field="body",
        )
    return body


def _clean_subject(subject: str) -> str:
    return " ".join((subject or "").replace("\x00", "").split())[:SUBJECT_MAX]


def thread_create(
    *,
    actor: User,
    dossier: Dossier,
    subject: str,
    body: str,
    document: Document | None = None,
    filename: str = "",
    chunks: Iterable[bytes] | None = None,
) -> Thread:
    """Start a conversation of ``dossier`` with its first message (and optional file).

    About a document: one conversation per document; when it already has one, the message
    is added to it (two people starting it at the same time end up in the same thread)."""
    roles = _require_member(actor, dossier)
    body = _clean_body(body)
    subject = _clean_subject(subject)
    if document is not None:
        if document.dossier_id != dossier.pk or not document_visible_to(actor, document):
            raise ServiceError(_("Choose a document of this dossier."), code="document_invalid")
        if document.status == Status.DRAFT:
            raise ServiceError(
                _("Send this document to the accountant before writing about it."),
                code="document_draft",
            )
        subject = subject or _clean_subject(document.filename)
    if not subject:
        raise ServiceError(
            _("Give the conversation a subject."), code="subject_required", field="subject"
        )
    with transaction.atomic():
        thread = None
        if document is not None:
            Document.objects.select_for_update().filter(pk=document.pk).first()
            thread = Thread.objects.filter(dossier=dossier, document=document).first()
        if thread is None:
            thread = Thread.objects.create(
                dossier=dossier, document=document, subject=subject, created_by=actor
            )
        _post(actor=actor, roles=roles, thread=thread, body=body, filename=filename, chunks=chunks)
    return thread


def message_post(
    *,
    actor: User,
    thread: Thread,
    body: str,
    filename: str = "",
    chunks: Iterable[bytes] | None = None,
) -> Message:
    """Answer in a thread; the dossier's other users are told by e-mail."""
    roles = _require_member(actor, thread.dossier)
    body = _clean_body(body)
    return _post(
        actor=actor, roles=roles, thread=thread, body=body, filename=filename, chunks=chunks
    )


def _post(
    *,
    actor: User,
    roles: frozenset[str],
    thread: Thread,
    body: str,
    filename: str,
    chunks: Iterable[bytes] | None,
) -> Message:
    stored: list[str] = []  # files stored for this message: removed if it fails
    try:
        with transaction.atomic():
            attachment = None
            if chunks is not None:
                attachment = _attach(
                    actor=actor,
                    roles=roles,
                    dossier=thread.dossier,
                    filename=filename,
                    chunks=chunks,
                    stored=stored,
                )
            message = Message.objects.create(
                thread=thread, author=actor, body=body, attachment=attachment
            )
            # Never backwards, when two messages are posted at once.
            Thread.objects.filter(pk=thread.pk).update(
                last_message_at=Greatest(
                    Coalesce("last_message_at", message.created_at), message.created_at
                )
            )
            thread.last_message_at = message.created_at
            _mark_read(actor=actor, thread=thread, until=message.created_at)
            _notify(thread=thread, message=message, author=actor)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return message


def _attach(
    *,
    actor: User,
    roles: frozenset[str],
    dossier: Dossier,
    filename: str,
    chunks: Iterable[bytes],
    stored: list[str],
) -> Document:
    """Receive the message's file so that both sides can open it (see the module's doc).
    The name of a newly stored file is added to ``stored``."""
    if Role.CONNECT_ACCOUNTANT in roles:
        result = document_receive(
            dossier=dossier,
            actor=actor,
            filename=filename,
            chunks=chunks,
            source=Source.SHARED,
            category=Category.OTHER,
            shared_into=_reports_binder(dossier),
        )
        if not result.duplicate:
            stored.append(result.document.storage_name)
        return result.document
    try:
        result = document_receive(
            dossier=dossier,
            actor=actor,
            filename=filename,
            chunks=chunks,
            source=Source.WEB,
            category=Category.OTHER,
        )
    except ServiceError as error:
        if error.code == "category_invalid":
            raise ServiceError(
                _("This dossier does not accept other documents: add the file on your desk."),
                code="category_invalid",
                field="file",
            ) from None
        raise
    document = result.document
    if not result.duplicate:
        stored.append(document.storage_name)
    if document.status == Status.DRAFT and document.source != Source.SHARED:
        try:
            documents_send(actor=actor, dossier=dossier, documents=[document])
        except ServiceError as error:
            raise ServiceError(
                _("The file cannot go with a message: %(reason)s") % {"reason": error.message},
                code=error.code,
                field="file",
            ) from None
        document.refresh_from_db(fields=["status", "sent_at"])
    return document


def _reports_binder(dossier: Dossier) -> Binder:
    """The built-in binder "Reports and miscellaneous operations" (created if need be)."""
    return {b.builtin: b for b in binders_ensure(dossier=dossier)}[BuiltinBinder.REPORTS]


def thread_mark_read(*, actor: User, thread: Thread, until: datetime | None = None) -> None:
    """The actor has read ``thread`` up to ``until`` (the newest message they were shown; now
    by default). Never moves back: a page opened earlier does not unread later messages."""
    _require_member(actor, thread.dossier)
    _mark_read(actor=actor, thread=thread, until=until or timezone.now())


def _mark_read(*, actor: User, thread: Thread, until: datetime) -> None:
    unread_count_forget([actor.pk])
    reads = ThreadRead.objects.filter(thread=thread, user=actor)
    if reads.update(read_at=Greatest(F("read_at"), Value(until))):
        return
    try:
        with transaction.atomic():
            ThreadRead.objects.create(thread=thread, user=actor, read_at=until)
    except IntegrityError:  # another request of the same user created it meanwhile
        reads.update(read_at=Greatest(F("read_at"), Value(until)))


def message_recipients(*, dossier: Dossier, author: User) -> list[User]:
    """The dossier's users with a Connect role, active members of its firm, minus the author."""
    return list(dossier_users(dossier=dossier).exclude(pk=author.pk).order_by("pk"))


def _notify(*, thread: Thread, message: Message, author: User) -> int:
    """One e-mail per recipient, in their language, with a link that opens the thread after
    login. The message itself stays behind the login: e-mails are forwarded, kept in
    mailboxes and read on shared screens, and what a client and their accountant write is
    often confidential (amounts, salaries, disputes)."""
    url = settings.PORTAL_BASE_URL.rstrip("/") + reverse("connect:thread", args=[thread.public_id])
    count = 0
    recipients = message_recipients(dossier=thread.dossier, author=author)
    unread_count_forget([user.pk for user in recipients])
    for user in recipients:
        with translation.override(user.language):
            context = {
                "user": user,
                "author": author,
                "thread": thread,
                "dossier": thread.dossier,
                "document": thread.document,
                "has_attachment": message.attachment_id is not None,
                "url": url,
            }
            subject = render_to_string("connect/emails/message_subject.txt", context).strip()
            text = render_to_string("connect/emails/message_body.txt", context)
        email_enqueue(
            EmailMultiAlternatives(subject=" ".join(subject.split()), body=text, to=[user.email]),
            kind="message.posted",
        )
        count += 1
    return count
