"""Connect for the accountant: the inbox across their dossiers, a work queue sorted by any column,
worked in bulk or one document after the other (the rows, their filters, the bulk actions)."""

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.signals import setting_changed
from django.http import Http404, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connect.documents import services
from connect.documents.forms import BookForm, InboxFilterForm
from connect.documents.inbox_html import RowTexts, options_html, row_html
from connect.documents.queue import (
    DEFAULT_SORT,
    QueueOrder,
    QueueRow,
    queue_documents_get_for,
    queue_order,
    queue_rows_for,
)
from connect.documents.reads import document_reads_record, reader_of
from connect.documents.selectors import (
    AccountantDossiers,
    DossierRow,
    InboxFilters,
    accountant_dossier_rows_for,
    accountant_dossiers_for,
)
from connect.documents.services.supplier_accounts import iban_changes_for
from connect.documents.words import FACT_LABELS
from connect.documents.zips import zip_response
from connect.models import Category, Document, ReadKind, Recognition, Status
from core.dates import day, moment
from core.errors import ServiceError
from core.forms import form_status
from core.numbers import as_decimal, money
from dossiers.members import request_memberships
from dossiers.models import Dossier
from users.models import User
from users.types import AuthedRequest

#: Below this, a reading is "to check" (as on the document's page).
DOUBTFUL = Decimal("0.8")


@dataclass(frozen=True)
class QueueContext:
    """Where the accountant stands in the work queue: its filters and order, read from the
    query string that the inbox and each document's page carry along."""

    actor: User
    form: InboxFilterForm
    filters: InboxFilters
    order: QueueOrder
    #: The filters and the order (no cursor), to carry from page to page.
    query: str

    @cached_property
    def reach(self) -> AccountantDossiers:
        """The actor's dossiers as accountant, read once."""
        return accountant_dossier_rows_for(actor=self.actor)


def queue_context(actor: User, params: QueryDict) -> QueueContext:
    kept = {k: str(v) for k, v in params.items() if k in InboxFilterForm.base_fields and v}
    # The dossiers a chosen one is checked against; no filter given, nothing to check (the
    # options shown are ``QueueContext.reach``).
    dossiers = (
        accountant_dossiers_for(actor=actor).order_by("code") if kept else Dossier.objects.none()
    )
    form = InboxFilterForm(params if kept else None, dossiers=dossiers)
    filters = InboxFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = InboxFilters(
            dossier=data["dossier"],
            category=data["category"],
            status=data["status"],
            sent_from=data["sent_from"],
            sent_to=data["sent_to"],
        )
    order = queue_order(params.get("sort"))
    if order.param != DEFAULT_SORT:
        kept["sort"] = order.param
    return QueueContext(
        actor=actor,
        form=form,
        filters=filters,
        order=order,
        query=urlencode(kept),
    )


def member_firm_ids(request: AuthedRequest) -> list[int]:
    """The firms of the user's active memberships, read once per request (the header shows
    them): the work queue narrows to them, so that PostgreSQL reads one firm's index
    (``queue._in_firms``)."""
    return [m.firm_id for m in request_memberships(request)]


def queue_url(document: Document | None, query: str) -> str:
    """A document's page in the queue, or the inbox when there is none left."""
    if document is None:
        url = reverse("connect:inbox")
    else:
        url = reverse("connect:document", args=[document.public_id])
    return f"{url}?{query}" if query else url


#: The inbox's sortable columns and their headers.
COLUMNS = (
    ("supplier", gettext_lazy("Supplier")),
    ("number", gettext_lazy("Invoice number")),
    ("date", gettext_lazy("Invoice date")),
    ("total", gettext_lazy("Total")),
    ("confidence", gettext_lazy("Confidence")),
    ("dossier", gettext_lazy("Dossier")),
    ("sent", gettext_lazy("Sent")),
    ("status", gettext_lazy("Status")),
)


@login_required
def inbox(request: AuthedRequest) -> HttpResponse:
    queue = queue_context(request.user, request.GET)
    page = queue_rows_for(
        actor=request.user,
        filters=queue.filters,
        order=queue.order,
        cursor=request.GET.get("cursor", ""),
        firm_ids=member_firm_ids(request),
        within=queue.reach,
    )
    pairs = [(k, str(v)) for k, v in QueryDict(queue.query).items()]
    next_url = None
    if page.next_cursor:
        next_url = "?" + urlencode([*pairs, ("cursor", page.next_cursor)])
    unsorted = [(k, v) for k, v in pairs if k != "sort"]
    columns = []
    for key, label in COLUMNS:
        current = queue.order.key == key
        columns.append(
            {
                "key": key,
                "label": label,
                "url": "?" + urlencode([*unsorted, ("sort", queue.order.toggled(key))]),
                "aria_sort": ("descending" if queue.order.descending else "ascending")
                if current
                else "",
            }
        )
    rows = inbox_rows(
        page.rows,
        queue.query,
        dossiers={row.id: row for row in queue.reach.rows},
    )
    return render(
        request,
        "connect/inbox.html",
        {
            "form": queue.form,
            "filters": inbox_filter_fields(queue.form, queue.reach.rows),
            "rows": rows,
            # One text: the rows are built by code (connect/documents/inbox_html.py).
            "rows_html": mark_safe("\n".join(row["html"] for row in rows)),  # noqa: S308
            "columns": columns,
            "sort": queue.order.param,
            "next_url": next_url,
            "dossier": queue.filters.dossier,
            "queue_query": queue.query,
        },
        status=form_status(queue.form) if queue.form.is_bound else 200,
    )


def row_texts() -> dict[str, str]:
    """The words every row repeats (its cells' labels on a phone, its badges, its dossier's
    links), translated once per page rather than by a tag in each row."""
    return {key: str(label) for key, label in COLUMNS} | {
        "replacement": _("Replacement"),
        "iban_change": _("New bank account for this supplier"),
        "sender_unverified": _("sender not verified"),
        "profile": _("Connect settings"),
        "share": _("Share a document"),
        "binders": _("The client's binders"),
    }


def inbox_filter_fields(
    form: InboxFilterForm, dossiers: Sequence[DossierRow]
) -> list[dict[str, Any]]:
    """The filter form's fields as plain option lists: rendered by one small loop instead of
    Django's widget templates (the inbox is the accountant's busiest page)."""
    data = form.data if form.is_bound else {}
    fields = []
    for name, field in form.fields.items():
        options: list[tuple[str, str]] | None = None
        if name == "dossier":
            # Plain values: neither the dossiers as models nor their firms.
            options = [("", str(_("All")))] + [
                (str(row.public_id), f"{row.code} · {row.name}") for row in dossiers
            ]
        elif hasattr(field, "choices"):
            options = [(str(value), str(label)) for value, label in field.choices]
        value = data.get(name, "")
        fields.append(
            {
                "name": name,
                "label": field.label,
                "value": value,
                "options": options,
                "options_html": options_html(options, value) if options is not None else "",
                "errors": form.errors.get(name, []) if form.is_bound else [],
            }
        )
    return fields


def _url_prefix(name: str) -> str:
    """A URL taking one uuid, cut before it: rows build theirs without a reverse() each."""
    zero = uuid.UUID(int=0)
    return reverse(name, args=[zero]).split(str(zero))[0]


def read_total(facts: dict[str, Any] | None) -> Decimal | None:
    """The total read from the document: with VAT, else the amount to pay."""
    facts = facts or {}
    total = as_decimal(facts.get("total_incl_vat"))
    return total if total is not None else as_decimal(facts.get("payable_amount"))


def typed_differs(facts: dict[str, Any] | None, typed: Decimal | None) -> bool:
    """Whether the client's amount says something else than the document: it matches when it
    is either the total with VAT or the amount to pay (which an e-invoice fills in, and which
    is less than the total after a prepayment)."""
    facts = facts or {}
    read = [as_decimal(facts.get(key)) for key in ("total_incl_vat", "payable_amount")]
    known = [value for value in read if value is not None]
    return typed is not None and bool(known) and typed not in known


def lowest_confidence(facts: dict[str, Any] | None) -> tuple[Decimal, str] | None:
    """The least sure of the facts read, and which one."""
    confidences = (facts or {}).get("confidences") or {}
    found = [
        (value, str(key))
        for key, raw in confidences.items()
        if (value := as_decimal(raw)) is not None
    ]
    return min(found) if found else None


@dataclass(frozen=True)
class RowWords:
    """The words and addresses every inbox row uses, in one language (``_row_words``)."""

    categories: dict[str, str]
    statuses: dict[str, str]
    labels: dict[str, str]
    #: What the processing mode still owes, shown beside the status.
    pipeline: dict[str, str]
    lowest: str
    choose: str
    links: str
    mismatch: str
    urls: tuple[str, str, str]
    texts: RowTexts


@functools.lru_cache(maxsize=16)
def _row_words(language: str | None) -> RowWords:
    """Translated once per language and process, not once per page: the words of the rows
    (the template's blocktranslate would translate them again for every row) and the rows'
    address prefixes. ``language`` is the active one (the key of the cache)."""
    return RowWords(
        categories={value: str(label) for value, label in Category.choices},
        statuses={value: str(label) for value, label in Status.choices},
        labels={key: str(label) for key, label in FACT_LABELS.items()},
        pipeline={
            Recognition.PENDING: str(Recognition.PENDING.label),
            Recognition.REVIEW: str(Recognition.REVIEW.label),
        },
        lowest=_("lowest: %(fact)s %(value)d %%"),
        choose=_("Choose %(name)s"),
        links=_("Links of the dossier %(code)s"),
        mismatch=_("mismatch: the client typed %(value)s"),
        urls=(
            _url_prefix("connect:document"),
            _url_prefix("connect:thumbnail"),
            _url_prefix("connect:dossier"),
        ),
        texts=RowTexts(row_texts()),
    )


def _forget_row_words(**kwargs: Any) -> None:
    _row_words.cache_clear()


# A test that changes the URLs or the languages builds them again.
setting_changed.connect(_forget_row_words, dispatch_uid="connect_inbox_row_words")


def inbox_rows(
    documents: Sequence[QueueRow], query: str, dossiers: Mapping[int, DossierRow]
) -> list[dict[str, Any]]:
    """What each inbox row shows, and the row as HTML (connect/documents/inbox_html.py), its
    words translated once per language (``_row_words``; the inbox is the accountant's
    busiest page). ``dossiers``: the documents' dossiers by id, as the page read them."""
    words = _row_words(get_language())
    document_url, thumbnail_url, dossier_url = words.urls
    suffix = f"?{query}" if query else ""
    # Documents sent together share their time: each distinct one is formatted once.
    sent_texts: dict[Any, str] = {}
    iban_changes = iban_changes_for(documents)
    # What a row says of its dossier, once per dossier (a page shows a few dozen at most).
    dossier_texts: dict[int, dict[str, str]] = {}
    rows = []
    for document in documents:
        facts = document.recognized or {}
        total = read_total(facts)
        confidence = as_decimal(facts.get("confidence"))
        lowest = lowest_confidence(facts)
        public_id = str(document.public_id)
        of_dossier = dossier_texts.get(document.dossier_id)
        if of_dossier is None:
            dossier = dossiers[document.dossier_id]
            dossier_base = f"{dossier_url}{dossier.public_id}/"
            of_dossier = dossier_texts[document.dossier_id] = {
                "dossier": dossier.code,
                "links_text": words.links % {"code": dossier.code},
                "dossier_name": dossier.name,
                "dossier_filter": "?" + urlencode({"dossier": str(dossier.public_id)}),
                "profile_url": f"{dossier_base}profile/",
                "share_url": f"{dossier_base}share/",
                "binders_url": f"{dossier_base}documents/?tab=shared",
            }
        rows.append(
            {
                "public_id": public_id,
                "url": f"{document_url}{public_id}/{suffix}",
                "thumbnail": f"{thumbnail_url}{public_id}/thumbnail.png"
                if document.thumbnail_name
                else "",
                "filename": document.filename,
                "sender_unverified": document.sender_unverified,
                "supplier": facts.get("supplier_name") or "",
                "number": facts.get("invoice_number") or "",
                "date": facts.get("issue_date") or "",
                "total": total,
                "currency": facts.get("currency") or document.currency,
                "confidence": confidence,
                "doubtful": confidence is not None and confidence < DOUBTFUL,
                "confidence_pct": round(confidence * 100) if confidence is not None else None,
                "lowest_text": words.lowest
                % {"fact": words.labels.get(lowest[1], lowest[1]), "value": round(lowest[0] * 100)}
                if lowest and lowest[0] < DOUBTFUL
                else "",
                "total_text": money(total, facts.get("currency") or document.currency)
                if total is not None
                else "—",
                "typed": document.amount,
                "typed_currency": document.currency,
                "mismatch": (mismatch := typed_differs(document.recognized, document.amount)),
                "mismatch_text": words.mismatch
                % {"value": money(document.amount, document.currency)}
                if mismatch
                else "",
                "choose_text": words.choose % {"name": document.filename},
                "date_text": day(facts.get("issue_date")) or "—",
                **of_dossier,
                "category": words.categories.get(document.category, document.category),
                "status": words.statuses.get(document.status, document.status),
                "pipeline": words.pipeline.get(document.recognition, "")
                if document.status in (Status.SENT, Status.VALIDATED)
                else "",
                "sent_at": document.sent_at,
                "sent_text": sent_texts.get(document.sent_at)
                or sent_texts.setdefault(document.sent_at, moment(document.sent_at)),
                "iban_change": document.pk in iban_changes,
                # The client's corrected file for a rejected one (its own column: no query).
                "replacement": document.replaces_id is not None,
            }
        )
        rows[-1]["html"] = row_html(rows[-1], words.texts)
    return rows


BULK_ACTIONS = ("validate", "book", "download")


@login_required
@require_POST
def inbox_bulk(request: AuthedRequest) -> HttpResponseBase:
    """Validate, book or download the documents chosen in the inbox. Each is validated or
    booked by the same service as on its page; one that cannot be is named with the reason,
    the others go through. An id out of the accountant's reach: 404, nothing done."""
    action = request.POST.get("action", "")
    if action not in BULK_ACTIONS:
        raise Http404
    back = reverse("connect:inbox")
    query = request.POST.get("queue", "")
    back = f"{back}?{queue_context(request.user, QueryDict(query)).query}" if query else back
    chosen = request.POST.getlist("documents")
    if not chosen:
        messages.info(request, _("Choose the documents first."))
        return redirect(back)
    documents = queue_documents_get_for(actor=request.user, public_ids=chosen)
    if action == "download":
        return _zip_response(request, documents)
    form = BookForm(request.POST) if action == "book" else None
    if form is not None and not form.is_valid():
        messages.error(request, _("Enter the booking number."))
        return redirect(back)
    done = 0
    for document in documents:
        try:
            if form is not None:
                services.document_book(
                    actor=request.user,
                    document=document,
                    booking_number=form.cleaned_data["booking_number"],
                )
            else:
                services.document_validate(actor=request.user, document=document)
        except ServiceError as error:
            messages.error(request, f"{document.filename}: {error.message}")
        else:
            done += 1
    if done and form is not None:
        messages.success(
            request,
            ngettext("%(count)d document was booked.", "%(count)d documents were booked.", done)
            % {"count": done},
        )
    elif done:
        messages.success(
            request,
            ngettext(
                "%(count)d document was validated.", "%(count)d documents were validated.", done
            )
            % {"count": done},
        )
    return redirect(back)


def _zip_response(request: AuthedRequest, documents: list[Document]) -> HttpResponseBase:
    """The chosen files in one zip, streamed (each file read when the zip reaches it)."""
    response = zip_response(documents, f"documents_{timezone.localdate():%Y-%m-%d}.zip")
    # One read per document, recorded before the first byte of the zip leaves.
    document_reads_record(reader=reader_of(request), documents=documents, how=ReadKind.DOWNLOAD)
    return response
