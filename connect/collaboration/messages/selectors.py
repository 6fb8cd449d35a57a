"""Reads of messages. Each takes the acting user: the threads of the dossiers where they hold a
Connect role (as an active member of the firm); another dossier's thread is a 404."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from connect.models import Document, Message, Thread, ThreadRead, not_others_drafts
from core.lookups import get_or_404
from dossiers.access import in_connect_reach
from dossiers.models import Dossier
from users.models import User

#: Messages shown on a thread's page (the newest ones).
THREAD_PAGE_SIZE = 200


def _threads_for(actor: User) -> QuerySet[Thread]:
    """Threads of the actor's Connect dossiers. A thread about a document follows the
    document: a draft on the client's desk is the client's (``not_others_drafts``)."""
    return in_connect_reach(Thread.objects.all(), actor).filter(
        Q(document__isnull=True) | not_others_drafts(actor, prefix="document__")
    )


def _unread(actor: User) -> QuerySet[Message]:
    """Messages of others that the actor has not read (none read yet: all of them)."""
    read = ThreadRead.objects.filter(
        thread_id=OuterRef("thread_id"), user=actor, read_at__gte=OuterRef("created_at")
    )
    return Message.objects.filter(~Q(author=actor)).filter(~Exists(read))


def thread_list_for(*, actor: User, dossier: Dossier | None = None) -> QuerySet[Thread]:
    """The actor's threads (of one dossier, or of all their dossiers), most recent first, each
    with ``unread``: how many messages of others they have not read. One query."""
    threads = _threads_for(actor)
    if dossier is not None:
        threads = threads.filter(dossier=dossier)
    unread = (
        _unread(actor)
        .filter(thread_id=OuterRef("pk"))
        .order_by()
        .values("thread_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    return (
        threads.annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0))
        .select_related("dossier", "document", "created_by")
        .order_by("-last_message_at", "-id")
    )


def thread_get_for(*, actor: User, public_id: object) -> Thread:
    return get_or_404(
        _threads_for(actor).select_related("dossier__firm", "document", "created_by"), public_id
    )


def document_thread_for(*, actor: User, document: Document) -> Thread | None:
    """The conversation about ``document`` (one reached by ``document_get_for``), if any."""
    return _threads_for(actor).filter(document=document).order_by("created_at", "id").first()


@dataclass(frozen=True)
class ThreadPage:
    messages: list[Message]
    #: Older messages exist that are not shown.
    truncated: bool
    #: Until when the actor had read the thread before this page (None: never opened).
    read_at: datetime | None


def thread_messages_for(*, actor: User, thread: Thread) -> ThreadPage:
    """The newest messages of a thread reached by ``thread_get_for``, oldest first, with their
    authors and attachments and the actor's read mark: one query whatever the length, which
    finds messages only while the thread is in the actor's reach (finding none, it asks
    whether the thread still is: 404 if not)."""
    read = ThreadRead.objects.filter(thread=thread, user=actor).values_list("read_at", flat=True)
    rows: list[Message] = list(
        Message.objects.filter(thread=thread, thread__in=_threads_for(actor).values("pk"))
        .annotate(actor_read_at=Subquery(read[:1]))
        .select_related("author", "attachment")
        .order_by("-created_at", "-id")[: THREAD_PAGE_SIZE + 1]
    )
    if rows:
        read_at = getattr(rows[0], "actor_read_at", None)
    elif _threads_for(actor).filter(pk=thread.pk).exists():
        read_at = read.first()
    else:
        raise Http404
    return ThreadPage(
        messages=rows[:THREAD_PAGE_SIZE][::-1],
        truncated=len(rows) > THREAD_PAGE_SIZE,
        read_at=read_at,
    )


UNREAD_CACHE_SECONDS = 120


def _unread_key(user_id: int) -> str:
    return f"unread-messages:{user_id}"


def unread_count_cached(*, actor: User) -> int:
    """The header's count, kept in the shared cache; cleared when a message reaches the user
    or the user reads a thread (``unread_count_forget``), and at most two minutes old for the
    rare other changes (a role removed)."""
    key = _unread_key(actor.pk)
    count = cache.get(key)
    if count is None:
        count = unread_count_for(actor=actor)
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return int(count)


def unread_count_forget(user_ids: Iterable[int]) -> None:
    """After the change commits: the next page counts again."""
    keys = [_unread_key(pk) for pk in user_ids]
    if keys:
        cache.delete_many(keys)
        # Again after commit: a page counting meanwhile would have kept the old number.
        transaction.on_commit(lambda: cache.delete_many(keys))


def unread_count_for(*, actor: User) -> int:
    """Messages of others the actor has not read, across every dossier where they hold a
    Connect role and are an active member. One query, whatever the number of threads."""
    if not actor.is_authenticated or not actor.is_active:
        return 0
    return _unread(actor).filter(thread__in=_threads_for(actor).values("id")).count()
