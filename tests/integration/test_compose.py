"""docker-compose.yml, checked without a Docker engine: every command of the portal's services
names a program and a management command that exist, every variable the production settings
require is given, the long-running services have healthchecks, and `.env.example` lists every
variable the file reads."""

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
PORTAL_SERVICES = {
    name: service
    for name, service in COMPOSE["services"].items()
    if service.get("image") == "portal:latest"
}
#: Services that answer no ping (see the comment in the file).
WITHOUT_HEALTHCHECK = {"beat"}


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


def test_the_portal_services_run_programs_that_exist() -> None:
    assert {"web", "worker", "beat", "inbound"} <= set(PORTAL_SERVICES)
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


def test_every_variable_the_production_settings_require_is_given() -> None:
    required = required_variables()
    assert {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "PORTAL_BASE_URL", "REDIS_URL"} <= required
    for name, service in PORTAL_SERVICES.items():
        environment = service["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "portal.settings.production", name
        missing = required - set(environment)
        assert not missing, f"{name} lacks {sorted(missing)}"


def test_the_long_running_services_have_healthchecks() -> None:
    for name, service in COMPOSE["services"].items():
        if name in WITHOUT_HEALTHCHECK:
            continue
        check = service.get("healthcheck")
        assert check and check.get("test"), f"{name} has no healthcheck"
    web = " ".join(COMPOSE["services"]["web"]["healthcheck"]["test"])
    assert "/health/" in web
    # What web, worker and beat wait for is healthy before they start.
    for name in ("web", "worker", "beat"):
        for dependency, condition in PORTAL_SERVICES[name]["depends_on"].items():
            assert condition == {"condition": "service_healthy"}, (name, dependency)
            assert COMPOSE["services"][dependency].get("healthcheck"), dependency


def test_env_example_lists_every_variable_the_file_reads() -> None:
    used = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z_]+)=", example, flags=re.MULTILINE))
    assert used == listed, {"not listed": used - listed, "not used": listed - used}
