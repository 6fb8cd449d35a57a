"""The IBAN change alert in a real browser (issue 16, item 3): a known supplier of the demo
bakery sends a Peppol UBL invoice (OpenPeppol's base example) asking to be paid on a new
account. The client (French, phone) and the accountant (Dutch, desktop) both see the alert;
the payment file refuses the invoice until the accountant confirms the account, then takes it.

Screenshots of the alert are written to ``E2E_SCREENSHOTS`` when it is set (else the test's
temporary directory)."""

import os
import re
from pathlib import Path

import pytest

from connect.documents import services
from connect.models import Document, PaymentBatch, SupplierAccount
from connect.payments.accounts import paying_account_add
from core.models import AuditEvent
from dossiers.models import Dossier
from dossiers.services_demo import DEFAULT_DEMO_PASSWORD, demo_data_load
from tests.connect import samples
from tests.e2e.pages import log_in
from users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLIENT = "client@boulangerie-demo.be"
ACCOUNTANT = "comptable@fiduciaire-demo.be"
OLD_IBAN = "BE71096123456769"
NEW_IBAN = "BE62510007547061"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def supplier_invoice(number: str, iban: str) -> bytes:
    """base-example.xml from a Belgian supplier, with its number and its payee account
    (PaymentMeans/PayeeFinancialAccount/ID) set."""
    return (
        (samples.PEPPOL / "base-example.xml")
        .read_bytes()
        .replace(b"<cbc:ID>Snippet1</cbc:ID>", f"<cbc:ID>{number}</cbc:ID>".encode(), 1)
        .replace(b"SupplierTradingName Ltd.", b"Meunerie Lambert SRL")
        .replace(b"SupplierOfficialName Ltd", b"Meunerie Lambert SRL")
        .replace(
            b"<cbc:CompanyID>GB1232434</cbc:CompanyID>",
            b"<cbc:CompanyID>BE0417497106</cbc:CompanyID>",
        )
        .replace(b"<cbc:ID>IBAN32423940</cbc:ID>", f"<cbc:ID>{iban}</cbc:ID>".encode())
        .replace(b"<cbc:PaymentID>Snippet1</cbc:PaymentID>", b"<cbc:PaymentID>X</cbc:PaymentID>")
    )


def arrive(dossier: Dossier, client: User, data: bytes, name: str) -> Document:
    document = services.document_receive(
        dossier=dossier, actor=client, filename=name, chunks=[data], source="peppol"
    ).document
    document.refresh_from_db()
    if document.status == "draft":
        services.documents_send(actor=client, dossier=dossier, documents=[document])
        document.refresh_from_db()
    return document


def shots() -> Path | None:
    folder = os.environ.get("E2E_SCREENSHOTS")
    return Path(folder) if folder else None


def shoot(page, tmp_path: Path, name: str) -> None:
    folder = shots() or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def make_payment_file(page, dossier: Dossier, invoice: str) -> None:
    page.goto(f"/connect/dossiers/{dossier.public_id}/payments/")
    row = page.locator("table.payments tbody tr", has_text=invoice)
    row.locator("input[type=checkbox]").check()
    page.locator("form button.button-primary[type=submit]").click()
    page.wait_for_load_state("load")


def test_a_new_iban_is_flagged_to_both_and_paid_only_once_confirmed(
    page_factory, tmp_path, settings
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    demo_data_load(password=DEFAULT_DEMO_PASSWORD)
    User.objects.filter(email=CLIENT).update(language="fr")
    User.objects.filter(email=ACCOUNTANT).update(language="nl")
    bakery = Dossier.objects.get(code="BOULANGERIE")
    client = User.objects.get(email=CLIENT)
    known = arrive(bakery, client, supplier_invoice("ML-2026-017", OLD_IBAN), "ml-017.xml")
    Document.objects.filter(pk=known.pk).update(paid=True)  # paid last month, by the bank
    changed = arrive(bakery, client, supplier_invoice("ML-2026-031", NEW_IBAN), "ml-031.xml")
    assert changed.recognized["iban"] == NEW_IBAN
    if not bakery.paying_accounts.exists():
        paying_account_add(
            actor=client, dossier=bakery, name="Boulangerie Demo", iban="BE68 5390 0754 7034"
        )

    # The client, on a phone in French: the alert on the invoice and on the payments page.
    phone = page_factory(locale="fr-BE", viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(phone, CLIENT)
    phone.goto(f"/connect/documents/{changed.public_id}/")
    alert = phone.locator("[data-iban-change]")
    assert "Nouveau compte bancaire pour ce fournisseur" in alert.inner_text()
    assert "BE71 0961 2345 6769" in alert.inner_text()
    assert "BE62 5100 0754 7061" in alert.inner_text()
    alert.scroll_into_view_if_needed()
    shoot(phone, tmp_path, "iban-document-390-fr")
    phone.goto(f"/connect/dossiers/{bakery.public_id}/payments/")
    assert (
        "Nouveau compte bancaire pour ce fournisseur"
        in phone.locator("[data-iban-change]").inner_text()
    )
    shoot(phone, tmp_path, "iban-payments-390-fr")

    # The payment file refuses it, says why, and writes nothing.
    make_payment_file(phone, bakery, "ML-2026-031")
    assert re.search(
        r"Facture ML-2026-031 : nouveau compte bancaire pour ce fournisseur",
        phone.locator("main").inner_text(),
    )
    assert not PaymentBatch.objects.filter(dossier=bakery).exists()
    assert not Document.objects.get(pk=changed.pk).paid

    # The accountant, on a desktop in Dutch: the alert in the inbox row and on the document.
    desk = page_factory(locale="nl-BE", viewport=DESKTOP)
    log_in(desk, ACCOUNTANT)
    desk.goto("/connect/inbox/")
    row = desk.locator("tbody tr", has_text="ml-031.xml")
    assert "Nieuwe bankrekening voor deze leverancier" in row.inner_text()
    row.get_by_role("link", name=re.compile("Meunerie Lambert")).click()
    desk.wait_for_url(f"**/connect/documents/{changed.public_id}/**")
    alert = desk.locator("[data-iban-change]")
    assert "Nieuwe bankrekening voor deze leverancier" in alert.inner_text()
    shoot(desk, tmp_path, "iban-document-1280-nl")
    desk.goto(f"/connect/dossiers/{bakery.public_id}/payments/")
    shoot(desk, tmp_path, "iban-payments-1280-nl")
    desk.goto(f"/connect/documents/{changed.public_id}/")
    desk.get_by_role("button", name="De nieuwe bankrekening bevestigen").click()
    desk.wait_for_load_state("load")
    assert "De nieuwe bankrekening werd bevestigd" in desk.locator("body").inner_text()
    assert desk.locator("[data-iban-change]").count() == 0
    account = SupplierAccount.objects.get(dossier=bakery, iban=NEW_IBAN)
    assert account.confirmed_by == User.objects.get(email=ACCOUNTANT)
    assert AuditEvent.objects.filter(action="connect.supplier_account", dossier=bakery).exists()

    # Now the client's payment file takes it, on the new account.
    make_payment_file(phone, bakery, "ML-2026-031")
    phone.wait_for_url("**/connect/payments/**")
    batch = PaymentBatch.objects.get(dossier=bakery)
    assert [line.creditor_iban for line in batch.lines.all()] == [NEW_IBAN]
