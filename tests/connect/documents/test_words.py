"""Connect's words from the reader's side (issue 14): one document's status is singular, a
shared document is worded for whoever reads it, and a generated deadline is shown in the
reader's language whoever generated it."""

from datetime import UTC, date, datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core import mail
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from connect.collaboration.reminders import reminders_send
from connect.collaboration.todos.services import deadlines_generate
from connect.documents import words
from connect.einvoice.checks import _sum_check
from connect.models import Status, Task
from dossiers.models import Dossier
from users.models import User

SINGULAR = {
    "fr": ("Envoyé au comptable", "Partagé par le comptable"),
    "nl": ("Verzonden naar de boekhouder", "Gedeeld door de boekhouder"),
    "de": ("An den Buchhalter gesendet", "Vom Buchhalter geteilt"),
    "en": ("Sent to the accountant", "Shared by the accountant"),
}


@pytest.mark.parametrize("language", sorted(SINGULAR))
def test_a_documents_status_reads_for_one_document(language: str) -> None:
    with translation.override(language):
        assert (str(Status.SENT.label), str(Status.SHARED.label)) == SINGULAR[language]
        # The tab listing many documents keeps its plural.
        tab = words.tab_label("sent", section="invoices", for_client=True)
    assert tab == {"fr": "Envoyés au comptable"}.get(language, SINGULAR[language][0])


def test_a_shared_document_is_worded_from_the_readers_side() -> None:
    with translation.override("fr"):
        assert words.status_label(Status.SHARED, for_client=True) == "Partagé par mon comptable"
        assert words.status_label(Status.SHARED, for_client=False) == "Partagé avec le client"
        assert words.status_label(Status.BOOKED, for_client=False) == "Comptabilisé"
        tabs = Template(
            "{% load connect_words %}"
            "{% tab_label 'shared' 'documents' True %}|{% tab_label 'shared' 'documents' False %}"
        ).render(Context())
    assert tabs == "Partagés par mon comptable|Partagés avec le client"
    with translation.override("nl"):
        assert words.status_label(Status.SHARED, for_client=False) == "Gedeeld met de klant"
        assert words.status_label(Status.SHARED, for_client=True) == "Gedeeld door mijn boekhouder"


def test_an_e_invoices_check_writes_its_amounts_as_the_reader_does() -> None:
    ok, failed = gettext_lazy("ok"), gettext_lazy("%(computed)s/%(stated)s")
    check = _sum_check("x", Decimal("1234.5"), Decimal("1234.56"), ok, failed)
    with translation.override("nl"):
        assert str(check.message) == "1.234,50/1.234,56"
    with translation.override("en"):
        assert str(check.message) == "1,234.50/1,234.56"


# --- generated deadlines ----------------------------------------------------------------------


def _generate_in(language: str, dossier: Dossier, accountant: User) -> None:
    with translation.override(language):
        deadlines_generate(
            actor=accountant, dossier=dossier, year=2026, vat="quarterly", annual_accounts=True
        )


def test_a_generated_deadline_is_shown_in_the_readers_language(
    dossier: Dossier, accountant: User, client_user: User, auth_client
) -> None:
    _generate_in("nl", dossier, accountant)  # a Dutch-speaking accountant
    q1 = Task.objects.get(dossier=dossier, deadline_key="vat-2026-Q1")
    assert q1.title == "Periodieke btw-aangifte voor K1 2026"
    client_user.language = "fr"
    client_user.save()
    body = auth_client(client_user).get(reverse("connect:tasks", args=[dossier.public_id]))
    text = body.content.decode()
    with translation.override("fr"):
        french_q1 = Task.objects.get(pk=q1.pk).shown_title
        accounts = Task.objects.get(dossier=dossier, deadline_key="accounts-2026-12-31")
        french_accounts = accounts.shown_title
        french_description = accounts.shown_description
    assert french_q1 == "Déclaration périodique à la TVA pour T1 2026"
    assert french_q1 in text and q1.title not in text
    assert "31 décembre 2026" in french_accounts
    assert "Banque nationale" in french_description
    detail = auth_client(client_user).get(reverse("connect:task", args=[q1.public_id]))
    assert f"<h1>{french_q1}</h1>" in detail.content.decode()
    with translation.override("de"):
        assert Task.objects.get(pk=q1.pk).shown_title == "Periodische MwSt.-Erklärung für Q1 2026"


def test_a_title_the_accountant_wrote_is_shown_as_written(
    dossier: Dossier, accountant: User, auth_client
) -> None:
    _generate_in("en", dossier, accountant)
    q2 = Task.objects.get(dossier=dossier, deadline_key="vat-2026-Q2")
    q3 = Task.objects.get(dossier=dossier, deadline_key="vat-2026-Q3")
    accountant.language = "fr"
    accountant.save()
    client = auth_client(accountant)
    # Saved without touching the words (only the date): it stays generated, so a reader in
    # another language still gets it in theirs.
    form = client.get(reverse("connect:task", args=[q2.public_id])).context["form"]
    with translation.override("fr"):
        assert form.initial["title"] == q2.shown_title != q2.title
    response = client.post(
        reverse("connect:task", args=[q2.public_id]),
        {
            "title": form.initial["title"],
            "description": form.initial["description"],
            "due_date": "2026-07-27",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    q2.refresh_from_db()
    assert q2.due_date == date(2026, 7, 27)
    with translation.override("en"):
        assert q2.shown_title == "VAT return for Q2 2026"
    # Rewritten: shown as written, in every language.
    client.post(
        reverse("connect:task", args=[q3.public_id]),
        {"title": "TVA T3 : attendre les extraits", "due_date": "2026-10-25"},
    )
    q3.refresh_from_db()
    for language in ("en", "nl"):
        with translation.override(language):
            assert q3.shown_title == "TVA T3 : attendre les extraits"
            assert q3.shown_description == ""


def test_an_unknown_or_old_key_shows_the_stored_words(dossier: Dossier) -> None:
    task = Task.objects.create(
        dossier=dossier,
        kind="deadline",
        deadline_key="vat-2026-13",
        title="Stored",
        due_date=date(2026, 1, 1),
    )
    with translation.override("de"):
        assert task.shown_title == "Stored"


def test_a_reminder_names_the_deadline_in_the_recipients_language(
    dossier: Dossier, accountant: User, client_user: User, django_capture_on_commit_callbacks
) -> None:
    _generate_in("en", dossier, accountant)
    User.objects.filter(pk=client_user.pk).update(language="fr")
    Task.objects.filter(dossier=dossier).exclude(deadline_key="vat-2026-Q1").delete()
    Task.objects.filter(dossier=dossier).update(
        assignee=client_user, created_at=datetime(2026, 3, 1, 9, tzinfo=UTC)
    )
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(today=date(2026, 4, 24))
    [reminder] = mail.outbox
    with translation.override("fr"):
        title = Task.objects.get(deadline_key="vat-2026-Q1").shown_title
    assert title in reminder.subject
    assert "VAT return" not in f"{reminder.subject} {reminder.body}"
