"""The audit of reads (docs/architecture.md, "Audit of reads"): the service that records who
read which document, and the selectors of a dossier's list for the staff of its firm."""

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from connect.models import Document, DocumentRead, Source, Status
from core.pagination import rows_after, time_cursor_decode, time_cursor_encode
from dossiers.models import Dossier
from dossiers.selectors import dossier_staff_list_for
from users.models import ApiToken, User

#: How much of the client's address is kept: enough to tell an office or a provider from
#: another, not the subscriber.
IPV4_PREFIX = 24
IPV6_PREFIX = 48


@dataclass(frozen=True)
class Reader:
    """Who reads: the user, the API token if the read came through one, their network."""

    actor: User
    token: ApiToken | None
    network: str | None


def client_network(request: Any) -> str | None:
    """The client's address (as allauth's login throttle finds it, behind the same trusted
    proxies), trimmed to its network."""
    try:
        address = ipaddress.ip_address(get_adapter(request).get_client_ip(request))
    except (PermissionDenied, ValueError):
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def reader_of(request: Any) -> Reader:
    """The reader of a web request (session) or of an API request (Bearer token)."""
    auth = getattr(request, "auth", None)
    return Reader(
        actor=request.user,
        token=auth if isinstance(auth, ApiToken) else None,
        network=client_network(request),
    )


def document_reads_record(*, reader: Reader, documents: Iterable[Document], how: str) -> int:
    """One row per document read, in one INSERT (a single read: in autocommit, no transaction
    around it). Called by the view that serves the read,
    once the document was found and its response built, before the first byte is sent: a
    refused read records nothing, a served one is never missing from the list."""
    at = timezone.now()
    rows = [
        DocumentRead(
            document_id=document.pk,
            dossier_id=document.dossier_id,
            document_public_id=document.public_id,
            filename=document.filename,
            actor=reader.actor,
            actor_email=reader.actor.email,
            token=reader.token,
            how=how,
            at=at,
            network=reader.network,
        )
        for document in documents
    ]
    if len(rows) == 1:
        rows[0].save(force_insert=True)  # one INSERT, without bulk_create's BEGIN and COMMIT
    else:
        DocumentRead.objects.bulk_create(rows)
    return len(rows)


# --- selectors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadFilters:
    """The list's filters: a period of days (both included, in the site's time zone), part of
    the reader's e-mail, how, part of the document's name."""

    start: date | None = None
    end: date | None = None
    user: str = ""
    how: str = ""
    document: str = ""


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _private_drafts(*, actor: User, dossier: Dossier) -> QuerySet[Document]:
    """The dossier's documents still private on the client's desk (a draft, or never sent;
    what the accountant shared is not the client's desk), except the actor's own uploads."""
    private = Q(status=Status.DRAFT) | (Q(sent_at__isnull=True) & ~Q(source=Source.SHARED))
    return Document.objects.filter(dossier=dossier).filter(private).exclude(uploaded_by=actor)


def document_reads_for(
    *, actor: User, dossier: Dossier, filters: ReadFilters | None = None
) -> QuerySet[DocumentRead]:
    """The reads of a dossier's documents, newest first, for the staff of its firm (anyone
    else: none; scoped in the same query). Reads of a document still on the client's desk
    are left out (the desk is private until sent; its uploader alone would see them)."""
    filters = filters or ReadFilters()
    reads = DocumentRead.objects.filter(
        dossier=dossier, dossier__in=dossier_staff_list_for(actor=actor).values("id")
    ).exclude(document__in=_private_drafts(actor=actor, dossier=dossier).values("id"))
    if filters.start:
        reads = reads.filter(at__gte=_day_start(filters.start))
    if filters.end:
        reads = reads.filter(at__lt=_day_start(filters.end + timedelta(days=1)))
    if filters.user:
        reads = reads.filter(actor_email__icontains=filters.user)
    if filters.how:
        reads = reads.filter(how=filters.how)
    if filters.document:
        reads = reads.filter(filename__icontains=filters.document)
    return reads.select_related("token").order_by("-at", "-id")


@dataclass(frozen=True)
class ReadPage:
    rows: list[DocumentRead]
    next_cursor: str | None


def document_read_page(
    *, actor: User, dossier: Dossier, filters: ReadFilters, cursor: str = "", size: int = 50
) -> ReadPage:
    """One page of the list, keyset on (at, id): any page costs what the first does."""
    reads = document_reads_for(actor=actor, dossier=dossier, filters=filters)
    position = time_cursor_decode(cursor) if cursor else None
    if position is not None and timezone.is_aware(position[0]):
        reads = reads.filter(rows_after(("at", "id"), position, descending=True))
    rows = list(reads[: size + 1])
    last = rows[size - 1] if len(rows) > size else None
    next_cursor = time_cursor_encode(last.at, last.pk) if last else None
    return ReadPage(rows=rows[:size], next_cursor=next_cursor)
