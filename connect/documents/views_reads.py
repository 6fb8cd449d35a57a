"""The Portal's audit of reads of a dossier (the staff of its firm): the list with its filters,
and the same rows as CSV."""

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import tzinfo

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from connect.documents.forms_reads import ReadFilterForm
from connect.documents.reads import document_read_page, document_reads_for
from connect.models import DocumentRead, ReadKind
from core.csv import csv_cell
from core.forms import form_status
from dossiers.selectors import dossier_staff_get_for
from users.types import AuthedRequest

#: Rows fetched at a time while the CSV streams.
CSV_CHUNK = 2000


@login_required
@require_GET
def dossier_reads(request: AuthedRequest, dossier_id: str) -> HttpResponse:
    """Who read the dossier's documents, newest first, 50 at a time."""
    dossier = dossier_staff_get_for(actor=request.user, public_id=dossier_id)
    form = ReadFilterForm(request.GET or None)
    page = document_read_page(
        actor=request.user,
        dossier=dossier,
        filters=form.filters(),
        cursor=request.GET.get("cursor", ""),
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    filtered = query.urlencode()
    next_url = None
    if page.next_cursor:
        query["cursor"] = page.next_cursor
        next_url = "?" + query.urlencode()
    context = {
        "dossier": dossier,
        "form": form,
        "rows": page.rows,
        "next_url": next_url,
        "first_url": f"?{filtered}" if "cursor" in request.GET else None,
        "csv_url": reverse("portal:dossier_reads_csv", args=[dossier.public_id])
        + (f"?{filtered}" if filtered else ""),
    }
    return render(request, "portal/dossier_reads.html", context, status=form_status(form))


class _Echo:
    """A file for csv.writer that hands each line back instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(
    reads: Iterable[DocumentRead], header: list[str], hows: dict[str, str], zone: tzinfo
) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for read in reads:
        yield writer.writerow(
            [
                timezone.localtime(read.at, zone).isoformat(timespec="seconds"),
                csv_cell("text", read.actor_email),
                hows.get(read.how, read.how),
                csv_cell("text", read.filename),
                str(read.document_public_id),
                csv_cell("text", read.token),
                read.network or "",
            ]
        )


@login_required
@require_GET
@cache_control(private=True, no_cache=True)
def dossier_reads_csv(request: AuthedRequest, dossier_id: str) -> HttpResponseBase:
    """The reads the list's filters select, every one of them, streamed as CSV. Cells that a
    spreadsheet could take for a formula are quoted."""
    dossier = dossier_staff_get_for(actor=request.user, public_id=dossier_id)
    form = ReadFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():  # the list shows what is wrong
        back = reverse("portal:dossier_reads", args=[dossier.public_id])
        return redirect(f"{back}?{request.GET.urlencode()}")
    reads = document_reads_for(actor=request.user, dossier=dossier, filters=form.filters())
    # Translated now: the rows are written after the view has returned.
    header = [
        _("When"),
        _("User"),
        _("How"),
        _("Document"),
        _("Document id"),
        _("API token"),
        _("Network"),
    ]
    hows = {value: str(label) for value, label in ReadKind.choices}
    lines = _csv_lines(
        reads.iterator(chunk_size=CSV_CHUNK), header, hows, timezone.get_current_timezone()
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", dossier.code).strip("-") or "dossier"
    name = f"{code}-reads-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
