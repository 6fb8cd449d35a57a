"""The inbox's rows as HTML, built by code (issue 18: the accountant's busiest page).

Through Django's template engine, the 50 rows cost more than the rest of the page together
(some 2,000 nodes resolved, escaped and rendered per page). Here each row is one f-string: the
words every row repeats are translated and escaped once per page (``RowTexts``), each value of
the row is escaped with ``html.escape`` (what Django's ``escape`` does), and the markup is the
one templates/connect/inbox.html had, cell for cell. The row's values are those of
``views_inbox.inbox_rows``; the template places ``row.html`` in the table."""

from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe


class RowTexts:
    """The words of every row, escaped once: the cells' labels (shown on a phone) and the
    badges and links that only some rows show."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.t = {key: escape(str(value)) for key, value in texts.items()}


def options_html(options: list[tuple[str, str]], chosen: str) -> SafeString:
    """A select's options as HTML, escaped, the chosen one marked: one join instead of a
    template loop over every dossier of the accountant (the inbox's filter)."""
    return mark_safe(  # noqa: S308 (every value and label is escaped here)
        "".join(
            f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>'
            f"{escape(label)}</option>"
            for value, label in options
        )
    )


def escaped(value: Any) -> str:
    """A value as HTML text (what the template engine's autoescape makes of it)."""
    return escape(str(value))


def row_html(row: dict[str, Any], texts: RowTexts) -> SafeString:
    t = texts.t
    public_id = escaped(row["public_id"])
    url = escaped(row["url"])
    filename = escaped(row["filename"])
    thumb = (
        f'<a href="{url}" tabindex="-1" aria-hidden="true"><img src="{escaped(row["thumbnail"])}" '
        'alt="" width="48" loading="lazy"></a>'
        if row["thumbnail"]
        else ""
    )
    supplier = escaped(row["supplier"]) if row["supplier"] else ""
    main = f'<a href="{url}">{supplier or filename}</a>'
    if supplier:
        main += f'<span class="muted cut" title="{filename}">{filename}</span>'
    main += f'<span class="muted">{escaped(row["category"])}</span>'
    if row["replacement"]:
        main += f'<span class="badge">{t["replacement"]}</span>'
    if row["iban_change"]:
        main += f'<span class="badge badge-warn">{t["iban_change"]}</span>'
    if row["sender_unverified"]:
        main += f' <span class="badge badge-warn">{t["sender_unverified"]}</span>'
    total = escaped(row["total_text"])
    if row["mismatch"]:
        total += f'<span class="badge badge-warn">{escaped(row["mismatch_text"])}</span>'
    if row["confidence"] is not None:
        doubtful = ' class="doubtful"' if row["doubtful"] else ""
        confidence = f"<span{doubtful}>{row['confidence_pct']}&nbsp;%</span>"
        if row["lowest_text"]:
            confidence += f'<span class="muted">{escaped(row["lowest_text"])}</span>'
    else:
        confidence = "—"
    status = escaped(row["status"])
    if row["pipeline"]:
        status += f" · {escaped(row['pipeline'])}"
    return mark_safe(  # noqa: S308 - every value above is escaped
        "<tr>"
        f'<td class="queue-check"><input type="checkbox" name="documents" value="{public_id}" '
        f'id="choose-{public_id}" aria-label="{escaped(row["choose_text"])}"></td>'
        f'<td class="queue-thumb">{thumb}</td>'
        f'<td data-label="{t["supplier"]}" class="queue-main">{main}</td>'
        f'<td data-label="{t["number"]}">{escaped(row["number"] or "—")}</td>'
        f'<td data-label="{t["date"]}">{escaped(row["date_text"])}</td>'
        f'<td data-label="{t["total"]}" class="number"><div>{total}</div></td>'
        f'<td data-label="{t["confidence"]}"><div>{confidence}</div></td>'
        f'<td data-label="{t["dossier"]}"><div><a href="{escaped(row["dossier_filter"])}" '
        f'title="{escaped(row["dossier_name"])}">{escaped(row["dossier"])}</a>\n'
        '<details class="row-menu"><summary><span aria-hidden="true">⋯</span>'
        f'<span class="visually-hidden">{escaped(row["links_text"])}</span></summary>'
        f'<ul><li><a href="{escaped(row["profile_url"])}">{t["profile"]}</a></li>'
        f'<li><a href="{escaped(row["share_url"])}">{t["share"]}</a></li>'
        f'<li><a href="{escaped(row["binders_url"])}">{t["binders"]}</a></li></ul>'
        "</details></div></td>"
        f'<td data-label="{t["sent"]}">{escaped(row["sent_text"])}</td>'
        f'<td data-label="{t["status"]}">{status}</td>'
        "</tr>"
    )
