"""The demo's year of activity (``manage.py demo_data``, ``connect.demo``): documents in every
state made by the real services, View's reports filled (read by the real dashboard code), a
second run that changes no row of any table, and no run at all under production settings."""

import hashlib
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone

from connect.models import (
    Category,
    CreditUse,
    Document,
    DocumentRequest,
    Message,
    Source,
    Status,
    Task,
    TaskKind,
    TaskStatus,
    Thread,
)
from dossiers.models import Cartouche, Dossier
from view.period import Period
from view.queries.document_flow import document_flow, documents, waiting
from view.queries.purchases_sales import purchases_sales
from view.queries.top_suppliers import top_suppliers
from view.queries.unpaid import unpaid
from view.queries.vat import vat
from view.summaries import differences

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    """Rows of every table of the project's apps (the tenant tables and the rest)."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"connect", "dossiers", "users", "portal", "core"}
        and not model._meta.proxy
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo loaded once for the module (seeding takes tens of seconds); the tables are
    emptied afterwards."""
    with django_db_blocker.unblock():
        call_command("demo_data", verbosity=0)
        first = row_counts()
        call_command("demo_data", verbosity=0)
        second = row_counts()
        yield {"first": first, "second": second}
        # As TransactionTestCase empties the tables (the application role may not reset the
        # sequences it does not own).
        tables = connection.introspection.django_table_names(only_existing=True)
        connection.ops.execute_sql_flush(
            connection.ops.sql_flush(no_style(), tables, allow_cascade=True)
        )


@pytest.fixture
def db_access(seeded, db):
    return seeded


def test_a_second_run_changes_no_row_of_any_table(db_access) -> None:
    first, second = db_access["first"], db_access["second"]
    assert first == second
    assert first["connect.Document"] > 80
    assert first["connect.DocumentEvent"] > first["connect.Document"]


def test_every_state_of_a_document_is_there(db_access) -> None:
    boulangerie = Dossier.objects.get(code="BOULANGERIE")
    documents = Document.objects.filter(dossier=boulangerie)
    states = set(documents.values_list("status", flat=True))
    assert {Status.DRAFT, Status.SENT, Status.RETRIEVED, Status.BOOKED} <= states
    assert {Status.REJECTED, Status.SHARED} <= states
    rejected = documents.get(status=Status.REJECTED)
    assert "deuxième page" in rejected.reject_reason
    assert rejected.events.filter(kind="rejected", note=rejected.reject_reason).exists()
    shared = documents.filter(status=Status.SHARED)
    assert {d.binder.builtin for d in shared} == {"bank_statements", "payslips"}
    assert all(d.source == Source.SHARED for d in shared)
    booked = documents.filter(status=Status.BOOKED)
    assert all(d.booking_number and d.booked_at >= d.retrieved_at >= d.sent_at for d in booked)
    # The year: the oldest sent almost a year ago, nothing in the future.
    today = timezone.localdate()
    sent = documents.exclude(sent_at=None).values_list("sent_at", flat=True)
    assert today - timezone.localdate(min(sent)) > timedelta(days=300)
    assert max(sent) <= timezone.now()


def test_the_files_are_real_and_read_by_the_pipeline(db_access) -> None:
    boulangerie = Dossier.objects.get(code="BOULANGERIE")
    documents = Document.objects.filter(dossier=boulangerie)
    for document in documents:
        with default_storage.open(document.storage_name, "rb") as handle:
            content = handle.read()
        assert hashlib.sha256(content).hexdigest() == document.sha256
        assert len(content) == document.size
    ubl = documents.get(is_ubl=True)
    assert ubl.source == Source.PEPPOL and ubl.recognized["source"] == "ubl"
    assert ubl.recognized["customer_vat"] == "BE0403170701"
    hybrid = documents.get(embedded_invoice="factur-x.xml")
    assert hybrid.carries_einvoice and hybrid.recognized["source"] == "embedded_cii"
    assert hybrid.content_type == "application/pdf"
    receipt = documents.get(content_type="image/jpeg")
    assert receipt.category == Category.EXPENSE
    pdf = documents.filter(content_type="application/pdf", recognized__source="text")
    assert pdf.count() > 30
    assert pdf.filter(recognized__supplier_name="Meunerie Dupont SA").count() >= 11
    # Premium: one credit per document read from its text, none for an e-invoice.
    uses = CreditUse.objects.filter(dossier=boulangerie)
    assert (
        uses.count()
        == documents.exclude(recognized=None)
        .exclude(is_ubl=True)
        .exclude(embedded_invoice="factur-x.xml")
        .count()
    )
    assert not uses.filter(document=ubl).exists()
    premium = Cartouche.objects.get(firm=boulangerie.firm, mode="premium")
    assert premium.credits == 100 - uses.count()
    fleuriste = Dossier.objects.get(code="FLEURISTE")
    assert (
        Document.objects.filter(dossier=fleuriste, is_ubl=True, source=Source.PEPPOL).count() == 1
    )


def test_the_collaboration_of_a_year(db_access) -> None:
    today = timezone.localdate()
    for code in ("BOULANGERIE", "FLEURISTE"):
        dossier = Dossier.objects.get(code=code)
        deadlines = Task.objects.filter(dossier=dossier, kind=TaskKind.DEADLINE)
        keys = set(deadlines.values_list("deadline_key", flat=True))
        assert f"vat-{today.year}-Q1" in keys and f"listing-{today.year - 1}" in keys
        assert not deadlines.filter(due_date__lt=today, status=TaskStatus.OPEN).exists()
        assert deadlines.filter(due_date__gte=today, status=TaskStatus.OPEN).exists()
        assert Task.objects.filter(dossier=dossier, kind=TaskKind.TASK).count() == 1
        request = DocumentRequest.objects.get(dossier=dossier)
        assert request.due_date > today
        thread = Thread.objects.get(dossier=dossier)
        assert thread.document is not None
        assert Message.objects.filter(thread=thread).count() == 3


@pytest.mark.parametrize("code", ["BOULANGERIE", "FLEURISTE"])
def test_view_shows_figures_on_first_login(db_access, code: str) -> None:
    """Every report of the dossier's dashboard has rows for the default period (the last 12
    months), read by the dashboard's own queries."""
    dossier = Dossier.objects.get(code=code)
    period = Period.default()
    monthly = purchases_sales(dossier, period)
    assert len({row["month"] for row in monthly}) >= 11
    assert sum(row["purchases"] for row in monthly) > 0
    assert sum(row["sales"] for row in monthly) > 0
    suppliers = top_suppliers(dossier, period)
    assert len([row for row in suppliers if row["vat"]]) >= 1
    assert unpaid(dossier, period)
    assert vat(dossier, period)
    flow = document_flow(dossier, period)
    assert documents(dossier, period, flow)
    waits = waiting(dossier, period, flow)
    assert sum(row["documents"] for row in waits) > 0
    # The demo's history, written through the ORM, left the monthly summaries true.
    assert differences([dossier.pk]) == []
    if code == "BOULANGERIE":
        names = {row["supplier"] for row in suppliers}
        assert {"Meunerie Dupont SA", "Laiterie des Ardennes SRL"} <= names
        assert {row["direction"] for row in vat(dossier, period)} == {
            "purchases",
            "sales",
        }


def test_the_accountants_inbox_has_work(db_access) -> None:
    from connect.documents.selectors import document_visible_to

    accountant = Dossier.objects.get(code="BOULANGERIE").accountant
    waiting = Document.objects.filter(
        dossier__code="BOULANGERIE", status__in=(Status.SENT, Status.RETRIEVED)
    )
    assert waiting.count() >= 5
    assert all(document_visible_to(accountant, d) for d in waiting)
    assert Document.objects.filter(dossier__code="BOULANGERIE", ready_at__isnull=False).filter(
        status=Status.SENT
    )


def test_production_settings_are_refused(settings) -> None:
    settings.SETTINGS_MODULE = "portal.settings.production"
    before = row_counts()
    with pytest.raises(CommandError, match="production"):
        call_command("demo_data", verbosity=0)
    assert row_counts() == before


def test_the_command_refuses_under_the_production_settings_module() -> None:
    """The real settings module, in a process of its own: refused before any database use."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "portal.example",
        "PORTAL_BASE_URL": "https://portal.example",
        "REDIS_URL": "redis://127.0.0.1:6399/0",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "demo_data"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "never runs under production settings" in done.stderr
