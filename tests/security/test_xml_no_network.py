"""XML parsing makes no network access (issue 8): XML files whose DTD, external entities,
XInclude or schemaLocation point at a loopback HTTP server go through every channel, and
through the e-invoice reading the worker does after; the server receives nothing."""

import re
import urllib.request

import pytest

from connect.einvoice import xml as einvoice_xml
from connect.models import Document
from tests.hostile.cases import CASES, NETWORK_ACCEPTED
from tests.security.channels import CHANNEL_PARAMS, Sender
from tests.security.conftest import Loopback, Storage
from tests.security.test_hostile_corpus import MAIL, MAIL_REFUSAL

NETWORK = [case for case in CASES if case.network]


def test_the_loopback_server_sees_what_follows_the_files_urls(loopback_http: Loopback) -> None:
    """The witness works: the network cases name the server's address, and a client that
    follows one is recorded. (lxml's own libxml2 is built without HTTP since 2.14; the
    parser is also told no_network, for builds that have it.)"""
    for case in (*NETWORK, *NETWORK_ACCEPTED):
        text = case.data(loopback_http.port).decode("utf-16" if b"\0" in case.data() else "utf-8")
        assert f"http://127.0.0.1:{loopback_http.port}/" in text, case.id
    url = re.search(r'http://127\.0\.0\.1:\d+/[^"\s]+', text)
    assert url is not None
    with urllib.request.urlopen(url.group(0), timeout=5) as response:  # noqa: S310 - loopback
        assert b"ENTITY" in response.read()
    assert loopback_http.hits[-1].startswith("GET /")


@pytest.mark.parametrize("channel", CHANNEL_PARAMS)
def test_xml_pointing_at_the_network_is_read_without_any_request(
    channel: str, sender: Sender, storage: Storage, loopback_http: Loopback
) -> None:
    for case in NETWORK:
        answer = sender.send(channel, [(case.send_as, case.data(loopback_http.port))], "en")
        if channel in MAIL:  # e-mail answers a fixed text (issue 16)
            assert MAIL_REFUSAL["en"] in answer.text, (case.id, answer.text)
        else:
            assert case.reason[1] in answer.text, (case.id, answer.text)
        assert answer.documents == []
    for case in NETWORK_ACCEPTED:  # valid invoices: received, then read (the worker's step)
        answer = sender.send(channel, [(case.id + ".xml", case.data(loopback_http.port))], "en")
        assert len(answer.documents) == 1, (case.id, answer.text)
    documents = Document.objects.order_by("filename")
    assert [(d.filename, d.is_ubl, d.recognized is not None) for d in documents] == sorted(
        (f"{case.id}.xml", True, True) for case in NETWORK_ACCEPTED
    )
    assert loopback_http.hits == []


@pytest.mark.parametrize("case", NETWORK, ids=[c.id for c in NETWORK])
def test_the_parser_alone_fetches_nothing_even_past_the_prolog_check(
    case, loopback_http: Loopback
) -> None:
    """The DOCTYPE check before parsing is one wall; lxml's own settings are the second."""
    with pytest.raises(einvoice_xml.EInvoiceError) as refused:
        einvoice_xml._parse(case.data(loopback_http.port))
    assert refused.value.code == "xml_forbidden"
    assert loopback_http.hits == []
