"""Reads of Connect. Each takes the acting user; a document or binder out of reach is a 404."""

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404

from connect.models import (
    INVOICE_CATEGORIES,
    Binder,
    BuiltinBinder,
    CreditUse,
    Document,
    DocumentText,
    RememberedFact,
    Source,
    Status,
    SupplierMemory,
)
from core.lookups import get_or_404
from core.pagination import (
    name_cursor_decode,
    name_cursor_encode,
    rows_after,
    time_cursor_decode,
    time_cursor_encode,
)
from dossiers.access import carry_connect_roles, in_connect_reach, is_firm_staff, with_connect_roles
from dossiers.models import Dossier, Firm, FirmLevel, FirmMembership, Role
from users.models import User

#: A "new" document: ready for the desktop tool to retrieve, that is sent (or validated by the
#: accountant), through its processing mode's pipeline (``ready_at``), and not shared by the firm.
#: The API's "new" list and count and the firm dashboard's "new" group are these documents.
NEW_DOCUMENT = Q(status__in=(Status.SENT, Status.VALIDATED), ready_at__isnull=False) & ~Q(
    source=Source.SHARED
)


def new_documents(documents: QuerySet[Document]) -> QuerySet[Document]:
    """The new documents (``NEW_DOCUMENT``) among ``documents``."""
    return documents.filter(NEW_DOCUMENT)


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


def document_visible_to(actor: User, document: Document) -> bool:
    """Whether ``actor`` may see ``document`` (``Document.objects.visible_to``)."""
    return Document.objects.visible_to(actor).filter(pk=document.pk).exists()


def document_list_for(
    *, actor: User, dossier: Dossier, section: str, tab: str, binder: Binder | None = None
) -> QuerySet[Document]:
    """One tab of the client's Connect for a dossier the actor holds a Connect role on."""
    documents = Document.objects.visible_to(actor).filter(dossier=dossier).filter(TABS[tab])
    if tab != "shared":
        documents = documents.filter(SECTIONS[section])
    if binder is not None:
        documents = documents.filter(binder=binder)
    return documents.select_related("binder").order_by("-uploaded_at", "-id")


def document_get_for(*, actor: User, public_id: object) -> Document:
    """One document the actor may see (else 404), with the actor's Connect roles on its
    dossier read in the same query (``connect_roles_for(dossier=document.dossier)`` then asks
    nothing more)."""
    documents = Document.objects.visible_to(actor).select_related("dossier__firm", "binder")
    document = get_or_404(with_connect_roles(documents, actor, "dossier"), public_id)
    carry_connect_roles(document, document.dossier)
    return document


@dataclass(frozen=True)
class Replacements:
    """The document a document replaces (the client's rejected file), and the one that
    replaced it, each where the reader may see it."""

    replaces: Document | None
    replaced_by: Document | None


def document_replacements_for(*, actor: User, document: Document) -> Replacements:
    """Both ends of a replacement, for a document the actor reached through
    ``document_get_for``: one query, scoped like it (a draft stays the client's)."""
    if document.replaces_id is None and document.status != Status.WITHDRAWN:
        return Replacements(replaces=None, replaced_by=None)  # only a withdrawn one is replaced
    linked = (
        Document.objects.visible_to(actor)
        .filter(dossier_id=document.dossier_id)
        .filter(Q(pk=document.replaces_id) | Q(replaces_id=document.pk))
        .only("public_id", "filename", "status", "reject_reason", "replaces_id")
    )
    found = list(linked)
    return Replacements(
        replaces=next((d for d in found if d.pk == document.replaces_id), None),
        replaced_by=next((d for d in found if d.replaces_id == document.pk), None),
    )


def binder_list_for(*, actor: User, dossier: Dossier) -> list[Binder]:
    binders = list(
        in_connect_reach(Binder.objects.filter(dossier=dossier), actor).select_related(
            "parent__parent"
        )
    )
    return sorted(binders, key=lambda b: (not b.locked, b.path.lower()))


def builtin_binders_present(binders: list[Binder]) -> bool:
    """Whether a dossier's binders (``binder_list_for``) hold every built-in binder."""
    return {b.builtin for b in binders}.issuperset(BuiltinBinder.values)


def binder_among(binders: list[Binder], public_id: object) -> Binder:
    """The binder with this public id among ``binders`` (``binder_list_for``); else 404."""
    try:
        uid = uuid.UUID(str(public_id))
    except (TypeError, ValueError):
        raise Http404 from None
    for binder in binders:
        if binder.public_id == uid:
            return binder
    raise Http404


# --- the accountant's inbox -----------------------------------------------------------------

INBOX_STATUSES = (Status.SENT, Status.VALIDATED, Status.RETRIEVED)


@dataclass(frozen=True)
class InboxFilters:
    dossier: Dossier | None = None
    category: str = ""
    status: str = ""
    sent_from: date | None = None
    sent_to: date | None = None


@dataclass(frozen=True)
class InboxPage:
    documents: list[Document]
    next_cursor: str | None


def accountant_dossiers_for(*, actor: User) -> QuerySet[Dossier]:
    """Dossiers with Connect on where the actor is the accountant (connect.accountant): the
    Connect reach (``dossier_connect_list_for``) narrowed to that one role, in one subquery
    of roles rather than two."""
    return (
        Dossier.objects.with_role(actor, (Role.CONNECT_ACCOUNTANT,))
        .filter(connect_enabled=True)
        .select_related("firm")
    )


class DossierRow(NamedTuple):
    """What the inbox shows of a dossier (its filter, its rows)."""

    id: int
    public_id: uuid.UUID
    code: str
    name: str


@dataclass(frozen=True)
class AccountantDossiers:
    """An actor's dossiers as accountant, read once (``accountant_dossier_rows_for``), by code."""

    actor_id: int
    rows: tuple[DossierRow, ...]


def accountant_dossier_rows_for(*, actor: User) -> AccountantDossiers:
    """``accountant_dossiers_for`` as plain rows, in one query: a page that shows them (the
    inbox's filter, each row's dossier) gives the same set to its documents' query."""
    rows = (
        accountant_dossiers_for(actor=actor)
        .order_by("code")
        .values_list("id", "public_id", "code", "name")
    )
    return AccountantDossiers(actor_id=actor.pk, rows=tuple(DossierRow(*row) for row in rows))


def inbox_documents_for(
    *, actor: User, filters: InboxFilters, within: AccountantDossiers | None = None
) -> QuerySet[Document]:
    """The inbox's documents, filtered, unordered (the work queue orders them its way).
    ``within``: the actor's dossiers as the page has read them already; their ids go to the
    query as a list of numbers, which PostgreSQL plans faster than the same set as a
    subquery whose tables each carry a row-level-security policy. Another actor's set is
    refused."""
    dossiers: Any
    if within is None:
        dossiers = accountant_dossiers_for(actor=actor).values("id")
    elif within.actor_id != actor.pk:
        raise ValueError("the dossiers were read for another actor")
    else:
        dossiers = [row.id for row in within.rows]
    documents = Document.objects.filter(dossier__in=dossiers, sent_at__isnull=False).exclude(
        source=Source.SHARED
    )
    documents = (
        documents.filter(status=filters.status)
        if filters.status
        else documents.filter(status__in=INBOX_STATUSES)
    )
    if filters.dossier is not None:
        documents = documents.filter(dossier=filters.dossier)
    if filters.category:
        documents = documents.filter(category=filters.category)
    if filters.sent_from:
        documents = documents.filter(sent_at__date__gte=filters.sent_from)
    if filters.sent_to:
        documents = documents.filter(sent_at__date__lte=filters.sent_to)
    return documents


def inbox_for(*, actor: User, filters: InboxFilters, cursor: str = "", size: int = 50) -> InboxPage:
    """Documents sent and not yet booked, across the actor's dossiers as accountant, newest
    first, with keyset pagination on (sent_at, id): page 2,000 costs what page 1 does."""
    documents = inbox_documents_for(actor=actor, filters=filters)
    position = time_cursor_decode(cursor) if cursor else None
    if position is not None:
        documents = documents.filter(rows_after(("sent_at", "id"), position, descending=True))
    rows = list(documents.select_related("dossier").order_by("-sent_at", "-id")[: size + 1])
    next_cursor = (
        time_cursor_encode(rows[size - 1].sent_at, rows[size - 1].pk) if len(rows) > size else None
    )
    return InboxPage(documents=rows[:size], next_cursor=next_cursor)


def dossier_to_handle_counts_for(*, actor: User) -> dict[int, int]:
    """The documents waiting for the accountant (sent or validated, not yet booked or rejected,
    being read or not) per dossier where the actor is the accountant: the accountant home's "To
    handle". Not ``NEW_DOCUMENT``, which is what the desktop tool may retrieve."""
    rows = (
        Document.objects.filter(
            dossier__in=accountant_dossiers_for(actor=actor).values("id"),
            status__in=(Status.SENT, Status.VALIDATED),
        )
        .values("dossier_id")
        .annotate(count=Count("id"))
    )
    return {row["dossier_id"]: row["count"] for row in rows}


#: The expression of the GIN index of migration 0006: the four languages' stemming together.
SEARCH_VECTOR = (
    "(to_tsvector('french'::regconfig, connect_documenttext.text) || "
    "to_tsvector('dutch'::regconfig, connect_documenttext.text) || "
    "to_tsvector('german'::regconfig, connect_documenttext.text) || "
    "to_tsvector('english'::regconfig, connect_documenttext.text))"
)
SEARCH_QUERY = (
    "(plainto_tsquery('french'::regconfig, %s) || plainto_tsquery('dutch'::regconfig, %s) || "
    "plainto_tsquery('german'::regconfig, %s) || plainto_tsquery('english'::regconfig, %s))"
)


# Constants only; the user's query is a parameter.
SEARCH_SQL = (
    "SELECT document_id FROM connect_documenttext WHERE "  # noqa: S608
    + SEARCH_VECTOR
    + " @@ "
    + SEARCH_QUERY
)


def document_search(documents: QuerySet[Document], query: str) -> QuerySet[Document]:
    """Documents whose name, keyword or comment holds ``query``, or whose text (read from the
    PDF, by OCR or from the e-invoice) matches it in French, Dutch, German or English. On
    PostgreSQL the text is searched through its full-text index; elsewhere with LIKE."""
    query = " ".join(query.split())[:200]
    if not query:
        return documents
    by_fields = (
        Q(filename__icontains=query) | Q(keyword__icontains=query) | Q(comment__icontains=query)
    )
    if connection.vendor == "postgresql":
        texts: Any = RawSQL(  # noqa: S611 - fixed SQL; the query is a parameter
            SEARCH_SQL, [query] * 4
        )
    else:
        texts = DocumentText.objects.filter(text__icontains=query).values("document_id")
    return documents.filter(by_fields | Q(id__in=texts))


# --- the supplier memory ---------------------------------------------------------------------


def supplier_memory_firms_for(*, actor: User) -> QuerySet[Firm]:
    """Firms whose supplier memory the actor may see and forget: those where they keep a
    dossier as accountant (the review queue's rule), and those where they are licence
    admin."""
    if not actor.is_authenticated or not actor.is_active:
        return Firm.objects.none()
    admin_of = (
        FirmMembership.objects.active()
        .filter(user=actor, level=FirmLevel.LICENCE_ADMIN)
        .values("firm_id")
    )
    accountant_of = accountant_dossiers_for(actor=actor).values("firm_id")
    return Firm.objects.filter(Q(id__in=admin_of) | Q(id__in=accountant_of)).order_by("name")


@dataclass(frozen=True)
class SupplierMemoryPage:
    memories: list[SupplierMemory]
    next_cursor: str | None


def supplier_memory_list_for(
    *, actor: User, query: str = "", cursor: str = "", size: int = 50
) -> SupplierMemoryPage:
    """The supplier memories of the actor's firms, by name, with their remembered facts
    (two queries whatever the count), keyset pages on (name, id); ``query`` searches the
    name, VAT number and IBAN."""
    memories = SupplierMemory.objects.filter(
        firm_id__in=supplier_memory_firms_for(actor=actor).values("id")
    )
    if query:
        compact = re.sub(r"[\s.]", "", query).upper()
        memories = memories.filter(
            Q(name__icontains=query) | Q(vat__contains=compact) | Q(iban__contains=compact)
        )
    position = name_cursor_decode(cursor) if cursor else None
    if position is not None:
        memories = memories.filter(rows_after(("name", "id"), position, descending=False))
    rows = list(
        memories.select_related("firm")
        .prefetch_related(Prefetch("facts", queryset=RememberedFact.objects.order_by("id")))
        .order_by("name", "id")[: size + 1]
    )
    more = len(rows) > size
    rows = rows[:size]
    return SupplierMemoryPage(
        memories=rows, next_cursor=name_cursor_encode(rows[-1].name, rows[-1].pk) if more else None
    )


def supplier_memory_get_for(*, actor: User, public_id: object) -> SupplierMemory:
    return get_or_404(
        SupplierMemory.objects.filter(
            firm_id__in=supplier_memory_firms_for(actor=actor).values("id")
        ),
        public_id,
    )


def left_the_desk(dossier: Dossier | int) -> QuerySet[Document]:
    """What the client sent: not the desk, not what they took back (withdrawn: deleted after a
    rejection, or replaced by a corrected file, which counts instead). View counts from it."""
    return (
        Document.objects.filter(dossier=dossier)
        .exclude(status__in=(Status.DRAFT, Status.WITHDRAWN))
        .order_by()
    )


def credit_uses_for(*, actor: User, firm: Firm) -> QuerySet[CreditUse]:
    """The firm's credit ledger, newest first, for its staff (``firm`` already checked)."""
    if not is_firm_staff(user=actor, firm_id=firm.pk):
        return CreditUse.objects.none()
    return (
        CreditUse.objects.filter(firm=firm)
        .select_related("dossier", "document", "user")
        .order_by("-created_at", "-id")
    )
