"""The firm dashboard's rows as HTML, built by code (issue 18), as the inbox's are
(connect/documents/inbox_html.py).

An accountant of 200 dossiers sees 25 rows in each list; through the template engine those 50
rows cost more than the rest of the page, and they are what makes the page of 200 dossiers
dearer than the page of 10. Here each row is one f-string: the cells' labels are translated
and escaped once per page (``RowTexts``), each value is escaped with ``html.escape`` (what
Django's ``escape`` does) and numbers are localized as the template did. The markup is the one
templates/portal/view_firm.html had, cell for cell.
"""

from html import escape
from typing import Any

from django.utils import timezone
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext

from connect.documents.inbox_html import RowTexts
from core.dates import day
from view.firm_dashboard import DossierRow, QuietDossier


def row_texts() -> RowTexts:
    """The words of the rows, in the active language."""
    return RowTexts(
        {
            "new": gettext("New for retrieval"),
            "to_validate": gettext("To validate"),
            "to_review": gettext("To review"),
            "oldest": gettext("Oldest waiting document"),
            "last": gettext("Last document received"),
            "never": gettext("never"),
        }
    )


def _e(value: Any) -> str:
    return escape(str(value))


def _dossier_cell(row: DossierRow | QuietDossier) -> str:
    dossier = row.dossier
    return (
        f'<th scope="row"><a href="{_e(row.inbox_url)}">{_e(dossier.code)} · {_e(dossier.name)}'
        f'</a> <span class="muted">{_e(dossier.firm.name)}</span></th>'
    )


def waiting_row_html(row: DossierRow, texts: RowTexts) -> SafeString:
    t = texts.t
    oldest = "—"
    if row.oldest is not None:
        oldest = f'<a href="{_e(row.oldest.url)}">{_e(row.oldest.filename)}</a>'
        if row.oldest.sent_at:
            since = gettext("sent %(since)s ago") % {"since": timesince(row.oldest.sent_at)}
            oldest += f' <span class="muted">{_e(since)}</span>'
    return mark_safe(  # noqa: S308 - every value above is escaped
        f"<tr>{_dossier_cell(row)}"
        f'<td data-label="{t["new"]}" class="num">{_e(localize(row.new))}</td>'
        f'<td data-label="{t["to_validate"]}" class="num">{_e(localize(row.to_validate))}</td>'
        f'<td data-label="{t["to_review"]}" class="num">{_e(localize(row.to_review))}</td>'
        f'<td data-label="{t["oldest"]}" class="view-firm-oldest">{oldest}</td></tr>'
    )


def quiet_row_html(row: QuietDossier, texts: RowTexts) -> SafeString:
    t = texts.t
    if row.last_upload:
        moment = timezone.localtime(row.last_upload).isoformat()
        last = f'<time datetime="{_e(moment)}">{_e(day(row.last_upload))}</time>'
    else:
        last = t["never"]
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<tr>{_dossier_cell(row)}<td data-label="{t["last"]}">{last}</td></tr>'
    )
