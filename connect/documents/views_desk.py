"""The client's desk beyond uploading: what needs their action (rejected documents), sending
what waits on the desk, deleting and replacing a document."""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from connect.documents import services
from connect.documents.files import ACCEPTED
from connect.documents.forms import ReplaceForm
from connect.documents.selectors import document_get_for
from connect.models import INVOICE_CATEGORIES, Document, Source, Status
from core.errors import ServiceError
from dossiers.access import connect_roles_for
from dossiers.models import Dossier, Role
from dossiers.selectors import dossier_connect_get_for
from users.types import AuthedRequest

#: Rejected documents shown as cards at the top of the desk (the rest: in the list).
CARDS = 20


def desk_context(request: AuthedRequest, dossier: Dossier) -> dict[str, Any]:
    """For the dossier's entrepreneur: the rejected documents to act on, and how many
    documents wait on the desk without having been sent."""
    own = (
        Document.objects.visible_to(request.user)
        .filter(dossier=dossier)
        .exclude(source=Source.SHARED)
    )
    invoice = Q(category__in=INVOICE_CATEGORIES)
    draft = Q(status=Status.DRAFT)
    # One query for the three counts, reading the two statuses they count from the desk's
    # index (dossier, status) rather than every document of the dossier.
    counts = own.filter(status__in=(Status.REJECTED, Status.DRAFT)).aggregate(
        rejected=Count("pk", filter=Q(status=Status.REJECTED)),
        unsent_invoices=Count("pk", filter=draft & invoice),
        unsent_documents=Count("pk", filter=draft & ~invoice),
    )
    rejected = (  # the cards are read only when there are some
        list(own.filter(status=Status.REJECTED).order_by("-sent_at", "-id")[:CARDS])
        if counts["rejected"]
        else []
    )
    return {
        "rejected": rejected,
        "rejected_more": counts["rejected"] - len(rejected),
        "unsent_invoices": counts["unsent_invoices"],
        "unsent_documents": counts["unsent_documents"],
        "replace_form": ReplaceForm(),
    }


def _client_document(request: AuthedRequest, document_id: str) -> Document:
    current = document_get_for(actor=request.user, public_id=document_id)
    roles = connect_roles_for(actor=request.user, dossier=current.dossier) or ()
    if Role.CONNECT_ENTREPRENEUR not in roles or current.source == Source.SHARED:
        raise Http404
    return current


def _back(request: AuthedRequest, document: Document) -> HttpResponse:
    section = "invoices" if document.category in INVOICE_CATEGORIES else "documents"
    return redirect("connect:section", dossier_id=document.dossier.public_id, section=section)


def send_and_tell(request: AuthedRequest, dossier: Dossier, documents: Iterable[Document]) -> None:
    """Send documents of the desk and tell the client how many left it (or why none did)."""
    try:
        count = services.documents_send(actor=request.user, dossier=dossier, documents=documents)
    except ServiceError as error:
        messages.error(request, str(error.message))
        return
    if not count:
        messages.info(request, _("Choose the documents to send."))
        return
    messages.success(
        request,
        ngettext(
            "%(count)d document was sent to the accountant.",
            "%(count)d documents were sent to the accountant.",
            count,
        )
        % {"count": count},
    )


@login_required
@require_POST
def send_desk(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """Send every document that waits on the desk (the banner's action): the desk is the
    client's, anyone else learns nothing of it."""
    current = dossier_connect_get_for(actor=request.user, public_id=dossier_id)
    if Role.CONNECT_ENTREPRENEUR not in (
        connect_roles_for(actor=request.user, dossier=current) or ()
    ):
        raise Http404
    section = "documents" if request.POST.get("section") == "documents" else "invoices"
    drafts = (
        Document.objects.visible_to(request.user)
        .filter(dossier=current, status=Status.DRAFT)
        .exclude(source=Source.SHARED)
    )
    if section == "invoices":
        drafts = drafts.filter(category__in=INVOICE_CATEGORIES)
    else:
        drafts = drafts.exclude(category__in=INVOICE_CATEGORIES)
    send_and_tell(request, current, drafts)
    return redirect("connect:section", dossier_id=current.public_id, section=section)


@login_required
@require_POST
def delete(request: AuthedRequest, document_id: str) -> HttpResponse:
    current = _client_document(request, document_id)
    name = current.filename
    try:
        services.document_delete(actor=request.user, document=current)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("%(name)s was deleted.") % {"name": name})
    return _back(request, current)


@login_required
@require_POST
def replace(request: AuthedRequest, document_id: str) -> HttpResponse:
    """A new file in place of a rejected (or draft) document; sent unless kept on the desk."""
    current = _client_document(request, document_id)
    form = ReplaceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the new file."))
        return _back(request, current)
    upload = form.cleaned_data["file"]
    try:
        result = services.document_replace(
            actor=request.user, document=current, filename=upload.name, chunks=upload.chunks()
        )
    except ServiceError as error:
        messages.error(request, f"{upload.name}: {error.message}")
        return _back(request, current)
    new = result.document
    if new.status == Status.DRAFT and not form.cleaned_data["keep"]:
        try:
            services.documents_send(actor=request.user, dossier=new.dossier, documents=[new])
        except ServiceError as error:
            messages.warning(request, str(error.message))
            return _back(request, new)
        messages.success(
            request,
            _("%(new)s replaces %(old)s and was sent to the accountant.")
            % {"new": new.filename, "old": current.filename},
        )
    else:
        messages.success(
            request, _("%(new)s replaces %(old)s.") % {"new": new.filename, "old": current.filename}
        )
    return _back(request, new)


def _plural(forms: Callable[[int], str]) -> dict[str, str]:
    """Both forms of a counted message for the page's script, which picks one with the
    browser's plural rules of the page's language (one/other; French counts 0 as one, as
    gettext does). ``%(count)s`` stays in the text for the script to fill."""
    return {"one": forms(1), "other": forms(2)}


def upload_words() -> dict[str, Any]:
    """What the upload script says, in the reader's language, and what it checks before
    sending (the server checks again)."""
    from django.conf import settings

    return {
        "maxBytes": settings.CONNECT_MAX_UPLOAD_SIZE,
        "extensions": sorted({e for extensions in ACCEPTED.values() for e in extensions}),
        "sent": _plural(
            lambda n: ngettext(
                "%(count)s sent to the accountant", "%(count)s sent to the accountant", n
            )
        ),
        "kept": _plural(
            lambda n: ngettext("%(count)s kept on your desk", "%(count)s kept on your desk", n)
        ),
        "refused": _plural(lambda n: ngettext("%(count)s refused", "%(count)s refused", n)),
        "duplicate": _plural(
            lambda n: ngettext(
                "%(count)s already in the dossier", "%(count)s already in the dossier", n
            )
        ),
        "tooLarge": _("Too large: at most %(size)s MB per file.")
        % {"size": settings.CONNECT_MAX_UPLOAD_SIZE // (1024 * 1024)},
        "wrongType": _(
            "Not accepted: send a PDF, a photo (JPEG, PNG, TIFF, HEIC) or an XML e-invoice."
        ),
        "empty": _("This file is empty."),
        "nothing": _("Choose at least one file to send."),
        "lost": _("The connection was lost: this file was not received. Try again."),
        "remove": _("Remove"),
        "earlier": _("Move earlier"),
        "later": _("Move later"),
        "page": _("Page %(count)s"),
        "pages": _("Photos: pages 1 to %(count)s"),
        "details": _("Due date, amount, note"),
        "send": _("Add and send"),
        "keep": _("Add to my desk"),
        "sending": _("Sending…"),
        "photosOne": _("These photos become one PDF document, in this order."),
        # The strip's limits: as many pages as files the server takes at once, and the
        # photos together no larger than one document may be.
        "maxPages": settings.CONNECT_MAX_FILES_PER_REQUEST,
        "limitReached": _plural(
            lambda n: ngettext(
                "%(count)s page is the most one document can have: send it, then photograph "
                "the rest.",
                "%(count)s pages are the most one document can have: send them, then "
                "photograph the rest.",
                n,
            )
        ),
        "tooManyPages": _plural(
            lambda n: ngettext(
                "Too many pages: one document can have at most %(count)s page. Remove pages "
                "before sending.",
                "Too many pages: one document can have at most %(count)s pages. Remove pages "
                "before sending.",
                n,
            )
        ),
        "pagesTooLarge": _(
            "These pages together are over %(size)s MB, the most one document can be. Remove "
            "pages before sending, or send them as two documents."
        )
        % {"size": settings.CONNECT_MAX_UPLOAD_SIZE // (1024 * 1024)},
        # Translators: the upload's summary: the counts ("1 sent · 2 refused"), then the
        # reasons of the refusals.
        "refusedBecause": _("%(counts)s: %(reasons)s"),
    }
