"""The firm dashboard's rows built by code (view/firm_rows.py) are the markup the template
made, cell for cell, whatever the names, counts, times and language; and what a dossier or a
file is called reaches the page as text."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from django.template import Context, Template
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from dossiers.models import Dossier, Firm
from view.firm_dashboard import DossierRow, OldestDocument, QuietDossier
from view.firm_rows import quiet_row_html, row_texts, waiting_row_html

#: The rows as templates/portal/view_firm.html rendered them before view/firm_rows.py
#: (its two loops, kept as they were, a comment between them).
#: The file's line breaks and indentation between tags and tags of the engine are not part
#: of the rows (the rows built by code have none); a value's own line breaks stay.
TEMPLATE = Template(
    re.sub(
        r"(>|%\})\s*\n\s*(<|\{%)",
        r"\1\2",
        (Path(__file__).parent / "firm_rows_before.html").read_text(),
    )
)

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
words = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
moments = st.none() | st.integers(0, 800 * 24 * 3600).map(lambda s: NOW - timedelta(seconds=s))


def _dossier(code: str, name: str, firm_name: str) -> Dossier:
    dossier = Dossier(id=1, public_id=uuid.uuid4(), code=code, name=name, firm_id=1)
    dossier.firm = Firm(id=1, name=firm_name)
    return dossier


@st.composite
def waiting_rows(draw: st.DrawFn) -> DossierRow:
    dossier = _dossier(draw(words), draw(words), draw(words))
    oldest = None
    if draw(st.booleans()):
        oldest = OldestDocument(uuid.uuid4(), draw(words), draw(moments), draw(words))
    return DossierRow(
        dossier=dossier,
        inbox_url=f"/connect/inbox/?dossier={dossier.public_id}&x={draw(words)}",
        new=draw(st.integers(0, 25_000)),
        to_validate=draw(st.integers(0, 25_000)),
        to_review=draw(st.integers(0, 25_000)),
        oldest=oldest,
    )


@st.composite
def quiet_rows(draw: st.DrawFn) -> QuietDossier:
    dossier = _dossier(draw(words), draw(words), draw(words))
    return QuietDossier(dossier=dossier, last_upload=draw(moments), inbox_url=draw(words))


@settings(max_examples=60, deadline=None)
@given(
    waiting=st.lists(waiting_rows(), max_size=4),
    quiet=st.lists(quiet_rows(), max_size=4),
    language=st.sampled_from(["fr", "nl", "de", "en"]),
    zone=st.sampled_from(["Europe/Brussels", "UTC", "America/Sao_Paulo"]),
)
def test_the_rows_built_by_code_are_the_rows_the_template_made(
    waiting: list[DossierRow], quiet: list[QuietDossier], language: str, zone: str
) -> None:
    # A clock that stands still: "sent 3 hours ago" is asked twice, by the template and by code.
    with (
        time_machine.travel(NOW + timedelta(hours=5), tick=False),
        translation.override(language),
        timezone.override(zone),
    ):
        reference = TEMPLATE.render(Context({"waiting": waiting, "quiet": quiet}))
        texts = row_texts()
        built = "".join(waiting_row_html(row, texts) for row in waiting)
        built += "|" + "".join(quiet_row_html(row, texts) for row in quiet)
    expected_waiting, expected_quiet = reference.rstrip("\n").split("<!--quiet-->")
    assert built == f"{expected_waiting}|{expected_quiet}"


def test_names_reach_the_page_as_text() -> None:
    row = DossierRow(
        dossier=_dossier('A"1', "<script>alert(1)</script>", "Fid & Co"),
        inbox_url='/x?"onmouseover=alert(1)',
        oldest=OldestDocument(uuid.uuid4(), "<img src=x onerror=alert(2)>.pdf", NOW, "/d/1/"),
    )
    html = waiting_row_html(row, row_texts())
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "Fid &amp; Co" in html
    assert 'href="/x?&quot;onmouseover=alert(1)"' in html
