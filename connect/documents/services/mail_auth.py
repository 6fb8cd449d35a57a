"""Who really sent an inbound e-mail: SPF, DKIM and DMARC alignment (RFC 7208, 6376, 7489).

Every DNS question goes through :func:`dns_query`, which asks INBOUND_DNS_RESOLVER (host:port;
tests point it at a local stub) or the system's resolver. The verdict names the *authenticated
domain*: the domain of the From: header when an aligned DKIM signature or an aligned SPF pass
vouches for it (which is what a DMARC pass means), else none. The DMARC record is read for its
alignment modes (adkim, aspf) and its policy, which is stored with the verdict."""

import logging
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses
from functools import lru_cache
from typing import Any

import dkim
import dns.exception
import dns.rdatatype
import dns.resolver
import spf
from django.conf import settings
from publicsuffixlist import PublicSuffixList

logger = logging.getLogger(__name__)


class DnsTemporaryError(Exception):
    """The DNS did not answer (timeout, no server): the check's result is temperror."""


@dataclass(frozen=True)
class Verdict:
    spf: str = "none"
    dkim: str = "none"
    dmarc: str = "none"
    #: The From: header's domain when authenticated and aligned; "" when not.
    domain: str = ""

    @property
    def verified(self) -> bool:
        return bool(self.domain)


#: A message nobody checked (a channel without authentication): never verified.
UNCHECKED = Verdict()


def _resolver() -> dns.resolver.Resolver:
    configured = settings.INBOUND_DNS_RESOLVER.strip()
    if not configured:
        resolver = dns.resolver.Resolver()
    else:
        host, _, port = configured.rpartition(":")
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [host.strip("[]") or configured]
        resolver.port = int(port) if host else 53
    resolver.lifetime = settings.INBOUND_DNS_TIMEOUT
    return resolver


def dns_query(name: str, qtype: str) -> list[Any]:
    """The records of ``name`` (no record, no name: []); DnsTemporaryError when DNS fails."""
    try:
        return list(_resolver().resolve(name.rstrip(".") + ".", qtype, search=False))
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.YXDOMAIN):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers) as error:
        raise DnsTemporaryError(str(error)) from error
    except dns.exception.DNSException as error:  # a malformed name or answer
        logger.info("DNS query %s %s failed: %s", name, qtype, error)
        return []


def dns_txt(name: str) -> list[bytes]:
    return [b"".join(record.strings) for record in dns_query(name, "TXT")]


def _spf_lookup(name: str, qtype: str, *args: Any, **kwargs: Any) -> list[Any]:
    """pyspf's DNS hook (its module-level DNSLookup), answered through :func:`dns_query`."""
    try:
        records = dns_query(name, qtype)
    except DnsTemporaryError as error:
        raise spf.TempError(f"DNS {error}") from error
    answers: list[Any] = []
    for record in records:
        if qtype in ("A", "AAAA"):
            answers.append(((name, qtype), record.address))
        elif qtype == "MX":
            answers.append(((name, qtype), (record.preference, record.exchange)))
        elif qtype == "PTR":
            answers.append(((name, qtype), record.target.to_text(True)))
        elif qtype in ("TXT", "SPF"):
            answers.append(((name, qtype), record.strings))
    return answers


spf.DNSLookup = _spf_lookup  # every SPF evaluation asks our resolver


def _dkim_lookup(name: bytes, timeout: int = 5) -> bytes | None:
    try:
        records = dns_txt(name.decode("ascii", "replace"))
    except DnsTemporaryError:
        return None
    return records[0] if records else None


@lru_cache(maxsize=1)
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def organisational_domain(domain: str) -> str:
    domain = domain.lower().rstrip(".")
    return _public_suffixes().privatesuffix(domain) or domain


def aligned(domain: str, from_domain: str, mode: str) -> bool:
    domain, from_domain = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if not domain or not from_domain:
        return False
    if mode == "s":
        return domain == from_domain
    return organisational_domain(domain) == organisational_domain(from_domain)


def dmarc_record(from_domain: str) -> dict[str, str] | None:
    """The DMARC tags for ``from_domain`` (its own record, else its organisational domain's,
    whose sp= then applies); None without a record."""
    org = organisational_domain(from_domain)
    for name in dict.fromkeys((from_domain, org)):
        records = [r for r in dns_txt(f"_dmarc.{name}") if r[:8].lower() == b"v=dmarc1"]
        if len(records) != 1:
            continue
        tags: dict[str, str] = {}
        for part in records[0].decode("ascii", "replace").split(";"):
            key, sep, value = part.partition("=")
            if sep:
                tags[key.strip().lower()] = value.strip().lower()
        if name != from_domain and "sp" in tags:
            tags["p"] = tags["sp"]
        return tags
    return None


def from_domain_of(message: Message) -> str:
    """The domain of the single From: address ("" when there are none or several)."""
    pairs = getaddresses([str(v) for v in message.get_all("From", [])])
    addresses = [a for _n, a in pairs if a]
    if len(addresses) != 1 or "@" not in addresses[0]:
        return ""
    return addresses[0].rpartition("@")[2].lower().rstrip(".")


def message_verify(raw: bytes, *, client_ip: str, helo: str, mail_from: str) -> Verdict:
    """SPF of the SMTP client for the envelope sender, every DKIM signature, DMARC alignment."""
    parsed = message_from_bytes(raw, policy=policy.compat32)
    from_domain = from_domain_of(parsed)
    spf_domain = (mail_from.rpartition("@")[2] if "@" in mail_from else helo).lower()
    try:
        spf_result, _why = spf.check2(
            i=client_ip, s=mail_from or f"postmaster@{helo}", h=helo or "unknown"
        )
    except Exception:  # a library bug must not stop the mail: SPF unknown
        logger.exception("SPF check failed")
        spf_result = "temperror"
    dkim_result, dkim_domains = _dkim_check(raw)
    try:
        record = dmarc_record(from_domain) if from_domain else None
    except DnsTemporaryError:
        record = None
    adkim = (record or {}).get("adkim", "r")
    aspf = (record or {}).get("aspf", "r")
    passed = any(aligned(d, from_domain, adkim) for d in dkim_domains) or (
        spf_result == "pass" and aligned(spf_domain, from_domain, aspf)
    )
    if record is None:
        dmarc_result = "none"
    else:
        dmarc_result = f"{'pass' if passed else 'fail'} (p={record.get('p', 'none')})"
    return Verdict(
        spf=spf_result,
        dkim=dkim_result,
        dmarc=dmarc_result,
        domain=from_domain if passed else "",
    )


def _dkim_check(raw: bytes) -> tuple[str, list[str]]:
    """ "pass" with the d= of each valid signature, "fail" when none is valid, "none"."""
    try:
        checker = dkim.DKIM(raw)
        count = sum(1 for name, _v in checker.headers if name.lower() == b"dkim-signature")
    except Exception:  # a message dkimpy cannot read: no valid signature
        return "fail", []
    domains = []
    for index in range(count):
        try:
            if checker.verify(idx=index, dnsfunc=_dkim_lookup) and checker.domain:
                domains.append(checker.domain.decode("ascii", "replace").lower())
        except Exception:  # noqa: S112 - dkim.DKIMException and malformed signatures
            continue
    if domains:
        return "pass", domains
    return ("fail" if count else "none"), []


def provider_verdict(message: Message, envelope_sender: str) -> Verdict:
    """The provider's verdicts (Postmark). Trusted: the envelope sender it reports (its
    Return-Path, the first of its Headers, as anymail reads it), the result of the topmost
    Received-SPF (the one it adds on top of the sender's headers) for that envelope sender,
    and the Authentication-Results of an authserv-id listed in INBOUND_TRUSTED_AUTHSERV_IDS.
    Alignment with the From: domain is computed here (relaxed, no DNS). Any other header may
    come from the sender and is ignored."""
    from_domain = from_domain_of(message)
    spf_result = "none"
    spf_domain = envelope_sender.rpartition("@")[2].lower() if "@" in envelope_sender else ""
    received_spf = message.get_all("Received-SPF") or []
    if received_spf:
        top = " ".join(str(received_spf[0]).split())
        spf_result = (top.split(" ", 1)[0] or "none").lower()
    dkim_result, dmarc_result, dmarc_from = "none", "none", ""
    dkim_domains: list[str] = []
    trusted = {t.lower() for t in settings.INBOUND_TRUSTED_AUTHSERV_IDS}
    for header in message.get_all("Authentication-Results") or []:
        text = " ".join(str(header).split())
        authserv, _, rest = text.partition(";")
        if not trusted or authserv.split(" ")[0].lower() not in trusted:
            continue
        for clause in rest.split(";"):
            words = clause.split()
            if not words or "=" not in words[0]:
                continue
            method, _, result = words[0].lower().partition("=")
            props = dict(w.lower().partition("=")[::2] for w in words[1:] if "=" in w)
            if method == "dkim":
                dkim_result = "pass" if result == "pass" or dkim_result == "pass" else result
                if result == "pass" and props.get("header.d"):
                    dkim_domains.append(props["header.d"])
            elif method == "dmarc":
                dmarc_result, dmarc_from = result, props.get("header.from", "")
    passed = bool(from_domain) and (
        (dmarc_result == "pass" and dmarc_from == from_domain)
        or any(aligned(d, from_domain, "r") for d in dkim_domains)
        or (spf_result == "pass" and aligned(spf_domain, from_domain, "r"))
    )
    return Verdict(
        spf=spf_result[:20],
        dkim=dkim_result[:20],
        dmarc=dmarc_result[:40],
        domain=from_domain if passed else "",
    )
