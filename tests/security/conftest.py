"""Real parts for the hostile-input tests: the project's SMTP receiver on loopback, a loopback
HTTP server that counts what reaches it, and ClamAV's clamd with a test signature."""

import hashlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.dns_stub import DnsStub, dns_stub
from tests.fixtures_services import free_port
from tests.hostile.cases import eicar
from tests.security.channels import WEBHOOK_SECRET, Sender


@dataclass
class Storage:
    media: Path
    temp: Path


@pytest.fixture
def storage(settings: Any, tmp_path: Path) -> Storage:
    """A media folder and an upload temporary folder of this test's own, to look into."""
    media, temp = tmp_path / "media", tmp_path / "upload-temp"
    media.mkdir()
    temp.mkdir()
    settings.MEDIA_ROOT = str(media)
    settings.FILE_UPLOAD_TEMP_DIR = str(temp)
    settings.ANYMAIL = {"WEBHOOK_SECRET": WEBHOOK_SECRET}
    return Storage(media=media, temp=temp)


@pytest.fixture(scope="session")
def inbound_smtp_port() -> Iterator[int]:
    """The handler of `manage.py inbound_smtp` behind a real aiosmtpd server on loopback."""
    from aiosmtpd.controller import Controller

    from connect.management.commands.inbound_smtp import InboundHandler

    port = free_port()
    controller = Controller(
        InboundHandler(), hostname="127.0.0.1", port=port, data_size_limit=64 * 1024 * 1024
    )
    controller.start()
    yield port
    controller.stop()


@pytest.fixture(scope="session")
def sender_dns() -> Iterator[DnsStub]:
    """The DNS of the e-mail sender (proximus.be): SPF authorises this host, so the mail over
    SMTP is authenticated (aligned SPF) and answered."""
    with dns_stub() as stub:
        stub.txt["proximus.be"] = ["v=spf1 ip4:127.0.0.1 -all"]
        yield stub


@pytest.fixture
def sender(
    storage: Storage,
    dossier: Any,
    client_user: Any,
    inbound_smtp_port: int,
    sender_dns: DnsStub,
    settings: Any,
) -> Sender:
    settings.INBOUND_DNS_RESOLVER = sender_dns.address
    settings.INBOUND_ANSWER_INTERVAL = 0  # each send is answered (the limit has its own test)
    return Sender(dossier=dossier, user=client_user, smtp_port=inbound_smtp_port)


@dataclass
class Loopback:
    port: int
    #: Every connection and request that reached the server.
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def loopback_http() -> Iterator[Loopback]:
    """An HTTP server on loopback that answers anything with an entity declaration, and
    records every connection made to it."""
    server_hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server_hits.append(f"GET {self.path}")
            body = b'<!ENTITY xxe "fetched-from-the-network">'
            self.send_response(200)
            self.send_header("Content-Type", "application/xml-dtd")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def verify_request(self, request: Any, client_address: Any) -> bool:
            server_hits.append(f"connection from {client_address}")
            return True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Loopback(port=server.server_address[1], hits=server_hits)
    server.shutdown()
    server.server_close()


CLAMD = shutil.which("clamd") or ("/usr/sbin/clamd" if Path("/usr/sbin/clamd").exists() else None)


@dataclass
class Clamd:
    socket: str
    process: subprocess.Popen[bytes]
    directory: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def clamd_start(directory: Path, *, stream_max: str = "100M") -> Clamd:
    """clamd in the foreground on a unix socket in ``directory``, with one signature: EICAR
    (freshclam cannot reach the internet here, and needs not)."""
    database = directory / "db"
    database.mkdir(parents=True, exist_ok=True)
    sample = eicar()
    (database / "test.hdb").write_text(
        f"{hashlib.md5(sample).hexdigest()}:{len(sample)}:Eicar-Test-Signature\n"  # noqa: S324
    )
    sock = directory / "clamd.sock"
    config = directory / "clamd.conf"
    config.write_text(
        f"LocalSocket {sock}\nDatabaseDirectory {database}\nTemporaryDirectory {directory}\n"
        f"Foreground yes\nStreamMaxLength {stream_max}\nLogFile {directory / 'clamd.log'}\n"
    )
    assert CLAMD is not None
    process = subprocess.Popen(
        [CLAMD, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.settimeout(5)
                probe.connect(str(sock))
                probe.sendall(b"zPING\0")
                if probe.recv(16).startswith(b"PONG"):
                    return Clamd(socket=str(sock), process=process, directory=directory)
        except OSError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    log = (directory / "clamd.log").read_text() if (directory / "clamd.log").exists() else ""
    raise RuntimeError(f"clamd did not start:\n{log[-2000:]}")


@pytest.fixture(scope="session")
def clamd_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    """A real clamd for this test run; the tests that need it are skipped only when ClamAV is
    not installed (`make test` installs clamav-daemon)."""
    if CLAMD is None:
        pytest.skip("clamd is not installed (Debian package clamav-daemon)")
    # A short path: a unix socket path must stay under 108 bytes.
    directory = Path(tmp_path_factory.mktemp("clamd", numbered=True))
    process = clamd_start(directory)
    yield process
    process.stop()


@pytest.fixture
def clamd(clamd_process: Clamd, settings: Any) -> Clamd:
    """Scanning switched on against the real clamd."""
    settings.CONNECT_CLAMD_SOCKET = clamd_process.socket
    settings.CONNECT_CLAMD_TIMEOUT = 30.0
    return clamd_process
