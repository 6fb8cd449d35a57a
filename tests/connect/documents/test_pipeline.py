"""Processing modes after sending (DESIGN.md §2): Transport, Premium, Optimum, the credit
ledger, pre-validation, Peppol UBL read without credit, and duplicates across channels."""

from decimal import Decimal

import pytest
from django.core import mail

from connect.documents import services
from connect.documents.services.pipeline import document_recognise
from connect.models import CreditUse, Document, Recognition, Status
from core.errors import ServiceError
from dossiers.models import Cartouche, Dossier, FirmLevel, ProcessingMode
from tests.connect import samples
from tests.factories import MembershipFactory
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path, django_capture_on_commit_callbacks) -> None:
    """Files in a temporary directory; tasks enqueued after commit run (eagerly) at once."""
    global _commit
    settings.MEDIA_ROOT = str(tmp_path / "media")
    _commit = django_capture_on_commit_callbacks


_commit = None


def receive(dossier: Dossier, user: User, data: bytes, name: str = "f.pdf") -> Document:
    with _commit(execute=True):
        document = services.document_receive(
            dossier=dossier, actor=user, filename=name, chunks=[data], source="web"
        ).document
    document.refresh_from_db()
    return document


def send(dossier: Dossier, user: User, document: Document) -> Document:
    with _commit(execute=True):
        services.documents_send(actor=user, dossier=dossier, documents=[document])
    document.refresh_from_db()
    return document


def credits(dossier: Dossier, mode: str) -> int:
    return Cartouche.objects.get(firm=dossier.firm, mode=mode).credits


def set_mode(dossier: Dossier, mode: str) -> None:
    Dossier.objects.filter(pk=dossier.pk).update(default_processing_mode=mode)
    dossier.refresh_from_db()


def test_transport_is_ready_at_once_and_takes_no_credit(
    dossier: Dossier, client_user: User
) -> None:
    document = send(dossier, client_user, receive(dossier, client_user, samples.pdf(text="T")))
    assert document.processing_mode == "transport"
    assert (document.recognition, document.recognized) == (Recognition.NONE, None)
    assert document.ready_at is not None
    assert not CreditUse.objects.exists()


def test_a_peppol_invoice_is_read_exactly_whatever_the_mode_and_takes_no_credit(
    dossier: Dossier, client_user: User
) -> None:
    set_mode(dossier, ProcessingMode.PREMIUM)
    before = credits(dossier, "premium")
    document = receive(dossier, client_user, samples.ubl(), name="invoice.xml")
    document.refresh_from_db()
    # Read on arrival: the client sees the amount and the due date on the desk already.
    assert document.recognized is not None and document.recognized["source"] == "ubl"
    assert document.amount == Decimal(document.recognized["payable_amount"])
    document = send(dossier, client_user, document)
    assert document.recognition == Recognition.DONE and document.ready_at is not None
    assert credits(dossier, "premium") == before
    assert not CreditUse.objects.exists()
    assert document.text.method == "ubl"


def test_with_pre_validation_nothing_is_read_before_the_accountant_validates(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    set_mode(dossier, ProcessingMode.PREMIUM)
    services.profile_update(
        actor=accountant,
        dossier=dossier,
        auto_send=False,
        require_due_date=False,
        require_amount=False,
        pre_validation=True,
        allowed_categories=[],
        email_allow_list="",
        digest_hours=24,
        notify_client=True,
    )
    document = send(dossier, client_user, receive(dossier, client_user, samples.pdf(text="PV")))
    assert (document.recognition, document.ready_at) == (Recognition.NONE, None)
    document_recognise(document_id=document.pk)  # a stray message changes nothing
    document.refresh_from_db()
    assert document.recognition == Recognition.NONE and not CreditUse.objects.exists()
    with _commit(execute=True):
        services.document_validate(actor=accountant, document=document)
    document.refresh_from_db()
    assert document.status == Status.VALIDATED
    # Eager tasks in tests: the reading ran when the validation committed.
    assert document.recognition in (Recognition.DONE, Recognition.REVIEW)
    assert CreditUse.objects.filter(document=document).count() == 1


def test_at_zero_credits_documents_go_as_transport_and_admins_are_told_once(
    dossier: Dossier, client_user: User, licence_admin: User
) -> None:
    set_mode(dossier, ProcessingMode.PREMIUM)
    Cartouche.objects.filter(firm=dossier.firm, mode="premium").update(credits=0)
    second_admin = MembershipFactory(firm=dossier.firm, level=FirmLevel.LICENCE_ADMIN).user
    mail.outbox.clear()
    first = send(dossier, client_user, receive(dossier, client_user, samples.pdf(text="Z1")))
    second = send(dossier, client_user, receive(dossier, client_user, samples.pdf(text="Z2")))
    for document in (first, second):
        assert document.recognition == Recognition.FALLBACK
        assert document.ready_at is not None and document.recognized is None
    told = [m for m in mail.outbox if "Premium" in m.subject]
    assert sorted(to for m in told for to in m.to) == sorted(
        [licence_admin.email, second_admin.email]
    )
    assert not CreditUse.objects.exists()
    # Credits added: the next exhaustion is told again.
    from connect.documents.services.pipeline import credits_add

    cartouche = credits_add(firm_id=dossier.firm_id, mode="premium", credits=5)
    assert (cartouche.credits, cartouche.exhausted_notified_at) == (5, None)


def test_the_accountant_can_override_the_mode_of_one_document(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    document = send(dossier, client_user, receive(dossier, client_user, samples.pdf(text="M")))
    assert document.recognition == Recognition.NONE
    with _commit(execute=True):
        services.document_mode_set(actor=accountant, document=document, mode="premium")
    document.refresh_from_db()
    assert document.processing_mode == "premium"
    assert document.recognition in (Recognition.DONE, Recognition.REVIEW)
    assert document.events.filter(kind="mode").exists()
    with pytest.raises(ServiceError):
        services.document_mode_set(actor=client_user, document=document, mode="transport")


def test_a_light_licence_cannot_override_to_premium(
    client_user: User, accountant: User, dossier: Dossier
) -> None:
    dossier.firm.licence_kind = "light"
    dossier.firm.save()
    document = send(dossier, client_user, receive(dossier, client_user, samples.pdf(text="L")))
    with pytest.raises(ServiceError) as refused:
        services.document_mode_set(actor=accountant, document=document, mode="premium")
    assert refused.value.code == "light_licence"
    document.refresh_from_db()
    assert document.processing_mode == "transport"


def test_the_text_read_from_documents_is_searched_in_the_four_languages(
    dossier: Dossier, client_user: User, auth_client
) -> None:
    from connect.documents.selectors import document_search
    from connect.models import DocumentText

    ubl = receive(dossier, client_user, samples.ubl(), name="einvoice.xml")
    plain = receive(dossier, client_user, samples.pdf(text="S"), name="plain.pdf")
    DocumentText.objects.create(document=plain, text="Facturen voor de herstellingen van de wagen")
    everything = Document.objects.filter(dossier=dossier)
    assert list(document_search(everything, "SupplierOfficialName")) == [ubl]
    # Dutch stemming: "herstelling" finds "herstellingen".
    assert list(document_search(everything, "herstelling")) == [plain]
    assert list(document_search(everything, "plain")) == [plain]  # the name, too
    assert not document_search(everything, "introuvable").exists()
    page = auth_client(client_user).get(
        f"/connect/dossiers/{dossier.public_id}/invoices/", {"q": "herstelling"}
    )
    assert b"plain.pdf" in page.content and b"einvoice.xml" not in page.content


def test_premium_reads_the_facts_and_takes_one_credit_exactly_once(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    set_mode(dossier, ProcessingMode.PREMIUM)
    before = credits(dossier, "premium")
    document = receive(dossier, client_user, samples.invoice_pdf(samples.BELGIAN_INVOICE))
    document = send(dossier, client_user, document)
    assert document.recognition == Recognition.DONE and document.ready_at is not None
    facts = document.recognized
    assert (facts["supplier_vat"], facts["invoice_number"], facts["total_incl_vat"]) == (
        "BE0403170701",
        "F2026-0042",
        "121.00",
    )
    assert facts["structured_reference"] == "+++010/8068/17183+++"
    assert credits(dossier, "premium") == before - 1
    use = CreditUse.objects.get()
    assert (use.document, use.user, use.mode, use.dossier) == (
        document,
        client_user,
        "premium",
        dossier,
    )
    # A message delivered twice, and a document rejected then sent again: no second credit.
    document_recognise(document_id=document.pk)
    services.document_reject(actor=accountant, document=document, reason="Illisible")
    document = send(dossier, client_user, document)
    assert document.recognition == Recognition.DONE
    assert credits(dossier, "premium") == before - 1
    assert CreditUse.objects.count() == 1
    assert "Garage" in document.text.text and document.text.method == "text"


def test_optimum_holds_a_doubtful_reading_for_review_and_keeps_the_corrections(
    dossier: Dossier, client_user: User, accountant: User, settings
) -> None:
    from connect.api.selectors import new_documents
    from connect.documents.services.review import review_queue_for

    settings.CONNECT_REVIEW_THRESHOLD = 0.99
    set_mode(dossier, ProcessingMode.OPTIMUM)
    document = receive(dossier, client_user, samples.invoice_pdf(samples.BELGIAN_INVOICE))
    document = send(dossier, client_user, document)
    assert document.recognition == Recognition.REVIEW and document.ready_at is None
    assert list(review_queue_for(actor=accountant)) == [document]
    assert not review_queue_for(actor=client_user).exists()
    assert not new_documents(Document.objects.all()).exists()
    machine = dict(document.recognized)
    corrected = {k: machine[k] or "" for k in machine if k in services.review.REVIEW_FACTS}
    with pytest.raises(ServiceError) as refused:
        services.document_review(
            actor=accountant, document=document, facts=corrected | {"iban": "BE00 1234"}
        )
    assert refused.value.field == "iban"
    document.refresh_from_db()
    assert document.recognition == Recognition.REVIEW
    with pytest.raises(ServiceError):
        services.document_review(actor=client_user, document=document, facts=corrected)
    services.document_review(
        actor=accountant,
        document=document,
        facts=corrected | {"supplier_name": "Garage Dupont", "total_excl_vat": "100"},
    )
    document.refresh_from_db()
    assert document.recognition == Recognition.DONE and document.ready_at is not None
    assert document.recognized["supplier_name"] == "Garage Dupont"
    assert document.recognized["total_excl_vat"] == "100.00"
    assert document.recognized_machine == machine  # what the machine read is kept
    assert document.reviewed_by == accountant
    assert list(new_documents(Document.objects.all())) == [document]
    assert CreditUse.objects.filter(document=document).count() == 1


def test_the_same_invoice_by_peppol_and_as_a_pdf_is_flagged_and_linked(
    dossier: Dossier, client_user: User
) -> None:
    set_mode(dossier, ProcessingMode.PREMIUM)
    lines = [
        "SupplierOfficialName Ltd",
        "TVA BE0123.456.749",
        "Invoice number Snippet1",
        "Invoice date 13/11/2017",
        "Total excl. VAT 1.325,00",
        "VAT 25% 331,25",
        "Total incl. VAT 1.656,25 EUR",
    ]
    belgian_ubl = samples.ubl().replace(
        b"<cbc:CompanyID>GB1232434</cbc:CompanyID>", b"<cbc:CompanyID>BE0123456749</cbc:CompanyID>"
    )
    einvoice = send(dossier, client_user, receive(dossier, client_user, belgian_ubl, "e.xml"))
    assert einvoice.recognized["supplier_vat"] == "BE0123456749"
    paper = send(dossier, client_user, receive(dossier, client_user, samples.invoice_pdf(lines)))
    assert paper.recognized["invoice_number"] == "Snippet1"
    assert paper.duplicate_of == einvoice
    assert einvoice.duplicate_of is None


def test_the_licence_admin_reads_the_credit_ledger(
    dossier: Dossier, client_user: User, licence_admin: User, auth_client
) -> None:
    set_mode(dossier, ProcessingMode.PREMIUM)
    document = receive(dossier, client_user, samples.invoice_pdf(samples.BELGIAN_INVOICE))
    send(dossier, client_user, document)
    url = f"/portal/firms/{dossier.firm.public_id}/credits/"
    page = auth_client(licence_admin).get(url).content.decode()
    assert "f.pdf" in page and client_user.email in page and "ALPHA1" in page
    assert "9" in page  # 10 credits, one used
    assert auth_client(client_user).get(url).status_code == 404


def test_a_reading_starts_afresh_each_time_the_document_is_sent_again(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    set_mode(dossier, ProcessingMode.PREMIUM)
    document = receive(dossier, client_user, samples.invoice_pdf(samples.BELGIAN_INVOICE))
    for _ in range(4):
        document = send(dossier, client_user, document)
        assert document.recognition == Recognition.DONE, document.recognition_attempts
        services.document_reject(actor=accountant, document=document, reason="Encore")
    assert CreditUse.objects.count() == 1


def test_switching_pre_validation_off_releases_the_documents_that_waited(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    def profile(pre_validation: bool) -> None:
        with _commit(execute=True):
            services.profile_update(
                actor=accountant,
                dossier=dossier,
                auto_send=False,
                require_due_date=False,
                require_amount=False,
                pre_validation=pre_validation,
                allowed_categories=[],
                email_allow_list="",
                digest_hours=24,
                notify_client=True,
            )

    set_mode(dossier, ProcessingMode.PREMIUM)
    profile(True)
    waiting = send(dossier, client_user, receive(dossier, client_user, samples.pdf(text="W")))
    assert waiting.ready_at is None
    profile(False)
    waiting.refresh_from_db()
    assert waiting.ready_at is not None or waiting.recognition == Recognition.REVIEW
    assert waiting.recognition != Recognition.NONE


def test_validating_a_document_already_read_does_not_read_it_again(
    dossier: Dossier, client_user: User, accountant: User
) -> None:
    set_mode(dossier, ProcessingMode.PREMIUM)
    document = send(
        dossier, client_user, receive(dossier, client_user, samples.invoice_pdf(["Doc"]))
    )
    assert document.ready_at is not None
    from connect.models import ConnectProfile

    ConnectProfile.objects.update_or_create(dossier=dossier, defaults={"pre_validation": True})
    with _commit(execute=True):
        services.document_validate(actor=accountant, document=document)
    after = Document.objects.get(pk=document.pk)
    assert after.ready_at == document.ready_at
    assert after.recognition_attempts == document.recognition_attempts


def test_a_duplicate_is_never_linked_to_a_clients_draft(
    dossier: Dossier, client_user: User
) -> None:
    belgian_ubl = samples.ubl().replace(
        b"<cbc:CompanyID>GB1232434</cbc:CompanyID>", b"<cbc:CompanyID>BE0123456749</cbc:CompanyID>"
    )
    draft = receive(dossier, client_user, belgian_ubl, "e.xml")
    assert draft.status == Status.DRAFT and draft.recognized is not None
    set_mode(dossier, ProcessingMode.PREMIUM)
    lines = [
        "SupplierOfficialName Ltd",
        "TVA BE0123.456.749",
        "Invoice number Snippet1",
        "Invoice date 13/11/2017",
        "Total excl. VAT 1.325,00",
        "VAT 25% 331,25",
        "Total incl. VAT 1.656,25 EUR",
    ]
    paper = send(dossier, client_user, receive(dossier, client_user, samples.invoice_pdf(lines)))
    assert paper.duplicate_of is None
    # Once the e-invoice is sent, it is linked to the earlier paper copy.
    einvoice = send(dossier, client_user, draft)
    assert einvoice.duplicate_of == paper


def test_the_client_companys_own_vat_number_is_never_taken_for_the_suppliers(
    dossier: Dossier, client_user: User
) -> None:
    Dossier.objects.filter(pk=dossier.pk).update(
        default_processing_mode="premium", enterprise_number="0123456749"
    )
    dossier.refresh_from_db()
    lines = [
        "Alpha Un SRL",
        "TVA BE0123.456.749",
        "Facture n° 77-2026",
        "Date de facture : 02/10/2026",
        "Total HTVA 50,00 EUR",
        "TVA 21% 10,50 EUR",
        "Total TVAC 60,50 EUR",
        "",
        "Imprimerie Lambert SA - BE0403.170.701 - rue Haute 1, 1000 Bruxelles",
    ]
    document = send(dossier, client_user, receive(dossier, client_user, samples.invoice_pdf(lines)))
    assert document.recognized["supplier_vat"] == "BE0403170701"
