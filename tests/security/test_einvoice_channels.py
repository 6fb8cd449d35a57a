"""Hybrid e-invoices through every channel (issue 13): a PDF carrying its invoice XML (Factur-X
in each profile, ZUGFeRD 2.x, XRechnung, Odoo's UBL) sent by web upload, API, e-mail over SMTP
and the Postmark webhook is accepted; its facts equal its XML's, value by value; it is read at
no credit in a Premium dossier; a PDF that prints another total than its XML says so."""

import re
from decimal import Decimal

import pytest
from django.test import Client, TestCase
from django.urls import reverse
from django.utils.html import escape

from connect import einvoice
from connect.documents import services
from connect.models import CreditUse, Document, Recognition
from dossiers.models import Cartouche, Dossier, ProcessingMode
from tests.connect import einvoices
from tests.connect.einvoices import PROFILES, Facts
from tests.security.channels import CHANNEL_PARAMS, Sender
from tests.security.conftest import Storage
from users.models import User


def received(answer_id: str) -> Document:
    """The document an answer names (an id, or the web's link to its page)."""
    found = re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", answer_id)
    assert found, answer_id
    return Document.objects.get(public_id=found.group(0))


def hybrids() -> list[tuple[str, bytes, bytes, str]]:
    """(file name, PDF, the XML it carries, source) for each kind of hybrid PDF."""
    made = [
        (f"facturx-{profile}.pdf", einvoices.factur_x(profile), einvoices.cii_xml(profile), "cii")
        for profile in PROFILES
    ]
    for name, xml in (
        ("zugferd-invoice.xml", einvoices.cii_xml("en16931")),
        ("xrechnung.xml", einvoices.cii_xml("xrechnung")),
    ):
        pdf = einvoices.with_embedded(einvoices.printed(), {name: xml})
        made.append((name.replace(".xml", ".pdf"), pdf, xml, "cii"))
    made.append(("odoo.pdf", einvoices.odoo_ubl_pdf(), einvoices.ubl_invoice(), "ubl"))
    return made


@pytest.mark.parametrize("channel", CHANNEL_PARAMS)
def test_hybrid_pdfs_are_accepted_and_read_exactly_at_no_credit(
    channel: str, sender: Sender, storage: Storage, dossier: Dossier, client_user: User
) -> None:
    Dossier.objects.filter(pk=dossier.pk).update(default_processing_mode=ProcessingMode.PREMIUM)
    credits = Cartouche.objects.get(firm=dossier.firm, mode=ProcessingMode.PREMIUM).credits
    made = hybrids()
    for name, pdf, xml, syntax in made:
        answer = sender.send(channel, [(name, pdf)], "en")
        assert len(answer.documents) == 1, (name, answer.text)
        document = received(answer.documents[0])
        assert document.embedded_invoice.endswith(".xml") and not document.embedded_invoice_problem
        assert document.carries_einvoice and not document.is_ubl
        expected = einvoice.parse(xml).facts(embedded=True)
        assert expected["source"] == f"embedded_{syntax}"
        # Value by value: every fact of the XML, and nothing read from the page instead.
        assert {key: document.recognized.get(key) for key in expected} == expected, name
        assert document.amount == Decimal(str(expected["payable_amount"]))
    documents = list(Document.objects.filter(dossier=dossier))
    assert len(documents) == len(made)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.documents_send(actor=client_user, dossier=dossier, documents=documents)
    for document in Document.objects.filter(dossier=dossier):
        assert document.processing_mode == ProcessingMode.PREMIUM
        assert document.recognition == Recognition.DONE and document.ready_at is not None
    assert not CreditUse.objects.exists()
    assert Cartouche.objects.get(firm=dossier.firm, mode=ProcessingMode.PREMIUM).credits == credits


def test_a_pdf_printing_another_vat_number_keeps_the_xml_and_shows_the_disagreement(
    sender: Sender, storage: Storage, dossier: Dossier, client_user: User
) -> None:
    pdf = einvoices.factur_x("en16931", vat="BE0403170701")
    answer = sender.send("web", [("facture.pdf", pdf)], "en")
    document = received(answer.documents[0])
    facts = document.recognized
    assert facts["total_incl_vat"] == "383.57" and facts["supplier_vat"] == "BE0417497106"
    assert "pdf_disagrees" in facts["checks_failed"]
    assert {row["fact"]: row["pdf"] for row in facts["disagreements"]} == {
        "supplier_vat": "BE0403170701"
    }
    page = Client()
    page.force_login(client_user)
    html = page.get(reverse("connect:document", args=[document.public_id])).content.decode()
    assert "The PDF does not print what its e-invoice says" in html
    assert "BE0417497106 in the e-invoice, BE0403170701 on the PDF" in html


def test_an_agreeing_pdf_shows_no_disagreement(
    sender: Sender, storage: Storage, dossier: Dossier
) -> None:
    answer = sender.send("api", [("facture.pdf", einvoices.factur_x("en16931"))], "en")
    document = received(answer.documents[0])
    assert "disagreements" not in document.recognized
    assert document.recognized["checks_failed"] == []
    assert document.recognized["invoice_number"] == Facts().number


@pytest.mark.parametrize("channel", CHANNEL_PARAMS)
def test_an_unusable_embedded_xml_leaves_an_ordinary_pdf_with_a_note(
    channel: str, sender: Sender, storage: Storage, dossier: Dossier, client_user: User
) -> None:
    pdf = einvoices.with_embedded(einvoices.printed(), {"factur-x.xml": b"<not-an-invoice/>"})
    answer = sender.send(channel, [("facture.pdf", pdf)], "fr")
    document = received(answer.documents[0])
    assert (document.embedded_invoice, document.embedded_invoice_problem) == (
        "factur-x.xml",
        "not_invoice",
    )
    assert not document.carries_einvoice and document.recognized is None
    page = Client()
    page.force_login(client_user)
    html = page.get(reverse("connect:document", args=[document.public_id])).content.decode()
    assert escape("Le fichier XML contenu dans le PDF n'est pas une facture électronique.") in html


def test_a_hybrid_whose_checks_fail_shows_them_on_its_page(
    sender: Sender, storage: Storage, dossier: Dossier, client_user: User
) -> None:
    xml = einvoices.cii_xml("en16931").replace(
        b"<ram:DuePayableAmount>383.57</ram:DuePayableAmount>",
        b"<ram:DuePayableAmount>383.00</ram:DuePayableAmount>",
    )
    pdf = einvoices.with_embedded(einvoices.printed(), {"factur-x.xml": xml})
    document = received(sender.send("web", [("facture.pdf", pdf)], "en").documents[0])
    assert document.recognized["checks_failed"] == ["payable_amount"]
    page = Client()
    page.force_login(client_user)
    html = page.get(reverse("connect:document", args=[document.public_id])).content.decode()
    assert "Some checks of this e-invoice failed" in html
    assert "not the stated amount due 383.00" in html
