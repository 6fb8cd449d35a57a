"""E-mail in: the dossier's address, the built-in SMTP receiver and the provider webhook."""

import base64
import json
import smtplib
from email import message_from_bytes, policy
from email.message import EmailMessage
from http import HTTPStatus

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from connect.documents.services import profile_for
from connect.documents.services.inbound import dossier_for_address, inbound_message_receive
from connect.documents.services.mail_auth import Verdict
from connect.models import Document, InboundMessage
from dossiers.models import Dossier
from dossiers.services import inbound_email_address
from tests.connect import samples
from tests.connect.inbound_server import inbound_smtp_running
from tests.dns_stub import dns_stub
from tests.fixtures_services import self_signed_certificate

#: What the checks say of a mail from proximus.be that passes them (tests/connect/
#: test_inbound_auth.py checks the checks).
VERIFIED = Verdict(spf="pass", dkim="pass", dmarc="pass (p=reject)", domain="proximus.be")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def message(
    to: str,
    *attachments: tuple[str, bytes, str],
    sender: str = "factures@proximus.be",
    subject: str = "Facture novembre",
) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content("Veuillez trouver ci-joint nos factures.")
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes(policy=policy.SMTP)  # CRLF line ends, as on the wire


def test_the_address_finds_its_dossier_only(dossier: Dossier, other_dossier: Dossier) -> None:
    address = inbound_email_address(dossier)
    assert dossier_for_address(address.upper()) == dossier
    assert dossier_for_address(f"Factures <{address}>") == dossier
    assert dossier_for_address("nobody@" + settings.INBOUND_EMAIL_DOMAIN) is None
    token = dossier.inbound_email_token
    assert dossier_for_address(f"{token}@other.example") is None
    other_dossier.connect_enabled = False
    other_dossier.save()
    assert dossier_for_address(inbound_email_address(other_dossier)) is None


def test_attachments_become_documents_sent_to_the_accountant_and_the_message_is_kept(
    dossier: Dossier,
) -> None:
    raw = message(
        inbound_email_address(dossier),
        ("f1.pdf", samples.pdf(1), "application/pdf"),
        ("f2.jpg", samples.image("JPEG"), "image/jpeg"),
    )
    result = inbound_message_receive(raw=raw, dossier=dossier, channel="test", verdict=VERIFIED)
    assert sorted(d.filename for d in result.documents) == ["f1.pdf", "f2.jpg"]
    assert {d.source for d in result.documents} == {"email"}
    assert {d.status for d in result.documents} == {"sent"}  # e-mailing is sending
    assert result.message.outcome == "accepted"
    assert set(result.message.documents.all()) == set(result.documents)
    assert mail.outbox == []


def test_refused_attachments_get_a_polite_answer(
    dossier: Dossier, django_capture_on_commit_callbacks
) -> None:
    raw = message(
        inbound_email_address(dossier),
        ("ok.pdf", samples.pdf(1), "application/pdf"),
        ("virus.pdf", samples.EXECUTABLE, "application/pdf"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_message_receive(raw=raw, dossier=dossier, channel="test", verdict=VERIFIED)
    assert [d.filename for d in result.documents] == ["ok.pdf"]
    assert result.message.outcome == "partial"
    (bounce,) = mail.outbox
    assert bounce.to == ["factures@proximus.be"]
    # A fixed text: it names no file (the names are the sender's text).
    assert "virus.pdf" not in bounce.body and "ok.pdf" not in bounce.body
    assert "1 document" in bounce.body
    assert bounce.extra_headers["Auto-Submitted"] == "auto-replied"


@pytest.mark.parametrize("case", ["no_attachment", "sender_not_allowed"])
def test_unusable_mail_is_answered_and_creates_nothing(
    dossier: Dossier,
    case: str,
    django_capture_on_commit_callbacks,
) -> None:
    if case == "sender_not_allowed":
        profile = profile_for(dossier)
        profile.email_allow_list = "@boulangerie.be"
        profile.save()
        raw = message(inbound_email_address(dossier), ("a.pdf", samples.pdf(), "application/pdf"))
    else:
        raw = message(inbound_email_address(dossier))
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_message_receive(raw=raw, dossier=dossier, channel="test", verdict=VERIFIED)
    assert not Document.objects.exists()
    assert result.message.outcome == "bounced"
    # A sender outside the allow-list is not answered (it may be forged).
    assert len(mail.outbox) == (0 if case == "sender_not_allowed" else 1)


@pytest.mark.integration
def test_mail_delivered_over_smtp_to_inbound_smtp_becomes_two_documents(
    transactional_db, dossier: Dossier, tmp_path
) -> None:
    """proximus.be's SPF record names this host: the mail is authenticated (aligned SPF)."""
    with dns_stub() as stub, inbound_smtp_running(tmp_path, stub.address) as receiver:
        # Looked up when the mail arrives.
        stub.txt["proximus.be"] = ["v=spf1 ip4:127.0.0.1 -all"]
        smtp = smtplib.SMTP("127.0.0.1", receiver.port, timeout=5)
        address = inbound_email_address(dossier)
        with smtp:
            refused = smtp.sendmail(
                "factures@proximus.be",
                [address],
                message(
                    address,
                    ("f1.pdf", samples.pdf(1), "application/pdf"),
                    ("f2.pdf", samples.pdf(2), "application/pdf"),
                ),
            )
            assert refused == {}
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.sendmail(
                    "x@example.com",
                    ["unknown@" + settings.INBOUND_EMAIL_DOMAIN],
                    b"Subject: x\r\n\r\nx",
                )
            profile = profile_for(dossier)
            profile.email_allow_list = "@proximus.be"
            profile.save()
            with pytest.raises(smtplib.SMTPDataError) as refused_sender:
                smtp.sendmail(
                    "spam@example.com",
                    [address],
                    message(
                        address,
                        ("f3.pdf", samples.pdf(3), "application/pdf"),
                        sender="spam@example.com",
                    ),
                )
            assert refused_sender.value.smtp_code == 550
        documents = Document.objects.filter(dossier=dossier).order_by("filename")
        assert [(d.filename, d.source, d.status) for d in documents] == [
            ("f1.pdf", "email", "sent"),
            ("f2.pdf", "email", "sent"),
        ]
        assert InboundMessage.objects.get().channel == "smtp"


def test_the_provider_webhook_path(dossier: Dossier, settings) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    address = inbound_email_address(dossier)
    payload = {
        "FromFull": {"Email": "factures@proximus.be", "Name": "Proximus"},
        "ToFull": [{"Email": address, "Name": ""}],
        "OriginalRecipient": address,
        "Subject": "Factures",
        "TextBody": "Ci-joint",
        "Headers": [],
        "Attachments": [
            {
                "Name": "f1.pdf",
                "ContentType": "application/pdf",
                "Content": base64.b64encode(samples.pdf(1)).decode(),
            },
            {
                "Name": "e.xml",
                "ContentType": "text/xml",
                "Content": base64.b64encode(samples.ubl()).decode(),
            },
        ],
    }
    auth = "Basic " + base64.b64encode(b"hook:s3cret").decode()
    response = Client().post(
        "/inbound/postmark/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )
    assert response.status_code == HTTPStatus.OK
    assert sorted(Document.objects.filter(dossier=dossier).values_list("filename", "is_ubl")) == [
        ("e.xml", True),
        ("f1.pdf", False),
    ]
    wrong = Client().post(
        "/inbound/postmark/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hook:no").decode(),
    )
    assert wrong.status_code == HTTPStatus.BAD_REQUEST
    assert Document.objects.count() == 2


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b"[1, 2]"])
def test_a_malformed_provider_payload_is_a_400_and_keeps_nothing(
    dossier: Dossier, settings, body: bytes
) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    response = Client().post(
        "/inbound/postmark/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hook:s3cret").decode(),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Document.objects.exists()


def test_without_a_secret_the_provider_webhook_is_closed(dossier: Dossier, settings) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    response = Client().post("/inbound/postmark/", b"{}", content_type="application/json")
    assert response.status_code == HTTPStatus.BAD_REQUEST


from tests.connect.documents.test_receive import HOSTILE  # noqa: E402  (the same corpus, another channel)


@pytest.mark.parametrize(
    ("name", "data", "code"), HOSTILE, ids=[f"{n}-{c}" for n, _d, c in HOSTILE]
)
def test_hostile_attachments_are_refused_through_e_mail(
    dossier: Dossier,
    name: str,
    data: bytes,
    code: str,
    django_capture_on_commit_callbacks,
) -> None:
    raw = message(inbound_email_address(dossier), (name, data, "application/octet-stream"))
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_message_receive(raw=raw, dossier=dossier, channel="test", verdict=VERIFIED)
    assert not Document.objects.exists()
    assert [refused for refused, _why in result.refused] == [name] or (
        not data and result.message.outcome == "bounced"
    )
    assert len(mail.outbox) == 1  # the sender is told why


@pytest.mark.parametrize(
    "headers",
    [{"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"}, {"List-Id": "<x.example>"}],
)
def test_automatic_messages_are_never_answered(
    dossier: Dossier, headers: dict, django_capture_on_commit_callbacks
) -> None:
    raw = message(inbound_email_address(dossier))
    msg = message_from_bytes(raw, policy=policy.SMTP)
    for name, value in headers.items():
        msg[name] = value
    with django_capture_on_commit_callbacks(execute=True):
        inbound_message_receive(raw=msg.as_bytes(), dossier=dossier, channel="test")
        inbound_message_receive(
            raw=raw, dossier=dossier, channel="test", envelope_sender=""
        )  # a bounce: null sender
    assert mail.outbox == []


def test_the_subject_cannot_smuggle_headers(dossier: Dossier) -> None:
    raw = message(
        inbound_email_address(dossier),
        ("a.pdf", samples.pdf(), "application/pdf"),
        subject="=?utf-8?q?hi=0D=0ABcc=3A_x=40y=2Ez?=",
    )
    result = inbound_message_receive(raw=raw, dossier=dossier, channel="test")
    assert "\n" not in result.message.subject and "\r" not in result.message.subject


def test_the_allow_list_decides_who_is_accepted(dossier: Dossier) -> None:
    from connect.documents.services.inbound import sender_accepted

    assert sender_accepted(dossier, "anyone@example.com")
    profile = profile_for(dossier)
    profile.email_allow_list = "@proximus.be"
    profile.save()
    assert sender_accepted(dossier, "Factures <factures@proximus.be>")
    assert not sender_accepted(dossier, "anyone@example.com")


@pytest.mark.integration
def test_inbound_smtp_offers_starttls_and_can_require_it(
    transactional_db, dossier: Dossier, tmp_path
) -> None:
    """The compose profile `inbound` with INBOUND_SMTP_TLS_CERT/KEY and REQUIRE_STARTTLS: a
    real smtplib client is refused before STARTTLS, then delivers over TLS, verifying the
    server's certificate."""
    import ssl

    cert, key = self_signed_certificate(tmp_path)
    # As docker-compose.yml passes them to the `inbound` service.
    tls = {
        "INBOUND_SMTP_TLS_CERT": cert,
        "INBOUND_SMTP_TLS_KEY": key,
        "INBOUND_SMTP_REQUIRE_STARTTLS": "true",
    }
    with dns_stub() as stub, inbound_smtp_running(tmp_path, stub.address, **tls) as receiver:
        port = receiver.port
        smtp = smtplib.SMTP("127.0.0.1", port, timeout=5)
        address = inbound_email_address(dossier)
        with smtp:
            smtp.ehlo()
            assert smtp.has_extn("starttls")
            with pytest.raises(smtplib.SMTPSenderRefused) as plain:
                smtp.sendmail("factures@proximus.be", [address], b"Subject: x\r\n\r\nx")
            assert plain.value.smtp_code == 530  # must issue STARTTLS first
        context = ssl.create_default_context(cafile=cert)  # verifies the name (127.0.0.1) too
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.starttls(context=context)
            assert smtp.sock.version() in {"TLSv1.2", "TLSv1.3"}
            refused = smtp.sendmail(
                "factures@proximus.be",
                [address],
                message(address, ("tls.pdf", samples.pdf(7), "application/pdf")),
            )
            assert refused == {}
        document = Document.objects.get(dossier=dossier)
        assert (document.filename, document.source) == ("tls.pdf", "email")
    assert "(STARTTLS)" in receiver.output
