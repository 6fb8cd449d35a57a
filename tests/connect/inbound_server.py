"""The real SMTP receiver (`manage.py inbound_smtp`) in a subprocess, on the test database,
with its DNS questions sent to a local stub: for the tests that deliver mail over SMTP."""

import os
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from tests.fixtures_services import ROOT, _database_url, free_port


@dataclass
class Receiver:
    port: int
    output: str = ""  # what the receiver printed, once it has stopped


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=5).quit()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def inbound_smtp_running(tmp_path: Path, dns: str, **extra_env: str) -> Iterator[Receiver]:
    """Start the receiver, wait until it answers, stop it afterwards (its output kept)."""
    receiver = Receiver(port=free_port())
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "TEST_DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "DATABASE_APP_ROLE": settings.DATABASE_APP_ROLE,
        "INBOUND_DNS_RESOLVER": dns,
        **extra_env,
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "inbound_smtp", "--port", str(receiver.port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(receiver.port)
        yield receiver
    finally:
        server.terminate()
        receiver.output = server.communicate(timeout=10)[0].decode()
