"""A tiny authoritative DNS server on loopback (UDP, dnspython), for the inbound-mail checks:
tests point INBOUND_DNS_RESOLVER at it instead of the network. It serves the TXT records it is
given and answers NXDOMAIN for every other name."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class DnsStub:
    def __init__(self) -> None:
        self.txt: dict[str, list[str]] = {}
        self.queries: list[tuple[str, str]] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, client = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            query = dns.message.from_wire(wire)
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            question = query.question[0]
            name = question.name.to_text().rstrip(".").lower()
            qtype = dns.rdatatype.to_text(question.rdtype)
            self.queries.append((name, qtype))
            records = self.txt.get(name, [])
            if qtype == "TXT" and records:
                rdatas = [
                    # TXT strings of at most 255 bytes each, quoted, as a zone file writes them.
                    " ".join(
                        '"' + text[i : i + 255].replace('"', '\\"') + '"'
                        for i in range(0, len(text), 255)
                    )
                    for text in records
                ]
                response.answer.append(
                    dns.rrset.from_text_list(
                        question.name, 60, dns.rdataclass.IN, dns.rdatatype.TXT, rdatas
                    )
                )
            elif not records and not any(k.endswith("." + name) for k in self.txt):
                response.set_rcode(dns.rcode.NXDOMAIN)
            self._socket.sendto(response.to_wire(), client)

    def start(self) -> "DnsStub":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._socket.close()


@contextmanager
def dns_stub() -> Iterator[DnsStub]:
    stub = DnsStub().start()
    try:
        yield stub
    finally:
        stub.stop()
