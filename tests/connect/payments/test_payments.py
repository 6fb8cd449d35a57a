"""Supplier payments (connect/payments/: accounts.py, batches.py, sepa.py): SEPA credit-transfer
files made from the Peppol fixtures' invoices, valid against the pain.001 XSD that sepaxml
ships, with the exact amounts, IBANs, names and Belgian structured communications; bad input
refused with nothing written; another dossier's invoice never paid; and every route walked by
who must not reach it."""

from datetime import date, timedelta
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import sepaxml
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from lxml import etree

from connect.documents import services
from connect.models import Document, PayingAccount, PaymentBatch, PaymentLine
from connect.payments import batches as payments
from connect.payments.accounts import paying_account_add
from connect.payments.selectors import payable_invoices_for
from core.errors import ServiceError
from dossiers.models import Dossier, DossierAccess, Firm, FirmMembership
from tests.connect import samples
from tests.factories import DossierFactory, UserFactory, grant
from users.models import User

pytestmark = pytest.mark.django_db

SCHEMAS = Path(sepaxml.__file__).parent / "schemas"
PAYER_IBAN = "BE68539007547034"  # passes mod 97; fails stdnum's Belgian bank-code check
SUPPLIER_A_IBAN = "BE71096123456769"
SUPPLIER_B_IBAN = "BE62510007547061"
CANARY = "Canary"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path, django_capture_on_commit_callbacks) -> None:
    global _commit
    settings.MEDIA_ROOT = str(tmp_path / "media")
    _commit = django_capture_on_commit_callbacks


_commit: Any = None


def fixture(name: str) -> bytes:
    return (samples.PEPPOL / name).read_bytes()


def belgian_a() -> bytes:
    """base-example.xml from a Belgian supplier: valid IBAN and structured communication."""
    return (
        fixture("base-example.xml")
        .replace(
            b"<cbc:CompanyID>GB1232434</cbc:CompanyID>",
            b"<cbc:CompanyID>BE 0123.456.749</cbc:CompanyID>",
        )
        .replace(b"<cbc:ID>IBAN32423940</cbc:ID>", b"<cbc:ID>BE71 0961 2345 6769</cbc:ID>")
        .replace(
            b"<cbc:PaymentID>Snippet1</cbc:PaymentID>",
            b"<cbc:PaymentID>010806817183</cbc:PaymentID>",
        )
    )


def belgian_b() -> bytes:
    """Allowance-example.xml: another supplier (accented name), no structured communication."""
    return (
        fixture("Allowance-example.xml")
        .replace(b"<cbc:ID>Snippet1</cbc:ID>", b"<cbc:ID>INV-2017-002</cbc:ID>")
        .replace(b"SupplierOfficialName Ltd", "Fournisseur Général &amp; Fils SA".encode())
        .replace(b"SupplierTradingName Ltd.", "Fournisseur Général &amp; Fils SA".encode())
        .replace(b"<cbc:ID>IBAN32423940</cbc:ID>", b"<cbc:ID>BE62 5100 0754 7061</cbc:ID>")
    )


def receive(
    dossier: Dossier, user: User, data: bytes, name: str, source: str = "peppol"
) -> Document:
    with _commit(execute=True):
        document = services.document_receive(
            dossier=dossier, actor=user, filename=name, chunks=[data], source=source
        ).document
    document.refresh_from_db()
    return document


@pytest.fixture
def invoices(dossier: Dossier, client_user: User) -> dict[str, Document]:
    """The Peppol fixtures received in the dossier: two payable invoices, a credit note and a
    GBP invoice (neither payable by SEPA)."""
    received = {
        "a": receive(dossier, client_user, belgian_a(), "a.xml"),
        "b": receive(dossier, client_user, belgian_b(), "b.xml"),
        "credit": receive(
            dossier, client_user, fixture("base-creditnote-correction.xml"), "cn.xml"
        ),
        "gbp": receive(dossier, client_user, fixture("vat-category-E.xml"), "gbp.xml"),
    }
    # The client sends the invoices to the accountant: only sent invoices are paid from Connect.
    with _commit(execute=True):
        services.documents_send(
            actor=client_user, dossier=dossier, documents=[received["a"], received["b"]]
        )
    for document in received.values():
        document.refresh_from_db()
    return received


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
        "structured_reference": facts.get("structured_reference") or "",
        "remittance": "" if facts.get("structured_reference") else facts.get("invoice_number"),
    }
    values.update(overrides)
    return values  # type: ignore[return-value]


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "payments"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def nothing_written(settings, documents: list[Document]) -> None:
    assert not PaymentBatch.objects.exists()
    assert not PaymentLine.objects.exists()
    assert not Document.objects.filter(pk__in=[d.pk for d in documents], paid=True).exists()
    assert stored_files(settings) == []


# --- the file -------------------------------------------------------------------------------


def test_only_unpaid_euro_bills_of_the_dossier_with_what_pays_them_are_offered(
    dossier: Dossier, client_user: User, accountant: User, invoices: dict[str, Document]
) -> None:
    rows = payable_invoices_for(actor=client_user, dossier=dossier)
    assert {row.document.pk for row in rows} == {invoices["a"].pk, invoices["b"].pk}
    by_pk = {row.document.pk: row for row in rows}
    a, b = by_pk[invoices["a"].pk], by_pk[invoices["b"].pk]
    assert (a.creditor_iban, a.amount, a.structured_reference, a.invoice_number) == (
        SUPPLIER_A_IBAN,
        Decimal("1656.25"),
        "+++010/8068/17183+++",
        "Snippet1",
    )
    assert (b.creditor_iban, b.amount, b.structured_reference, b.creditor_name) == (
        SUPPLIER_B_IBAN,
        Decimal("6125.00"),
        "",
        "Fournisseur Général & Fils SA",
    )
    # An invoice still on the client's desk is not offered (a payment file is seen by the
    # accountant too, and the desk is private until sent).
    draft = receive(  # uploaded on the web and kept on the desk
        dossier, client_user, belgian_a().replace(b"Snippet1", b"Snippet9"), "draft.xml", "web"
    )
    assert draft.status == "draft"
    rows = payable_invoices_for(actor=client_user, dossier=dossier)
    assert draft.pk not in {row.document.pk for row in rows}
    # The accountant does not pay (and does not see the client's desk this way).
    assert payable_invoices_for(actor=accountant, dossier=dossier) == []


def test_an_invoice_without_a_known_iban_is_offered_only_to_be_completed(
    dossier: Dossier, client_user: User
) -> None:
    document = receive(dossier, client_user, fixture("base-example.xml"), "placeholder.xml")
    with _commit(execute=True):
        services.documents_send(actor=client_user, dossier=dossier, documents=[document])
    assert (document.recognized or {}).get("iban") is None  # the placeholder fails mod 97
    assert payable_invoices_for(actor=client_user, dossier=dossier) == []
    rows = payable_invoices_for(actor=client_user, dossier=dossier, include_incomplete=True)
    assert [(row.document.pk, row.missing) for row in rows] == [(document.pk, ["creditor_iban"])]


def ns(version: str) -> dict[str, str]:
    return {"p": f"urn:iso:std:iso:20022:tech:xsd:{version}"}


@pytest.mark.parametrize("version", ["pain.001.001.03", "pain.001.001.09"])
def test_the_peppol_invoices_make_a_pain_file_valid_against_the_shipped_schema(
    settings,
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    invoices: dict[str, Document],
    account: PayingAccount,
    version: str,
) -> None:
    when = timezone.localdate() + timedelta(days=3)
    batch = payments.batch_create(
        actor=client_user,
        dossier=dossier,
        account=account,
        lines=[
            line(invoices["a"], execution_date=when),
            line(invoices["b"], execution_date=when, amount=Decimal("6000.10")),
        ],
        pain_version=version,
    )
    content = payments.batch_content(batch=batch)
    # Valid against the XSD sepaxml ships, checked here by another validator (libxml2).
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / f"{version}.xsd")))
    tree = etree.fromstring(content)
    schema.assertValid(tree)
    n = ns(version)
    header = tree.find("p:CstmrCdtTrfInitn/p:GrpHdr", n)
    assert header.findtext("p:MsgId", namespaces=n) == batch.message_id
    assert header.findtext("p:NbOfTxs", namespaces=n) == "2"
    assert header.findtext("p:CtrlSum", namespaces=n) == "7656.35"
    block = tree.find("p:CstmrCdtTrfInitn/p:PmtInf", n)
    assert block.findtext("p:PmtMtd", namespaces=n) == "TRF"
    date_path = "p:ReqdExctnDt" if version.endswith(".03") else "p:ReqdExctnDt/p:Dt"
    assert block.findtext(date_path, namespaces=n) == when.isoformat()
    assert block.findtext("p:Dbtr/p:Nm", namespaces=n) == "Alpha Un SRL"
    assert block.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=n) == PAYER_IBAN
    assert block.findtext("p:DbtrAgt/p:FinInstnId/p:Othr/p:Id", namespaces=n) == "NOTPROVIDED"
    transfers = block.findall("p:CdtTrfTxInf", n)
    got = [
        (
            tx.findtext("p:Amt/p:InstdAmt", namespaces=n),
            tx.find("p:Amt/p:InstdAmt", n).get("Ccy"),
            tx.findtext("p:Cdtr/p:Nm", namespaces=n),
            tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=n),
            tx.findtext("p:PmtId/p:EndToEndId", namespaces=n),
        )
        for tx in transfers
    ]
    assert got == [
        ("1656.25", "EUR", "SupplierOfficialName Ltd", SUPPLIER_A_IBAN, "Snippet1"),
        ("6000.10", "EUR", "Fournisseur General + Fils SA", SUPPLIER_B_IBAN, "INV-2017-002"),
    ]
    # The Belgian structured communication: structured remittance, SCOR issued by BBA.
    reference = transfers[0].find("p:RmtInf/p:Strd/p:CdtrRefInf", n)
    assert reference.findtext("p:Tp/p:CdOrPrtry/p:Cd", namespaces=n) == "SCOR"
    assert reference.findtext("p:Tp/p:Issr", namespaces=n) == "BBA"
    assert reference.findtext("p:Ref", namespaces=n) == "010806817183"
    assert transfers[0].find("p:RmtInf/p:Ustrd", n) is None
    assert transfers[1].findtext("p:RmtInf/p:Ustrd", namespaces=n) == "INV-2017-002"
    assert transfers[1].find("p:RmtInf/p:Strd", n) is None
    # What is kept: the batch, its lines, the file where it belongs; the invoices are paid.
    assert (batch.count, batch.total, batch.pain_version) == (2, Decimal("7656.35"), version)
    assert batch.storage_name == (
        f"payments/{firm.public_id}/{dossier.public_id}/{batch.public_id}.xml"
    )
    assert list(
        batch.lines.values_list("creditor_iban", "amount", "structured_reference", "remittance")
    ) == [
        (SUPPLIER_A_IBAN, Decimal("1656.25"), "+++010/8068/17183+++", ""),
        (SUPPLIER_B_IBAN, Decimal("6000.10"), "", "INV-2017-002"),
    ]
    for key in ("a", "b"):
        invoices[key].refresh_from_db()
        assert invoices[key].paid
    assert payable_invoices_for(actor=client_user, dossier=dossier) == []
    # Downloaded again: the same bytes.
    client = Client()
    client.force_login(client_user)
    for _ in range(2):
        response = client.get(reverse("connect:payment_download", args=[batch.public_id]))
        assert response.status_code == HTTPStatus.OK
        assert response.content == content
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == f'attachment; filename="{batch.message_id}.xml"'


def test_a_bic_of_the_paying_account_goes_into_the_file(
    dossier: Dossier, client_user: User, invoices: dict[str, Document]
) -> None:
    account = paying_account_add(
        actor=client_user,
        dossier=dossier,
        name="Alpha Un SRL",
        iban="BE71 0961 2345 6769",
        bic="gkcc be bb",
    )
    assert (account.iban, account.bic) == ("BE71096123456769", "GKCCBEBB")
    batch = payments.batch_create(
        actor=client_user, dossier=dossier, account=account, lines=[line(invoices["b"])]
    )
    tree = etree.fromstring(payments.batch_content(batch=batch))
    n = ns("pain.001.001.03")
    assert tree.findtext(".//p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=n) == "GKCCBEBB"


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"creditor_iban": "BE71 0961 2345 6760"}, "creditor_iban", "IBAN"),
        ({"structured_reference": "+++010/8068/17184+++"}, "structured_reference", "structured"),
        ({"amount": Decimal("0.00")}, "amount", "amount"),
        ({"amount": Decimal("-5.00")}, "amount", "amount"),
        ({"amount": Decimal("1000000000.00")}, "amount", "amount"),
        ({"amount": Decimal("10.005")}, "amount", "2 decimals"),
        ({"amount": None}, "amount", "amount"),
        ({"execution_date": date(2020, 1, 1)}, "execution_date", "from today"),
        ({"execution_date": None}, "execution_date", "from today"),
        ({"creditor_name": "   "}, "creditor_name", "name"),
        ({"creditor_name": "x" * 71}, "creditor_name", "70"),
        (
            {"structured_reference": "", "remittance": ""},
            "remittance",
            "structured communication or a free",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_invoice_and_nothing_is_written(
    settings,
    dossier: Dossier,
    client_user: User,
    invoices: dict[str, Document],
    account: PayingAccount,
    overrides: dict[str, Any],
    field: str,
    words: str,
) -> None:
    with translation.override("en"), pytest.raises(payments.LineError) as excinfo:
        payments.batch_create(
            actor=client_user,
            dossier=dossier,
            account=account,
            lines=[line(invoices["b"]), line(invoices["a"], **overrides)],
        )
    error = excinfo.value
    assert (error.line, error.field) == (1, field)
    message = str(error.message)
    assert "Snippet1" in message  # the invoice is named
    assert words in message
    nothing_written(settings, [invoices["a"], invoices["b"]])


def test_a_document_of_another_dossier_is_never_paid(
    settings,
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    invoices: dict[str, Document],
    account: PayingAccount,
) -> None:
    # The same client runs a second company: its invoice is theirs, but not this dossier's.
    second = DossierFactory(firm=firm)
    grant(client_user, second, "connect.entrepreneur")
    foreign = receive(second, client_user, belgian_a(), "second.xml")
    with pytest.raises(ServiceError) as excinfo:
        payments.batch_create(
            actor=client_user,
            dossier=dossier,
            account=account,
            lines=[line(invoices["a"]), line(foreign)],
        )
    assert excinfo.value.code == "document_unknown"
    nothing_written(settings, [invoices["a"], foreign])
    # Nor is another dossier's paying account used.
    other_account = paying_account_add(
        actor=client_user, dossier=second, name="Second", iban=SUPPLIER_B_IBAN
    )
    with pytest.raises(ServiceError) as excinfo:
        payments.batch_create(
            actor=client_user, dossier=dossier, account=other_account, lines=[line(invoices["a"])]
        )
    assert excinfo.value.code == "account_invalid"
    nothing_written(settings, [invoices["a"], foreign])


def test_an_invoice_is_paid_once(
    settings,
    dossier: Dossier,
    client_user: User,
    invoices: dict[str, Document],
    account: PayingAccount,
) -> None:
    with pytest.raises(ServiceError) as excinfo:
        payments.batch_create(
            actor=client_user,
            dossier=dossier,
            account=account,
            lines=[line(invoices["a"]), line(invoices["a"])],
        )
    assert excinfo.value.code == "lines_duplicate"
    payments.batch_create(
        actor=client_user, dossier=dossier, account=account, lines=[line(invoices["a"])]
    )
    with pytest.raises(payments.LineError) as excinfo:
        payments.batch_create(
            actor=client_user, dossier=dossier, account=account, lines=[line(invoices["a"])]
        )
    assert excinfo.value.code == "not_payable"
    assert PaymentBatch.objects.count() == 1 and len(stored_files(settings)) == 1


def test_credit_notes_and_foreign_currencies_are_not_paid(
    settings,
    dossier: Dossier,
    client_user: User,
    invoices: dict[str, Document],
    account: PayingAccount,
) -> None:
    for key in ("credit", "gbp"):
        with pytest.raises(payments.LineError) as excinfo:
            payments.batch_create(
                actor=client_user,
                dossier=dossier,
                account=account,
                lines=[
                    line(
                        invoices[key],
                        amount=Decimal("10.00"),
                        creditor_name="X",
                        creditor_iban=SUPPLIER_A_IBAN,
                        remittance="x",
                    )
                ],
            )
        assert excinfo.value.code == "not_payable"
    nothing_written(settings, [invoices["credit"], invoices["gbp"]])


def test_the_file_is_removed_when_the_rows_cannot_be_written(
    settings,
    monkeypatch,
    dossier: Dossier,
    client_user: User,
    invoices: dict[str, Document],
    account: PayingAccount,
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise IntegrityError("the database refused the lines")

    monkeypatch.setattr(PaymentLine.objects, "bulk_create", refuse)
    with pytest.raises(IntegrityError):
        payments.batch_create(
            actor=client_user, dossier=dossier, account=account, lines=[line(invoices["a"])]
        )
    nothing_written(settings, [invoices["a"]])


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"iban": "BE71 0961 2345 6760"}, "iban"),
        ({"iban": "not an iban"}, "iban"),
        ({"bic": "GKCCBEB"}, "bic"),
        ({"name": "x" * 71}, "name"),
        ({"name": " \x00 "}, "name"),
    ],
)
def test_a_bad_paying_account_is_refused(
    dossier: Dossier, client_user: User, values: dict[str, str], field: str
) -> None:
    data = {"name": "Alpha Un SRL", "iban": PAYER_IBAN, "bic": "", **values}
    with pytest.raises(ServiceError) as excinfo:
        paying_account_add(actor=client_user, dossier=dossier, **data)
    assert excinfo.value.field == field
    assert not PayingAccount.objects.exists()


def test_an_account_is_recorded_once_per_dossier_and_only_by_the_client(
    dossier: Dossier, client_user: User, accountant: User, account: PayingAccount
) -> None:
    with pytest.raises(ServiceError) as excinfo:
        paying_account_add(
            actor=client_user, dossier=dossier, name="Again", iban="be68 5390 0754 7034"
        )
    assert excinfo.value.code == "account_exists"
    with pytest.raises(ServiceError) as excinfo:
        paying_account_add(actor=accountant, dossier=dossier, name="Firm", iban=SUPPLIER_A_IBAN)
    assert excinfo.value.code == "forbidden"
    assert PayingAccount.objects.count() == 1


# --- the pages --------------------------------------------------------------------------------


def formset_data(rows: list[dict[str, Any]], account: PayingAccount, **extra: str) -> dict:
    data: dict[str, Any] = {
        "line-TOTAL_FORMS": str(len(rows)),
        "line-INITIAL_FORMS": str(len(rows)),
        "line-MIN_NUM_FORMS": "0",
        "line-MAX_NUM_FORMS": "200",
        "account": str(account.public_id),
        "pain_version": "pain.001.001.03",
        **extra,
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            if key == "selected":
                if value:
                    data[f"line-{index}-selected"] = "on"
                continue
            data[f"line-{index}-{key}"] = "" if value is None else str(value)
    return data


def page_row(document: Document, selected: bool = True, **overrides: Any) -> dict[str, Any]:
    return {**line(document, **overrides), "selected": selected}


def every_input_has_its_label(html: str) -> None:
    from lxml import html as lxml_html

    root = lxml_html.fromstring(html)
    labelled = set(root.xpath("//label/@for"))
    fields = root.xpath(
        "//main//input[not(@type='hidden') and not(@type='submit')] | //main//select"
    )
    assert fields
    for field in fields:
        assert field.get("id") in labelled, field.get("name")


def test_the_client_pays_from_the_page_and_downloads_the_file(
    settings,
    dossier: Dossier,
    client_user: User,
    invoices: dict[str, Document],
    account: PayingAccount,
    auth_client,
) -> None:
    client = auth_client(client_user)
    url = reverse("connect:payments", args=[dossier.public_id])
    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    assert "Snippet1" in text and "INV-2017-002" in text
    assert SUPPLIER_A_IBAN in text and "+++010/8068/17183+++" in text
    assert "cn.xml" not in text and "gbp.xml" not in text
    every_input_has_its_label(text)
    today = timezone.localdate().isoformat()  # the date picker's format, in any language
    assert f'name="line-0-execution_date" value="{today}"' in text
    response = client.post(
        url,
        formset_data([page_row(invoices["a"]), page_row(invoices["b"], selected=False)], account),
    )
    assert response.status_code == HTTPStatus.FOUND
    batch = PaymentBatch.objects.get()
    assert response["Location"] == reverse("connect:payment_batch", args=[batch.public_id])
    assert list(batch.lines.values_list("document_id", flat=True)) == [invoices["a"].pk]
    detail = client.get(response["Location"])
    assert detail.status_code == HTTPStatus.OK and "+++010/8068/17183+++" in detail.content.decode()
    listing = client.get(url).content.decode()
    assert reverse("connect:payment_download", args=[batch.public_id]) in listing
    assert "Snippet1" not in listing  # paid: no longer offered


def test_a_bad_iban_on_the_page_is_refused_with_a_message(
    settings,
    dossier: Dossier,
    client_user: User,
    invoices: dict[str, Document],
    account: PayingAccount,
    auth_client,
) -> None:
    client = auth_client(client_user)
    response = client.post(
        reverse("connect:payments", args=[dossier.public_id]),
        formset_data(
            [page_row(invoices["a"], creditor_iban="BE71 0961 2345 6760")],
            account,
        ),
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Invoice Snippet1: the IBAN of the supplier is not valid." in response.content.decode()
    nothing_written(settings, [invoices["a"]])


def test_another_dossiers_invoice_in_the_post_is_refused(
    settings,
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    invoices: dict[str, Document],
    account: PayingAccount,
    auth_client,
) -> None:
    second = DossierFactory(firm=firm, name=f"{CANARY} Second SRL")
    grant(client_user, second, "connect.entrepreneur")
    foreign = receive(second, client_user, belgian_a(), "canary.xml")
    response = auth_client(client_user).post(
        reverse("connect:payments", args=[dossier.public_id]),
        formset_data([page_row(invoices["a"]), page_row(foreign)], account),
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert CANARY.encode() not in response.content
    nothing_written(settings, [invoices["a"], foreign])


def test_the_client_adds_an_account_and_a_bad_one_is_shown_again(
    dossier: Dossier, client_user: User, auth_client
) -> None:
    client = auth_client(client_user)
    url = reverse("connect:paying_accounts", args=[dossier.public_id])
    bad = client.post(url, {"name": "Alpha", "iban": "BE71 0961 2345 6760", "bic": ""})
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Enter a valid IBAN" in bad.content.decode()
    assert not PayingAccount.objects.exists()
    good = client.post(url, {"name": "Alpha", "iban": "BE71 0961 2345 6769", "bic": ""})
    assert good.status_code == HTTPStatus.FOUND
    assert PayingAccount.objects.get().iban == SUPPLIER_A_IBAN
    assert SUPPLIER_A_IBAN in client.get(url).content.decode()


def test_the_accountant_reads_the_files_but_does_not_pay(
    settings,
    dossier: Dossier,
    client_user: User,
    accountant: User,
    invoices: dict[str, Document],
    account: PayingAccount,
    auth_client,
) -> None:
    batch = payments.batch_create(
        actor=client_user, dossier=dossier, account=account, lines=[line(invoices["b"])]
    )
    client = auth_client(accountant)
    listing = client.get(reverse("connect:payments", args=[dossier.public_id]))
    assert listing.status_code == HTTPStatus.OK
    assert reverse("connect:payment_batch", args=[batch.public_id]) in listing.content.decode()
    detail = client.get(reverse("connect:payment_batch", args=[batch.public_id]))
    assert detail.status_code == HTTPStatus.OK
    assert b"b.xml" in detail.content  # a sent invoice, which the accountant sees anyway
    download = client.get(reverse("connect:payment_download", args=[batch.public_id]))
    assert download.content == payments.batch_content(batch=batch)
    invoices["a"].refresh_from_db()
    before = (PaymentBatch.objects.count(), PayingAccount.objects.count())
    pay = client.post(
        reverse("connect:payments", args=[dossier.public_id]),
        formset_data([page_row(invoices["a"])], account),
    )
    add = client.post(
        reverse("connect:paying_accounts", args=[dossier.public_id]),
        {"name": "Firm", "iban": SUPPLIER_A_IBAN},
    )
    assert (pay.status_code, add.status_code) == (HTTPStatus.NOT_FOUND, HTTPStatus.NOT_FOUND)
    assert (PaymentBatch.objects.count(), PayingAccount.objects.count()) == before


def _payable(dossier: Dossier, user: User, count: int) -> None:
    Document.objects.bulk_create(
        Document(
            firm=dossier.firm,
            dossier=dossier,
            filename=f"invoice-{i}.pdf",
            storage_name=f"test/{dossier.public_id}/{i}.pdf",
            content_type="application/pdf",
            size=1,
            sha256=f"{i:064d}",
            source="web",
            uploaded_by=user,
            status="sent",
            sent_at=timezone.now(),
            amount=Decimal("10.00") + i,
            recognized={"supplier_name": f"Supplier {i}", "iban": SUPPLIER_A_IBAN},
        )
        for i in range(count)
    )


@pytest.mark.parametrize("count", [2, 200])
def test_the_payments_page_costs_the_same_queries_with_2_or_200_invoices(
    dossier: Dossier,
    client_user: User,
    account: PayingAccount,
    auth_client,
    django_assert_max_num_queries,
    count: int,
) -> None:
    _payable(dossier, client_user, count)
    client = auth_client(client_user)
    url = reverse("connect:payments", args=[dossier.public_id])
    client.get(url)  # the session and the caches warm
    # + the row-level security scope, + the supplier accounts waiting for confirmation
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.content.decode().count('type="checkbox"') == count


# --- access -----------------------------------------------------------------------------------


@pytest.fixture
def planted(dossier: Dossier, client_user: User, invoices: dict[str, Document]) -> PaymentBatch:
    """A batch whose rows carry the canary (account, supplier name, communication)."""
    account = paying_account_add(
        actor=client_user, dossier=dossier, name=f"{CANARY} Account", iban=PAYER_IBAN
    )
    return payments.batch_create(
        actor=client_user,
        dossier=dossier,
        account=account,
        lines=[line(invoices["b"], creditor_name=f"{CANARY} Supplier", remittance=CANARY)],
    )


def route_urls(dossier: Dossier, batch: PaymentBatch) -> list[tuple[str, str]]:
    from tests.portal.access_payments import ROUTES

    args = {
        "connect:payments": [dossier.public_id],
        "connect:paying_accounts": [dossier.public_id],
        "connect:payment_batch": [batch.public_id],
        "connect:payment_download": [batch.public_id],
    }
    assert set(args) == ROUTES
    return [(name, reverse(name, args=value)) for name, value in args.items()]


def snapshot() -> tuple:
    return (
        PayingAccount.objects.count(),
        PaymentBatch.objects.count(),
        PaymentLine.objects.count(),
        list(Document.objects.order_by("pk").values_list("paid", flat=True)),
    )


@pytest.mark.parametrize(
    "actor_name",
    ["anonymous", "neighbour", "licence_admin", "other_staff", "deactivated", "role_removed"],
)
def test_the_payment_routes_refuse_who_must_not_reach_them(
    request: pytest.FixtureRequest,
    firm: Firm,
    dossier: Dossier,
    client_user: User,
    invoices: dict[str, Document],
    planted: PaymentBatch,
    actor_name: str,
) -> None:
    client = Client()
    if actor_name == "neighbour":  # the client of another dossier of the same firm
        neighbour = UserFactory()
        grant(neighbour, DossierFactory(firm=firm), "connect.entrepreneur", "view.user")
        client.force_login(neighbour)
    elif actor_name == "deactivated":
        FirmMembership.objects.filter(user=client_user).update(is_active=False)
        client.force_login(client_user)
    elif actor_name == "role_removed":
        DossierAccess.objects.filter(user=client_user).delete()
        client.force_login(client_user)
    elif actor_name != "anonymous":
        client.force_login(request.getfixturevalue(actor_name))
    account = planted.account
    before = snapshot()
    data = formset_data(
        [page_row(invoices["a"])],
        account,
        name="Intruder",
        iban=SUPPLIER_A_IBAN,
    )
    attempts = 0
    for name, url in route_urls(dossier, planted):
        for method in ("get", "post"):
            response = getattr(client, method)(url, data)
            attempts += 1
            if actor_name == "anonymous":
                assert response.status_code == HTTPStatus.FOUND, (name, method)
                assert response["Location"].startswith(reverse("account_login")), name
            else:
                assert response.status_code in (
                    HTTPStatus.NOT_FOUND,
                    HTTPStatus.METHOD_NOT_ALLOWED,
                ), (name, method)
            # Neither the planted names nor the planted line's IBAN (the GET echoes only the
            # query string sent, which holds the other IBAN).
            assert CANARY.encode() not in response.content, (name, method)
            assert SUPPLIER_B_IBAN.encode() not in response.content, (name, method)
    assert attempts == 8
    assert snapshot() == before


def test_the_client_reaches_every_payment_route(
    dossier: Dossier, client_user: User, planted: PaymentBatch, auth_client
) -> None:
    client = auth_client(client_user)
    for name, url in route_urls(dossier, planted):
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, name
        if name != "connect:payment_download":
            assert CANARY in response.content.decode(), name
    assert default_storage.exists(planted.storage_name)


@pytest.fixture(autouse=True)
def _english(client_user: User, accountant: User) -> None:
    """The messages below are checked in English, the users' language here."""
    User.objects.filter(pk__in=[client_user.pk, accountant.pk]).update(language="en")
