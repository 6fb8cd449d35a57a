"""Connect: a document's bytes (download, page images, thumbnail, attachments), preview retry."""

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connect.documents.downloads import stored_file_response
from connect.documents.pages import PageError, page_image, page_numbers
from connect.documents.reads import document_reads_record, reader_of
from connect.documents.selectors import (
    document_get_for,
)
from connect.documents.services.previews import document_preview_retry
from connect.models import (
    Document,
    DocumentRead,
    Processing,
    ReadKind,
)
from core.errors import ServiceError
from users.types import AuthedRequest


@login_required
def attachment(request: AuthedRequest, document_id: str, attachment_id: str) -> HttpResponseBase:
    """A file embedded in an e-invoice: always downloaded, never shown inline."""
    current = document_get_for(actor=request.user, public_id=document_id)
    found = current.attachments.filter(public_id=attachment_id).first()
    if found is None:
        raise Http404
    response = stored_file_response(
        found.storage_name,
        as_attachment=True,
        filename=found.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    document_reads_record(reader=reader_of(request), documents=[current], how=ReadKind.ATTACHMENT)
    return response


@login_required
def page(request: AuthedRequest, document_id: str, number: int) -> HttpResponseBase:
    """One page as an image, made on its first request (connect.documents.pages). Part of the
    document's page, whose read is recorded; a page image fetched on its own is recorded as a
    read of the page. A file in quarantine is not rendered."""
    import logging

    current = document_get_for(actor=request.user, public_id=document_id)
    if number not in page_numbers(current) or current.processing == Processing.QUARANTINED:
        raise Http404  # a file put aside after crashing the worker is not rendered here
    try:
        name = page_image(current, number)
    except PageError as error:
        logging.getLogger(__name__).warning("page %s of document %s: %s", number, current.pk, error)
        return HttpResponse(
            _("This page could not be shown."),
            status=HTTPStatus.SERVICE_UNAVAILABLE,
            content_type="text/plain; charset=utf-8",
        )
    response = stored_file_response(name, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    _record_page_read(request, current)
    return response


def _record_page_read(request: AuthedRequest, document: Document) -> None:
    """A page image shows the whole page: fetched without the document's page (whose read is
    recorded), it is recorded as a read of the page; fetched with it, it adds nothing."""
    from datetime import timedelta

    from django.utils import timezone

    recent = DocumentRead.objects.filter(
        document=document,
        actor=request.user,
        how=ReadKind.PAGE,
        at__gte=timezone.now() - timedelta(hours=1),
    )
    if not recent.exists():
        document_reads_record(reader=reader_of(request), documents=[document], how=ReadKind.PAGE)


@login_required
@require_POST
def preview_retry(request: AuthedRequest, document_id: str) -> HttpResponse:
    """Make a failed preview again (the client's or the accountant's button)."""
    from django.http import QueryDict

    current = document_get_for(actor=request.user, public_id=document_id)
    try:
        document_preview_retry(actor=request.user, document=current)
    except ServiceError as error:
        messages.info(request, str(error.message))
    else:
        messages.success(request, _("The preview is being made again."))
    back = reverse("connect:document", args=[current.public_id])
    query = QueryDict(request.POST.get("queue", "")).urlencode()
    return redirect(f"{back}?{query}" if query else back)


@login_required
def thumbnail(request: AuthedRequest, document_id: str) -> HttpResponseBase:
    """Part of the document's page (whose read is recorded): not recorded itself."""
    current = document_get_for(actor=request.user, public_id=document_id)
    if not current.thumbnail_name:
        raise Http404
    response = stored_file_response(current.thumbnail_name, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def download(request: AuthedRequest, document_id: str) -> HttpResponseBase:
    """The bytes as received, always as an attachment (never shown inline)."""
    current = document_get_for(actor=request.user, public_id=document_id)
    response = stored_file_response(
        current.storage_name,
        as_attachment=True,
        filename=current.filename,
        content_type=current.content_type,
        size=current.size,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Content-SHA256"] = current.sha256
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    document_reads_record(reader=reader_of(request), documents=[current], how=ReadKind.DOWNLOAD)
    return response
