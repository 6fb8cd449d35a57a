"""Who really sent an inbound e-mail: SPF, DKIM and DMARC through a local DNS stub, the
allow-list on the authenticated domain only, and no answer to anyone else (issue 16)."""

import base64
import json
import smtplib
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from http import HTTPStatus

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core import mail
from django.test import Client

from connect.documents.services import profile_for
from connect.documents.services.inbound import inbound_message_receive
from connect.documents.services.mail_auth import Verdict, message_verify
from connect.models import Document, InboundMessage
from core.models import OutboundEmail
from dossiers.models import Dossier
from dossiers.services import inbound_email_address
from tests.connect import samples
from tests.connect.inbound_server import inbound_smtp_running
from tests.dns_stub import DnsStub, dns_stub
from tests.fixtures_services import free_port

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = KEY.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.TraditionalOpenSSL,
    serialization.NoEncryption(),
)
PUBLIC_B64 = base64.b64encode(
    KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
VERIFIED = Verdict(spf="pass", dkim="pass", dmarc="pass (p=reject)", domain="proximus.be")


def serve_proximus(stub: DnsStub) -> None:
    """proximus.be: SPF for 127.0.0.1 only, a DKIM key, DMARC p=reject; mailer.example: a
    bulk sender with its own SPF and key (not aligned with proximus.be)."""
    stub.txt["proximus.be"] = ["v=spf1 ip4:127.0.0.1 -all"]
    stub.txt["s1._domainkey.proximus.be"] = [f"v=DKIM1; k=rsa; p={PUBLIC_B64}"]
    stub.txt["_dmarc.proximus.be"] = ["v=DMARC1; p=reject; rua=mailto:d@proximus.be"]
    stub.txt["mailer.example"] = ["v=spf1 ip4:127.0.0.1 -all"]
    stub.txt["s1._domainkey.mailer.example"] = [f"v=DKIM1; k=rsa; p={PUBLIC_B64}"]


@pytest.fixture
def dns(settings) -> Iterator[DnsStub]:
    with dns_stub() as stub:
        serve_proximus(stub)
        settings.INBOUND_DNS_RESOLVER = stub.address
        yield stub


def mail_bytes(
    to: str,
    *attachments: tuple[str, bytes, str],
    author: str = "factures@proximus.be",
    sign_as: str | None = "proximus.be",
    subject: str = "Facture novembre",
) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = author, to, subject
    msg["Message-ID"] = f"<{time.monotonic_ns()}@proximus.be>"
    msg.set_content("Veuillez trouver ci-joint nos factures.")
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    raw = msg.as_bytes(policy=policy.SMTP)
    if sign_as is None:
        return raw
    signature = dkim.sign(
        raw,
        selector=b"s1",
        domain=sign_as.encode(),
        privkey=PRIVATE_PEM,
        include_headers=[b"from", b"to", b"subject", b"message-id"],
    )
    return signature + raw


def tampered(raw: bytes) -> bytes:
    """The same signed mail with one body byte changed: the signature no longer verifies."""
    return raw.replace(b"ci-joint", b"ci-JOINT", 1)


def test_a_signed_mail_from_an_authorised_host_passes_everything(dns: DnsStub) -> None:
    raw = mail_bytes("x@connect.localhost")
    verdict = message_verify(
        raw, client_ip="127.0.0.1", helo="mx.proximus.be", mail_from="factures@proximus.be"
    )
    assert verdict == Verdict("pass", "pass", "pass (p=reject)", "proximus.be")
    assert ("_dmarc.proximus.be", "TXT") in dns.queries


@pytest.mark.parametrize(
    ("raw_kind", "client_ip", "mail_from", "expected"),
    [
        # A forger: not signed, from a host the SPF record does not name.
        ("unsigned", "127.0.0.2", "factures@proximus.be", ("fail", "none", "fail (p=reject)")),
        # The signature broken, and SPF does not rescue it.
        ("tampered", "127.0.0.2", "factures@proximus.be", ("fail", "fail", "fail (p=reject)")),
        # SPF and DKIM pass, but for mailer.example: not aligned with From: proximus.be.
        ("mailer", "127.0.0.1", "bounce@mailer.example", ("pass", "pass", "fail (p=reject)")),
    ],
)
def test_forged_broken_or_unaligned_mail_is_not_authenticated(
    dns: DnsStub, raw_kind: str, client_ip: str, mail_from: str, expected: tuple[str, ...]
) -> None:
    raw = {
        "unsigned": mail_bytes("x@connect.localhost", sign_as=None),
        "tampered": tampered(mail_bytes("x@connect.localhost")),
        "mailer": mail_bytes("x@connect.localhost", sign_as="mailer.example"),
    }[raw_kind]
    verdict = message_verify(raw, client_ip=client_ip, helo="mx.example", mail_from=mail_from)
    assert (verdict.spf, verdict.dkim, verdict.dmarc) == expected
    assert not verdict.verified


def test_without_a_dmarc_record_an_aligned_spf_pass_is_enough(dns: DnsStub) -> None:
    del dns.txt["_dmarc.proximus.be"]
    raw = mail_bytes("x@connect.localhost", sign_as=None)
    verdict = message_verify(
        raw, client_ip="127.0.0.1", helo="mx.proximus.be", mail_from="factures@proximus.be"
    )
    assert verdict == Verdict("pass", "none", "none", "proximus.be")


def test_an_unverified_mail_from_an_allowed_domain_stays_on_the_desk_marked(
    dossier: Dossier, dns: DnsStub, django_capture_on_commit_callbacks
) -> None:
    profile = profile_for(dossier)
    profile.email_allow_list = "@proximus.be"
    profile.auto_send = True
    profile.save()
    raw = mail_bytes(
        inbound_email_address(dossier),
        ("f1.pdf", samples.pdf(1), "application/pdf"),
        ("evil.pdf", samples.EXECUTABLE, "application/pdf"),
        sign_as=None,
    )
    verdict = message_verify(raw, client_ip="127.0.0.2", helo="x", mail_from="factures@proximus.be")
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_message_receive(
            raw=raw,
            dossier=dossier,
            channel="test",
            envelope_sender="factures@proximus.be",
            verdict=verdict,
        )
    (document,) = result.documents
    assert (document.status, document.sender_unverified) == ("draft", True)
    assert (result.message.auth_spf, result.message.auth_domain) == ("fail", "")
    assert mail.outbox == []  # the refused file is not answered: the sender may be forged


def test_a_verified_sender_outside_the_allow_list_is_not_accepted(dossier: Dossier) -> None:
    profile = profile_for(dossier)
    profile.email_allow_list = "@boulangerie.be"
    profile.save()
    raw = mail_bytes(inbound_email_address(dossier), ("a.pdf", samples.pdf(), "application/pdf"))
    result = inbound_message_receive(raw=raw, dossier=dossier, channel="test", verdict=VERIFIED)
    assert result.message.outcome == "bounced" and not Document.objects.exists()


def test_the_answer_names_no_file_and_goes_at_most_once_an_hour(
    dossier: Dossier, django_capture_on_commit_callbacks
) -> None:
    address = inbound_email_address(dossier)
    hostile_name = "Pay IBAN BE71096123456769 now.pdf"
    for number in range(2):
        raw = mail_bytes(
            address,
            (f"ok{number}.pdf", samples.pdf(number + 1), "application/pdf"),
            (hostile_name, samples.EXECUTABLE, "application/pdf"),
            subject="Urgent: call +32 470 00 00 00",
        )
        with django_capture_on_commit_callbacks(execute=True):
            result = inbound_message_receive(
                raw=raw,
                dossier=dossier,
                channel="test",
                envelope_sender="bounces@mailer.example",
                verdict=VERIFIED,
            )
        assert result.message.outcome == "partial"
    (answer,) = mail.outbox  # the second refusal within the hour is not answered
    assert answer.to == ["factures@proximus.be"]  # the authenticated From:, not the envelope
    text = answer.subject + answer.body
    for echoed in ("IBAN", "BE71", ".pdf", "ok0", "Urgent", "+32"):
        assert echoed not in text
    assert "1 document" in answer.body or "1 document" in answer.body.replace("\xa0", " ")


@pytest.mark.integration
def test_over_smtp_only_an_authenticated_mail_is_auto_sent_and_answered(
    transactional_db, dossier: Dossier, tmp_path
) -> None:
    """The real inbound_smtp receiver, a real smtplib client, DNS from the local stub: the
    signed mail from an authorised host is sent to the accountant; the same mail with a
    forged envelope, a broken signature or a failing DMARC policy lands unverified on the
    desk; no answer goes to an unauthenticated sender."""
    profile = profile_for(dossier)
    profile.email_allow_list = "@proximus.be"
    profile.save()
    address = inbound_email_address(dossier)
    with dns_stub() as stub:
        serve_proximus(stub)
        with inbound_smtp_running(tmp_path, stub.address) as receiver:
            cases = [
                ("signed.pdf", "127.0.0.1", "factures@proximus.be", "proximus.be"),
                ("forged.pdf", "127.0.0.2", "factures@proximus.be", None),
                ("broken.pdf", "127.0.0.2", "factures@proximus.be", "broken"),
                ("dmarc.pdf", "127.0.0.1", "bounce@mailer.example", "mailer.example"),
            ]
            for number, (name, client_ip, envelope, signer) in enumerate(cases, start=1):
                raw = mail_bytes(
                    address,
                    (name, samples.pdf(number), "application/pdf"),
                    (f"refused-{name}", samples.EXECUTABLE, "application/pdf"),
                    sign_as="proximus.be" if signer == "broken" else signer,
                )
                if signer == "broken":
                    raw = tampered(raw)
                with smtplib.SMTP(
                    "127.0.0.1", receiver.port, timeout=10, source_address=(client_ip, 0)
                ) as smtp:
                    assert smtp.sendmail(envelope, [address], raw) == {}
    documents = {d.filename: d for d in Document.objects.filter(dossier=dossier)}
    assert (documents["signed.pdf"].status, documents["signed.pdf"].sender_unverified) == (
        "sent",
        False,
    ), receiver.output
    for name in ("forged.pdf", "broken.pdf", "dmarc.pdf"):
        assert (documents[name].status, documents[name].sender_unverified) == ("draft", True)
    verdicts = {
        m.documents.get().filename: (m.auth_spf, m.auth_dkim, m.auth_dmarc, m.auth_domain)
        for m in InboundMessage.objects.filter(dossier=dossier)
    }
    assert verdicts == {
        "signed.pdf": ("pass", "pass", "pass (p=reject)", "proximus.be"),
        "forged.pdf": ("fail", "none", "fail (p=reject)", ""),
        "broken.pdf": ("fail", "fail", "fail (p=reject)", ""),
        "dmarc.pdf": ("pass", "pass", "fail (p=reject)", ""),
    }
    # One answer (the refused attachment of the authenticated mail), to its sender only.
    answers = list(OutboundEmail.objects.filter(kind="inbound.bounce").values_list("to", flat=True))
    assert answers == ["factures@proximus.be"]


def postmark_payload(address: str, headers: list[dict[str, str]]) -> dict:
    return {
        "FromFull": {"Email": "factures@proximus.be", "Name": "Proximus"},
        "ToFull": [{"Email": address, "Name": ""}],
        "OriginalRecipient": address,
        "Subject": "Factures",
        "TextBody": "Ci-joint",
        "Headers": headers,
        "Attachments": [
            {
                "Name": "f1.pdf",
                "ContentType": "application/pdf",
                "Content": base64.b64encode(samples.pdf(1)).decode(),
            }
        ],
    }


@pytest.mark.parametrize(
    ("headers", "trusted", "verified"),
    [
        # Postmark's own verdict: Return-Path first, its Received-SPF on top.
        (
            [
                {"Name": "Return-Path", "Value": "<factures@proximus.be>"},
                {"Name": "Received-SPF", "Value": "Pass (sender SPF authorized) identity=mailfrom"},
            ],
            [],
            True,
        ),
        # The forger's envelope does not pass SPF; a pass further down is the forger's own.
        (
            [
                {"Name": "Return-Path", "Value": "<factures@proximus.be>"},
                {"Name": "Received-SPF", "Value": "Fail (sender not authorized)"},
                {"Name": "Received-SPF", "Value": "Pass (forged)"},
            ],
            [],
            False,
        ),
        # An Authentication-Results header is read only from a trusted authserv-id.
        (
            [
                {
                    "Name": "Authentication-Results",
                    "Value": "evil.example; dmarc=pass "
                    "header.from=proximus.be; dkim=pass header.d=proximus.be",
                }
            ],
            ["inbound.postmarkapp.com"],
            False,
        ),
        (
            [
                {
                    "Name": "Authentication-Results",
                    "Value": "inbound.postmarkapp.com; dkim=pass "
                    "header.d=proximus.be; dmarc=pass header.from=proximus.be",
                }
            ],
            ["inbound.postmarkapp.com"],
            True,
        ),
    ],
)
def test_the_provider_path_trusts_only_the_providers_verdicts(
    dossier: Dossier, settings, headers: list, trusted: list, verified: bool
) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    settings.INBOUND_TRUSTED_AUTHSERV_IDS = trusted
    response = Client().post(
        "/inbound/postmark/",
        json.dumps(postmark_payload(inbound_email_address(dossier), headers)),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hook:s3cret").decode(),
    )
    assert response.status_code == HTTPStatus.OK
    document = Document.objects.get(dossier=dossier)
    assert document.status == ("sent" if verified else "draft")
    assert document.sender_unverified is not verified
    assert InboundMessage.objects.get().auth_domain == ("proximus.be" if verified else "")


def test_the_desk_and_the_accountant_see_sender_not_verified(
    dossier: Dossier, client_user, accountant, auth_client, dns: DnsStub
) -> None:
    from django.urls import reverse

    from connect.documents.services.receive import document_send_now

    raw = mail_bytes(
        inbound_email_address(dossier), ("f1.pdf", samples.pdf(1), "application/pdf"), sign_as=None
    )
    verdict = message_verify(raw, client_ip="127.0.0.2", helo="x", mail_from="factures@proximus.be")
    (document,) = inbound_message_receive(
        raw=raw, dossier=dossier, channel="test", verdict=verdict
    ).documents
    desk = reverse("connect:section", args=[dossier.public_id, "invoices"]) + "?tab=desk"
    page = reverse("connect:document", args=[document.public_id])
    for language, label in [("fr", "expéditeur non vérifié"), ("nl", "afzender niet geverifieerd")]:
        type(client_user).objects.filter(pk=client_user.pk).update(language=language)
        client_user.refresh_from_db()
        assert label in auth_client(client_user).get(desk).content.decode()
    document_send_now(document=document, actor=client_user, profile=None)  # the client decides
    for language, label in [("de", "Absender nicht verifiziert"), ("en", "sender not verified")]:
        type(accountant).objects.filter(pk=accountant.pk).update(language=language)
        accountant.refresh_from_db()
        shown = auth_client(accountant).get(page).content.decode()
        assert label in shown
        assert "SPF fail · DKIM none · DMARC fail (p=reject)" in shown  # the stored verdict


# --- the dossier's address, rotated --------------------------------------------------------


def test_the_client_rotates_the_address_the_old_one_works_in_grace_then_nothing(
    dossier: Dossier, client_user, accountant, auth_client
) -> None:
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from connect.documents.services.inbound import dossier_for_address
    from connect.models import ConnectProfile
    from core.models import AuditAction, AuditEvent

    old = inbound_email_address(dossier)
    page = reverse("connect:inbound_address", args=[dossier.public_id])
    client = auth_client(client_user)
    assert old in client.get(page).content.decode()
    response = client.post(page, {"grace_days": "7"})
    assert response.status_code == HTTPStatus.FOUND
    dossier.refresh_from_db()
    new = inbound_email_address(dossier)
    assert new != old
    assert dossier_for_address(new) == dossier
    assert dossier_for_address(old) == dossier  # in its grace period
    shown = client.get(page).content.decode()
    assert new in shown and old in shown
    event = AuditEvent.objects.get(action=AuditAction.INBOUND_ADDRESS_ROTATED)
    assert (event.actor, event.dossier, event.after["grace_days"]) == (client_user, dossier, 7)
    # The accountant sees who changed it, and when; then rotates it with no grace at all.
    history = auth_client(accountant).get(page).content.decode()
    assert client_user.email in history or client_user.get_full_name() in history
    ConnectProfile.objects.filter(dossier=dossier).update(
        previous_inbound_email_until=timezone.now() - timedelta(seconds=1)
    )
    assert dossier_for_address(old) is None  # the grace period is over
    assert auth_client(accountant).post(page, {"grace_days": "0"}).status_code == HTTPStatus.FOUND
    dossier.refresh_from_db()
    assert dossier_for_address(new) is None and dossier_for_address(old) is None
    assert dossier_for_address(inbound_email_address(dossier)) == dossier
    actors = AuditEvent.objects.filter(action=AuditAction.INBOUND_ADDRESS_ROTATED)
    assert list(actors.values_list("actor", flat=True)) == [accountant.pk, client_user.pk]


def test_only_the_client_and_the_accountant_may_rotate(dossier: Dossier, firm, auth_client) -> None:
    from django.urls import reverse

    from tests.factories import MembershipFactory, grant

    viewer = MembershipFactory(firm=firm, user__email="lecteur@alpha.be").user
    grant(viewer, dossier, "view.user")
    token = dossier.inbound_email_token
    page = reverse("connect:inbound_address", args=[dossier.public_id])
    assert auth_client(viewer).post(page, {"grace_days": "0"}).status_code == HTTPStatus.NOT_FOUND
    dossier.refresh_from_db()
    assert dossier.inbound_email_token == token


@pytest.mark.integration
def test_over_smtp_the_old_address_is_received_in_grace_then_refused_without_answer(
    transactional_db, dossier: Dossier, client_user, tmp_path, settings
) -> None:
    from datetime import timedelta

    from aiosmtpd.controller import Controller
    from django.utils import timezone

    from connect.documents.services.inbound_address import inbound_address_rotate
    from connect.management.commands.inbound_smtp import InboundHandler
    from connect.models import ConnectProfile

    old = inbound_email_address(dossier)
    inbound_address_rotate(actor=client_user, dossier=dossier, grace_days=30)
    port = free_port()
    controller = Controller(InboundHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with dns_stub() as stub:
            serve_proximus(stub)
            settings.INBOUND_DNS_RESOLVER = stub.address
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                raw = mail_bytes(old, ("grace.pdf", samples.pdf(1), "application/pdf"))
                assert smtp.sendmail("factures@proximus.be", [old], raw) == {}
            ConnectProfile.objects.filter(dossier=dossier).update(
                previous_inbound_email_until=timezone.now() - timedelta(seconds=1)
            )
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                raw = mail_bytes(old, ("late.pdf", samples.pdf(2), "application/pdf"))
                with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                    smtp.sendmail("factures@proximus.be", [old], raw)
            assert refused.value.recipients[old][0] == 550
    finally:
        controller.stop()
    assert list(Document.objects.values_list("filename", "status")) == [("grace.pdf", "sent")]
    assert not OutboundEmail.objects.exists()  # the refusal is the SMTP reply: no answer mail


def test_alignment_relaxed_and_strict_on_the_organisational_domain() -> None:
    from connect.documents.services.mail_auth import aligned, organisational_domain

    assert organisational_domain("mail.factures.proximus.be") == "proximus.be"
    assert organisational_domain("billing.example.co.uk") == "example.co.uk"
    assert aligned("mail.proximus.be", "proximus.be", "r")
    assert not aligned("mail.proximus.be", "proximus.be", "s")
    assert not aligned("example.co.uk", "other.co.uk", "r")  # a public suffix is no owner
    assert not aligned("", "proximus.be", "r")
