"""The IBAN change alert (connect/documents/services/supplier_accounts.py): each dossier records
the IBANs seen per supplier from real Peppol UBL invoices (the OpenPeppol examples with Belgian
IBANs) and CII; an invoice with an IBAN new for a known supplier is flagged on the document, in the
inbox and on the payments page, refused from a SEPA file until the accountant or the client confirms
the account (audit trail), and nobody else may confirm it."""

from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from connect.documents import services
from connect.documents.services.supplier_accounts import iban_change_for, supplier_account_confirm
from connect.models import Document, PayingAccount, PaymentBatch, PaymentLine, SupplierAccount
from connect.payments import batches as payments
from connect.payments.accounts import paying_account_add
from core.errors import ServiceError
from core.models import AuditEvent
from dossiers.models import Dossier, Firm
from tests.connect import einvoices, samples
from tests.factories import DossierFactory, UserFactory, grant
from users.models import User

pytestmark = pytest.mark.django_db

OLD_IBAN = "BE71096123456769"
NEW_IBAN = "BE62510007547061"
PAID_IBAN = "BE43068999999501"
ALERT = "New bank account for this supplier"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path, django_capture_on_commit_callbacks) -> None:
    global _commit
    settings.MEDIA_ROOT = str(tmp_path / "media")
    _commit = django_capture_on_commit_callbacks


_commit: Any = None


def supplier_invoice(number: str, iban: str) -> bytes:
    """OpenPeppol's base-example.xml from a Belgian supplier, with its number and IBAN
    (PaymentMeans/PayeeFinancialAccount/ID) changed."""
    return (
        (samples.PEPPOL / "base-example.xml")
        .read_bytes()
        .replace(b"<cbc:ID>Snippet1</cbc:ID>", f"<cbc:ID>{number}</cbc:ID>".encode(), 1)
        .replace(
            b"<cbc:CompanyID>GB1232434</cbc:CompanyID>",
            b"<cbc:CompanyID>BE 0123.456.749</cbc:CompanyID>",
        )
        .replace(b"<cbc:ID>IBAN32423940</cbc:ID>", f"<cbc:ID>{iban}</cbc:ID>".encode())
        .replace(
            b"<cbc:PaymentID>Snippet1</cbc:PaymentID>",
            f"<cbc:PaymentID>{number}</cbc:PaymentID>".encode(),
        )
    )


def receive_sent(dossier: Dossier, user: User, data: bytes, name: str) -> Document:
    with _commit(execute=True):
        document = services.document_receive(
            dossier=dossier, actor=user, filename=name, chunks=[data], source="peppol"
        ).document
    document.refresh_from_db()
    if document.status == "draft":
        with _commit(execute=True):
            services.documents_send(actor=user, dossier=dossier, documents=[document])
        document.refresh_from_db()
    return document


@pytest.fixture
def known(dossier: Dossier, client_user: User) -> Document:
    return receive_sent(dossier, client_user, supplier_invoice("INV-1", OLD_IBAN), "one.xml")


@pytest.fixture
def changed(dossier: Dossier, client_user: User, known: Document) -> Document:
    return receive_sent(dossier, client_user, supplier_invoice("INV-2", NEW_IBAN), "two.xml")


@pytest.fixture
def account(dossier: Dossier, client_user: User) -> PayingAccount:
    return paying_account_add(
        actor=client_user, dossier=dossier, name="Alpha Un SRL", iban="BE68 5390 0754 7034"
    )


def line(document: Document, **overrides: Any) -> payments.LineInput:
    facts = document.recognized or {}
    values: dict[str, Any] = {
        "document": document.public_id,
        "amount": document.amount,
        "execution_date": timezone.localdate() + timedelta(days=3),
        "creditor_name": facts.get("supplier_name") or "",
        "creditor_iban": facts.get("iban") or "",
        "structured_reference": "",
        "remittance": facts.get("invoice_number") or "",
    }
    values.update(overrides)
    return values  # type: ignore[return-value]


def test_the_first_iban_of_a_supplier_is_recorded_without_alert(
    dossier: Dossier, known: Document
) -> None:
    assert known.recognized["iban"] == OLD_IBAN
    accounts = list(SupplierAccount.objects.filter(dossier=dossier))
    assert [(a.supplier_key, a.iban, a.first_document_id, a.pending) for a in accounts] == [
        ("vat:BE0123456749", OLD_IBAN, known.pk, False)
    ]
    assert iban_change_for(known) is None


def test_a_new_iban_of_a_known_supplier_is_flagged_and_the_same_one_again_is_not(
    dossier: Dossier, client_user: User, known: Document, changed: Document
) -> None:
    change = iban_change_for(changed)
    assert change is not None
    assert (change.account.iban, change.previous) == (NEW_IBAN, [OLD_IBAN])
    assert (change.new_display, change.previous_display) == (
        "BE62 5100 0754 7061",
        ["BE71 0961 2345 6769"],
    )
    assert iban_change_for(known) is None
    again = receive_sent(dossier, client_user, supplier_invoice("INV-3", OLD_IBAN), "three.xml")
    assert iban_change_for(again) is None
    assert SupplierAccount.objects.filter(dossier=dossier).count() == 2
    # The same supplier in another dossier is another supplier: its first IBAN, no alert.
    other = DossierFactory(firm=dossier.firm)
    grant(client_user, other, "connect.entrepreneur")
    elsewhere = receive_sent(other, client_user, supplier_invoice("INV-2", NEW_IBAN), "x.xml")
    assert iban_change_for(elsewhere) is None


def test_a_cii_invoice_of_a_known_supplier_with_a_new_iban_is_flagged(
    dossier: Dossier, client_user: User
) -> None:
    first = einvoices.Facts(number="CII-1", iban=OLD_IBAN)
    second = einvoices.Facts(number="CII-2", iban=NEW_IBAN)
    one = receive_sent(dossier, client_user, einvoices.cii_xml(facts=first), "c1.xml")
    two = receive_sent(dossier, client_user, einvoices.cii_xml(facts=second), "c2.xml")
    assert (one.recognized["iban"], two.recognized["iban"]) == (OLD_IBAN, NEW_IBAN)
    assert iban_change_for(one) is None
    change = iban_change_for(two)
    assert change is not None and change.account.supplier_key == "vat:BE0417497106"


def test_the_alert_shows_on_the_document_in_the_inbox_and_on_the_payments_page(
    dossier: Dossier, client_user: User, accountant: User, changed: Document, auth_client
) -> None:
    document_url = reverse("connect:document", args=[changed.public_id])
    payments_url = reverse("connect:payments", args=[dossier.public_id])
    for user in (client_user, accountant):
        user.language = "en"
        user.save(update_fields=["language"])
        client = auth_client(user)
        for url in (document_url, payments_url):
            page = client.get(url).content.decode()
            assert ALERT in page, (user, url)
            assert "BE71 0961 2345 6769" in page and "BE62 5100 0754 7061" in page
    inbox = auth_client(accountant).get(reverse("connect:inbox")).content.decode()
    assert inbox.count(ALERT) == 1
    client_user.language = "nl"
    client_user.save(update_fields=["language"])
    page = auth_client(client_user).get(document_url)
    assert "Nieuwe bankrekening voor deze leverancier" in page.content.decode()


def test_a_sepa_file_refuses_the_flagged_invoice_then_accepts_it_once_confirmed(
    settings,
    dossier: Dossier,
    client_user: User,
    accountant: User,
    changed: Document,
    account: PayingAccount,
) -> None:
    for language, text in (
        ("fr", "Facture INV-2 : nouveau compte bancaire pour ce fournisseur."),
        ("de", "Rechnung INV-2: neues Bankkonto für diesen Lieferanten."),
        ("en", "Invoice INV-2: new bank account for this supplier."),
    ):
        with translation.override(language), pytest.raises(payments.LineError) as refused:
            payments.batch_create(
                actor=client_user, dossier=dossier, account=account, lines=[line(changed)]
            )
        assert refused.value.code == "iban_unconfirmed"
        assert str(refused.value.message).startswith(text)
    # Typing the old account on the line does not let the invoice through: until someone
    # settles the change, nobody knows which account is the supplier's.
    with pytest.raises(payments.LineError):
        payments.batch_create(
            actor=client_user,
            dossier=dossier,
            account=account,
            lines=[line(changed, creditor_iban=OLD_IBAN)],
        )
    assert not PaymentBatch.objects.exists() and not PaymentLine.objects.exists()
    assert not Document.objects.filter(pk=changed.pk, paid=True).exists()
    assert not (Path(settings.MEDIA_ROOT) / "payments").exists()
    supplier_account_confirm(actor=accountant, document=changed)
    batch = payments.batch_create(
        actor=client_user, dossier=dossier, account=account, lines=[line(changed)]
    )
    assert [paid.creditor_iban for paid in batch.lines.all()] == [NEW_IBAN]


def test_a_line_paying_an_unconfirmed_account_is_refused_even_on_another_invoice(
    dossier: Dossier,
    client_user: User,
    known: Document,
    changed: Document,
    account: PayingAccount,
) -> None:
    with pytest.raises(payments.LineError) as refused:
        payments.batch_create(
            actor=client_user,
            dossier=dossier,
            account=account,
            lines=[line(known, creditor_iban=NEW_IBAN)],
        )
    assert refused.value.code == "iban_unconfirmed"
    assert not PaymentBatch.objects.exists()


def test_the_accountant_confirms_and_the_audit_trail_keeps_who_when_old_and_new(
    dossier: Dossier, accountant: User, changed: Document, auth_client
) -> None:
    response = auth_client(accountant).post(
        reverse("connect:supplier_account_confirm", args=[changed.public_id]),
        {"next": "document"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("connect:document", args=[changed.public_id])
    account = SupplierAccount.objects.get(dossier=dossier, iban=NEW_IBAN)
    assert account.confirmed_by == accountant and account.confirmed_at is not None
    assert iban_change_for(changed) is None
    event = AuditEvent.objects.get(action="connect.supplier_account")
    assert (event.actor, event.dossier, event.firm_id) == (accountant, dossier, dossier.firm_id)
    assert event.before["iban"] == [OLD_IBAN]
    assert event.after["iban"] == NEW_IBAN
    assert event.after["confirmed_at"] == account.confirmed_at.isoformat()
    with pytest.raises(ServiceError) as again:
        supplier_account_confirm(actor=accountant, document=changed)
    assert again.value.code == "nothing"
    assert AuditEvent.objects.filter(action="connect.supplier_account").count() == 1


def test_the_client_confirms_from_the_payments_page(
    dossier: Dossier, client_user: User, changed: Document, auth_client
) -> None:
    response = auth_client(client_user).post(
        reverse("connect:supplier_account_confirm", args=[changed.public_id]),
        {"next": "payments"},
    )
    assert response["Location"] == reverse("connect:payments", args=[dossier.public_id])
    account = SupplierAccount.objects.get(dossier=dossier, iban=NEW_IBAN)
    assert account.confirmed_by == client_user
    page = auth_client(client_user).get(response["Location"]).content.decode()
    assert ALERT not in page


@pytest.mark.parametrize("who", ["viewer", "licence_admin", "other_staff", "neighbour"])
def test_nobody_else_confirms_and_a_refusal_changes_nothing(
    request: pytest.FixtureRequest, firm: Firm, dossier: Dossier, changed: Document, who: str
) -> None:
    if who == "viewer":  # view.user on the dossier, no Connect role
        actor = UserFactory()
        grant(actor, dossier, "view.user")
    elif who == "neighbour":  # the client of another dossier of the same firm
        actor = UserFactory()
        grant(actor, DossierFactory(firm=firm), "connect.entrepreneur", "connect.accountant")
    else:
        actor = request.getfixturevalue(who)
    client = Client()
    client.force_login(actor)
    url = reverse("connect:supplier_account_confirm", args=[changed.public_id])
    assert client.post(url, {"next": "payments"}).status_code == HTTPStatus.NOT_FOUND
    assert client.get(url).status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED)
    with pytest.raises(Exception):  # noqa: B017 - a ServiceError or the 404 of the lookup
        supplier_account_confirm(actor=actor, document=changed)
    assert SupplierAccount.objects.get(iban=NEW_IBAN).pending
    assert not AuditEvent.objects.filter(action="connect.supplier_account").exists()
    assert iban_change_for(changed) is not None


def test_recognition_records_the_iban_read_from_a_printed_invoice(
    dossier: Dossier, client_user: User
) -> None:
    """Premium reads the PDF (tesseract-free text layer): the same rule applies."""
    from dossiers.models import ProcessingMode

    Dossier.objects.filter(pk=dossier.pk).update(default_processing_mode=ProcessingMode.PREMIUM)
    dossier.refresh_from_db()

    def printed(number: str, iban: str) -> bytes:
        lines = [
            line.replace("F2026-0042", number).replace("BE68 5390 0754 7034", iban)
            for line in samples.BELGIAN_INVOICE
        ]
        return samples.invoice_pdf(lines)

    one = receive_sent(dossier, client_user, printed("F2026-0042", "BE68 5390 0754 7034"), "a.pdf")
    two = receive_sent(dossier, client_user, printed("F2026-0043", "BE71 0961 2345 6769"), "b.pdf")
    assert (one.recognized["iban"], two.recognized["iban"]) == ("BE68539007547034", OLD_IBAN)
    assert iban_change_for(one) is None
    change = iban_change_for(two)
    assert change is not None
    assert (change.account.supplier_key, change.previous) == (
        "vat:BE0403170701",
        ["BE68539007547034"],
    )


def test_an_iban_typed_in_review_is_recorded_and_a_new_one_flagged(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    """Optimum: the printer's invoices carry no IBAN the machine reads; the accountant types
    it in the review queue, and the same rule applies to what was typed."""
    from connect.documents.services.review import REVIEW_FACTS, document_review

    Dossier.objects.filter(pk=dossier.pk).update(default_processing_mode="optimum")
    dossier.refresh_from_db()

    def reviewed(number: str, iban: str) -> Document:
        data = samples.printer_invoice(number)
        document = receive_sent(dossier, client_user, data, f"{number}.pdf")
        assert document.recognition == "review"
        facts = {key: str(document.recognized.get(key) or "") for key in REVIEW_FACTS}
        facts |= {"invoice_number": number, "iban": iban}
        return document_review(actor=accountant, document=document, facts=facts)

    one = reviewed("DP-117", OLD_IBAN)
    two = reviewed("DP-118", NEW_IBAN)
    assert iban_change_for(one) is None
    change = iban_change_for(two)
    assert change is not None and change.account.supplier_key == "vat:BE0477123402"
    assert change.previous == [OLD_IBAN]


def test_the_migration_fills_the_accounts_of_existing_documents_by_the_same_rule(
    dossier: Dossier, client_user: User, known: Document, changed: Document
) -> None:
    """Existing dossiers: the data migration records the IBANs already read, oldest first; an
    unpaid second IBAN is flagged, one first seen on a paid invoice is not."""
    import importlib

    from django.apps import apps

    backfill = importlib.import_module("connect.migrations.0018_supplier_accounts").backfill
    paid = receive_sent(dossier, client_user, supplier_invoice("INV-9", PAID_IBAN), "9.xml")
    Document.objects.filter(pk=paid.pk).update(paid=True)
    SupplierAccount.objects.all().delete()
    backfill(apps, None)
    rows = {a.iban: (a.first_document_id, a.pending) for a in SupplierAccount.objects.all()}
    assert rows == {
        OLD_IBAN: (known.pk, False),
        NEW_IBAN: (changed.pk, True),
        PAID_IBAN: (paid.pk, False),
    }
