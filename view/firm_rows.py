"""The firm dashboard's rows as HTML, built by code (issue 18), as the inbox's are
(connect/documents/inbox_html.py).

An accountant of 200 dossiers sees 25 rows in each list; through the template engine those 50
rows cost more than the rest of the page, and they are what makes the page of 200 dossiers
dearer than the page of 10. Here each row is one f-string: the cells' labels are translated
and escaped once per page (``RowTexts``), each value is escaped with ``html.escape`` (what
Django's ``escape`` does) and numbers are localized as the template did. The markup is the one
templates/portal/view_firm.html had, cell for cell.
"""

from django.utils import timezone
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext

from connect.documents.inbox_html import RowTexts, escaped
from core.dates import day
from view.firm_dashboard import DossierRow, FirmDashboard, QuietDossier


def rows_html(dashboard: FirmDashboard) -> tuple[SafeString, SafeString]:
    """The rows of both lists (documents waiting, quiet dossiers), in the active language."""
    texts = row_texts()
    waiting = "".join(waiting_row_html(row, texts) for row in dashboard.dossiers)
    quiet = "".join(quiet_row_html(row, texts) for row in dashboard.quiet)
    return mark_safe(waiting), mark_safe(quiet)  # noqa: S308 - each row escapes its values


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


def _dossier_cell(row: DossierRow | QuietDossier) -> str:
    dossier = row.dossier
    name = f"{escaped(dossier.code)} · {escaped(dossier.name)}"
    return (
        f'<th scope="row"><a href="{escaped(row.inbox_url)}">{name}</a> '
        f'<span class="muted">{escaped(dossier.firm.name)}</span></th>'
    )


def waiting_row_html(row: DossierRow, texts: RowTexts) -> SafeString:
    t = texts.t
    oldest = "—"
    if row.oldest is not None:
        oldest = f'<a href="{escaped(row.oldest.url)}">{escaped(row.oldest.filename)}</a>'
        if row.oldest.sent_at:
            since = gettext("sent %(since)s ago") % {"since": timesince(row.oldest.sent_at)}
            oldest += f' <span class="muted">{escaped(since)}</span>'
    return mark_safe(  # noqa: S308 - every value above is escaped
        f"<tr>{_dossier_cell(row)}"
        f'<td data-label="{t["new"]}" class="num">{escaped(localize(row.new))}</td>'
        f'<td data-label="{t["to_validate"]}" class="num">{escaped(localize(row.to_validate))}</td>'
        f'<td data-label="{t["to_review"]}" class="num">{escaped(localize(row.to_review))}</td>'
        f'<td data-label="{t["oldest"]}" class="view-firm-oldest">{oldest}</td></tr>'
    )


def quiet_row_html(row: QuietDossier, texts: RowTexts) -> SafeString:
    t = texts.t
    if row.last_upload:
        moment = timezone.localtime(row.last_upload).isoformat()
        last = f'<time datetime="{escaped(moment)}">{escaped(day(row.last_upload))}</time>'
    else:
        last = t["never"]
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<tr>{_dossier_cell(row)}<td data-label="{t["last"]}">{last}</td></tr>'
    )
