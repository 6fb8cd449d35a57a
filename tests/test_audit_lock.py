"""scripts/audit_lock.py, the lock-file audit of `make test`, and scripts/refresh_advisories.py:
real advisories of the committed snapshot (PyPA advisory database) against small lock files,
and made-up advisories where the snapshot has no example of a rule."""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "scripts" / "advisories"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


audit_lock = _load("audit_lock")
refresh_advisories = _load("refresh_advisories")


def write_lock(path: Path, *pairs: tuple[str, str], **packages: str) -> Path:
    lock = path / "uv.lock"
    lock.write_text(
        "version = 1\n"
        + "".join(
            f'\n[[package]]\nname = "{name}"\nversion = "{version}"\n'
            for name, version in [*pairs, *packages.items()]
        )
    )
    return lock


def run(tmp_path: Path, capsys, lock: Path, advisories: Path = SNAPSHOT, **extra: str):
    args = ["--lock", str(lock), "--advisories", str(advisories), "--allow", str(tmp_path / "none")]
    for key, value in extra.items():
        args += [f"--{key}", value]
    code = audit_lock.main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def made_up(tmp_path: Path, package: str, **affected) -> Path:
    """An advisories folder with one advisory on `package` and the given `affected` fields."""
    folder = tmp_path / "advisories"
    (folder / package).mkdir(parents=True, exist_ok=True)
    advisory = {
        "id": "TEST-0001",
        "aliases": ["CVE-0000-0001"],
        "affected": [{"package": {"name": package, "ecosystem": "PyPI"}, **affected}],
    }
    (folder / package / "TEST-0001.json").write_text(json.dumps(advisory))
    return folder


def test_a_vulnerable_django_fails_with_the_advisory_and_its_fix(tmp_path, capsys):
    # PYSEC-2024-102 (CVE-2024-45230): urlize, fixed in 4.2.16, 5.0.9 and 5.1.1.
    code, output = run(tmp_path, capsys, write_lock(tmp_path, Django="5.1.0"))
    assert code == 1
    assert "django 5.1.0: PYSEC-2024-102 (CVE-2024-45230); fixed in 4.2.16, 5.0.9, 5.1.1" in output


def test_the_fixed_django_passes(tmp_path, capsys):
    code, output = run(tmp_path, capsys, write_lock(tmp_path, Django="5.1.1"))
    assert code == 0, output
    assert "1 packages of uv.lock checked against 254 advisories" in output
    assert "PyPA advisory database of 2024-10-10" in output


def test_names_are_compared_normalised(tmp_path, capsys):
    # Werkzeug 2.2.2: CVE-2023-25577, fixed in 2.2.3.
    code, output = run(tmp_path, capsys, write_lock(tmp_path, WerkZeug="2.2.2"))
    assert code == 1
    assert (
        "werkzeug 2.2.2: PYSEC-2023-58 (CVE-2023-25577, GHSA-xg9f-g7g7-2323); fixed in 2.2.3"
        in output
    )


def test_each_version_of_a_package_locked_twice_is_checked(tmp_path, capsys):
    # uv locks one version per Python version or platform where they differ (numpy, networkx).
    lock = write_lock(tmp_path, ("django", "5.1.1"), ("django", "5.1.0"))
    code, output = run(tmp_path, capsys, lock)
    assert code == 1
    assert "django 5.1.0: PYSEC-2024-102" in output
    assert "django 5.1.1" not in output


@pytest.mark.parametrize(
    ("version", "affected"),
    [("0.9", False), ("1.0", True), ("1.4.2", True), ("1.5", True), ("1.5.1", False)],
)
def test_a_range_with_last_affected_includes_its_bound(tmp_path, capsys, version, affected):
    events = [{"introduced": "1.0"}, {"last_affected": "1.5"}]
    advisories = made_up(tmp_path, "example", ranges=[{"type": "ECOSYSTEM", "events": events}])
    code, output = run(tmp_path, capsys, write_lock(tmp_path, example=version), advisories)
    assert code == (1 if affected else 0), output
    if affected:
        assert f"example {version}: TEST-0001 (CVE-0000-0001); fixed in no fixed version" in output


@pytest.mark.parametrize(
    ("version", "affected"),
    [
        ("1.9", False),
        ("2.0", True),
        ("2.0.5", False),
        ("2.1", False),
        ("3.0", True),
        ("3.1", False),
    ],
)
def test_several_introduced_and_fixed_events(tmp_path, capsys, version, affected):
    events = [{"introduced": "3.0"}, {"fixed": "2.0.5"}, {"introduced": "2.0"}, {"fixed": "3.1"}]
    advisories = made_up(tmp_path, "example", ranges=[{"type": "ECOSYSTEM", "events": events}])
    code, output = run(tmp_path, capsys, write_lock(tmp_path, example=version), advisories)
    assert code == (1 if affected else 0), output


@pytest.mark.parametrize(("version", "affected"), [("1.2", True), ("1.2.0", True), ("1.3", False)])
def test_an_explicit_versions_list(tmp_path, capsys, version, affected):
    advisories = made_up(tmp_path, "example", versions=["1.1", "1.2"])
    code, output = run(tmp_path, capsys, write_lock(tmp_path, example=version), advisories)
    assert code == (1 if affected else 0), output


def test_a_git_range_and_another_ecosystem_are_not_read(tmp_path, capsys):
    advisories = made_up(
        tmp_path, "example", ranges=[{"type": "GIT", "events": [{"introduced": "0"}]}]
    )
    path = advisories / "example" / "TEST-0001.json"
    advisory = json.loads(path.read_text())
    advisory["affected"].append(
        {
            "package": {"name": "example", "ecosystem": "npm"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
        }
    )
    path.write_text(json.dumps(advisory))
    code, output = run(tmp_path, capsys, write_lock(tmp_path, example="1.0"), advisories)
    assert code == 0, output


def test_a_withdrawn_advisory_is_ignored(tmp_path, capsys):
    # PYSEC-2023-73 on redis (withdrawn) affects every version: introduced 0, never fixed.
    advisories = tmp_path / "advisories"
    shutil.copytree(SNAPSHOT / "redis", advisories / "redis")
    lock = write_lock(tmp_path, redis="5.0.1")
    code, output = run(tmp_path, capsys, lock, advisories)
    assert code == 0, output

    withdrawn = advisories / "redis" / "PYSEC-2023-73.json"
    advisory = json.loads(withdrawn.read_text())
    del advisory["withdrawn"]
    withdrawn.write_text(json.dumps(advisory))
    code, output = run(tmp_path, capsys, lock, advisories)
    assert code == 1
    assert "redis 5.0.1: PYSEC-2023-73" in output


def test_an_allowed_advisory_passes_until_its_expiry(tmp_path, capsys):
    lock = write_lock(tmp_path, Django="5.1.0")
    allow = tmp_path / "allow.toml"
    allow.write_text(
        '[[allow]]\nid = "PYSEC-2024-102"\n'
        'reason = "urlize and urlizetrunc are not used"\nexpires = 2025-01-31\n'
    )
    args = ["--lock", str(lock), "--advisories", str(SNAPSHOT), "--allow", str(allow)]
    assert audit_lock.main([*args, "--today", "2025-01-31"]) == 0
    assert audit_lock.main([*args, "--today", "2025-02-01"]) == 1
    assert "PYSEC-2024-102 expired on 2025-01-31" in capsys.readouterr().err

    allow.write_text('[[allow]]\nid = "PYSEC-2024-102"\nexpires = 2025-01-31\n')
    assert audit_lock.main([*args, "--today", "2025-01-01"]) == 1
    assert "PYSEC-2024-102 has no reason" in capsys.readouterr().err


def test_the_real_lock_file_passes_as_make_runs_it():
    result = subprocess.run(
        [sys.executable, "scripts/audit_lock.py"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    locked = (ROOT / "uv.lock").read_text().count("\n[[package]]\n")
    assert f"audit: {locked} packages of uv.lock checked" in result.stdout


def test_refresh_keeps_the_locked_packages_only(tmp_path):
    checkout = tmp_path / "advisory-database"
    for folder, ident in (("Django", "PYSEC-1"), ("flask", "PYSEC-2"), ("unused", "PYSEC-3")):
        (checkout / "vulns" / folder).mkdir(parents=True)
        (checkout / "vulns" / folder / f"{ident}.yaml").write_text(
            f"id: {ident}\naffected:\n- package:\n    name: {folder}\n    ecosystem: PyPI\n"
            '  versions:\n  - "1.0"\n'
        )
    git = ["git", "-C", str(checkout)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run(
        [*git, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "a"],
        check=True,
    )
    into = tmp_path / "snapshot"
    lock = write_lock(tmp_path, django="1.0", Flask="1.0")
    assert refresh_advisories.main([str(checkout), "--lock", str(lock), "--into", str(into)]) == 0

    assert sorted(p.relative_to(into).as_posix() for p in into.rglob("*.json")) == [
        "django/PYSEC-1.json",
        "flask/PYSEC-2.json",
        "source.json",
    ]
    assert json.loads((into / "django" / "PYSEC-1.json").read_text())["affected"][0][
        "versions"
    ] == ["1.0"]
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    assert json.loads((into / "source.json").read_text())["commit"] == head.stdout.strip()
    assert audit_lock.main(["--lock", str(lock), "--advisories", str(into)]) == 1
