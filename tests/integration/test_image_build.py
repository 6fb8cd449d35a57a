"""The production image's build stage, proven without a Docker engine: the Dockerfile's own
commands run in a fresh virtualenv made from uv.lock (runtime dependencies only), in a copy of
the repository's tracked files, under the build settings (no secret, no database, no broker);
then `check --deploy` passes under the production settings with the variables compose gives."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NETWORK = {
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "UV_NATIVE_TLS",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
}
pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is needed")


def dockerfile_runs() -> list[str]:
    """The Dockerfile's RUN instructions, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [line[4:].strip() for line in joined.splitlines() if line.startswith("RUN ")]


def uv() -> str:
    found = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    assert Path(found).exists(), "uv is installed by `make install`"
    return found


def run(command: str | list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        shell=isinstance(command, str),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def test_the_images_build_stage_and_deploy_check_pass_from_the_lock_file(tmp_path: Path) -> None:
    app, venv = tmp_path / "app", tmp_path / "venv"
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        target = app / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, target)
    base_env = {
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv")),
        "LANG": "C.UTF-8",
        # The machine's way to the package index (its CA bundle, a proxy), as `make install`
        # had it: a wheel missing from uv's cache is downloaded like any other.
        **{name: value for name, value in os.environ.items() if name in NETWORK},
    }
    runs = dockerfile_runs()
    sync = next(r for r in runs if r.startswith("uv sync"))
    assert "--no-dev" in sync and "--frozen" in sync
    run(f"{uv()} {sync[3:]} --python {sys.executable}", app, base_env)
    # The runtime environment has no test tool: the image gets what production imports.
    assert not (venv / "bin" / "pytest").exists()
    assert (venv / "bin" / "gunicorn").exists()

    build = next(r for r in runs if "collectstatic" in r)
    static_root = app / "staticfiles"
    env = {**base_env, "DJANGO_SETTINGS_MODULE": "portal.settings.production"}
    env["STATIC_ROOT"] = str(static_root)
    for step in (s.strip() for s in build.split("&&")):
        if step.startswith(("mkdir", "chown")):
            continue  # the image's own directories and user
        run(step.replace("/opt/venv", str(venv)).replace("/app", str(app)), app, env)
    manifest = (static_root / "staticfiles.json").read_text()
    assert "vendor/chart-4.6.1.umd.min" in manifest and "js/upload" in manifest
    for language in ("fr", "nl", "de", "en"):
        assert (app / "locale" / language / "LC_MESSAGES" / "django.mo").stat().st_size > 10_000

    deploy = {
        **env,
        "DJANGO_SECRET_KEY": "x" * 20 + "-not-a-real-secret-but-long-enough-for-the-check",
        "DJANGO_ALLOWED_HOSTS": "portal.example.be",
        "PORTAL_BASE_URL": "https://portal.example.be",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal",
    }
    out = run([str(venv / "bin" / "python"), "manage.py", "check", "--deploy"], app, deploy)
    assert "System check identified no issues" in out
