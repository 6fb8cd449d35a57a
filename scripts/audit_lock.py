"""Fail when a package pinned in uv.lock has a known vulnerability.

The offline counterpart of `pip-audit`: the advisories are a committed snapshot of the PyPA
advisory database (OSV format, scripts/advisories/, refreshed by scripts/refresh_advisories.py),
and every package of the lock file (all groups) is checked against the PyPI `affected` entries
of its advisories: ECOSYSTEM ranges (introduced / fixed / last_affected events, compared as PEP 440
versions, as OSV specifies) and explicit `versions` lists. Withdrawn advisories are skipped.

An advisory judged not to apply goes in scripts/audit_allow.toml with a reason and an expiry
date; an expired entry fails, so the judgement is made again.

    python scripts/audit_lock.py [--lock uv.lock] [--advisories DIR] [--allow FILE] [--today DATE]
"""

import argparse
import datetime
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
ADVISORIES = ROOT / "scripts" / "advisories"
ALLOW = ROOT / "scripts" / "audit_allow.toml"


def normalise(name: str) -> str:
    """PEP 503: the same project whatever its case and separators."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def range_affects(events: list[dict[str, str]], version: Version) -> bool:
    """OSV's evaluation of one ECOSYSTEM range: walk the events in version order; `introduced`
    switches on at or above it, `fixed` off at or above it, `last_affected` off above it."""
    parsed: list[tuple[Version, str]] = []
    for event in events:
        for kind in ("introduced", "fixed", "last_affected"):
            if kind in event:
                bound = Version("0") if event[kind] == "0" else _version(event[kind])
                if bound is not None:
                    parsed.append((bound, kind))
    # At the same version an `introduced` comes before the event that ends a range.
    parsed.sort(key=lambda item: (item[0], item[1] != "introduced"))
    affected = False
    for bound, kind in parsed:
        if kind == "introduced":
            affected = affected or version >= bound
        elif version > bound or (kind == "fixed" and version == bound):
            affected = False
    return affected


def entry_affects(entry: dict[str, Any], version: Version, raw: str) -> bool:
    for listed in entry.get("versions") or ():
        if listed == raw or _version(listed) == version:
            return True
    return any(
        r.get("type") == "ECOSYSTEM" and range_affects(r.get("events") or [], version)
        for r in entry.get("ranges") or ()
    )


def fixed_versions(entry: dict[str, Any]) -> list[str]:
    fixed = [
        event["fixed"]
        for r in entry.get("ranges") or ()
        if r.get("type") == "ECOSYSTEM"
        for event in r.get("events") or ()
        if "fixed" in event
    ]
    return sorted(fixed, key=lambda text: _version(text) or Version("0"))


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    aliases: tuple[str, ...]
    fixed: tuple[str, ...]

    def __str__(self) -> str:
        aliases = ", ".join(self.aliases) or "no alias"
        fixed = ", ".join(self.fixed) or "no fixed version"
        return f"{self.package} {self.version}: {self.advisory} ({aliases}); fixed in {fixed}"


def locked_packages(lock: Path) -> list[tuple[str, str]]:
    """Every package of the lock file, whatever its group, as (normalised name, version); a
    package locked at two versions (one per Python version or platform) appears twice."""
    data = tomllib.loads(lock.read_text(encoding="utf-8"))
    return sorted(
        {
            (normalise(package["name"]), package["version"])
            for package in data.get("package", [])
            if "version" in package
        }
    )


def load_advisories(directory: Path) -> dict[str, list[dict[str, Any]]]:
    by_package: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(directory.glob("*/*.json")):
        by_package.setdefault(path.parent.name, []).append(
            json.loads(path.read_text(encoding="utf-8"))
        )
    return by_package


def audit(
    packages: list[tuple[str, str]], advisories: dict[str, list[dict[str, Any]]]
) -> list[Finding]:
    findings = []
    for name, raw in packages:
        version = _version(raw)
        if version is None:
            continue
        for advisory in advisories.get(name, ()):
            if advisory.get("withdrawn"):
                continue
            for entry in advisory.get("affected") or ():
                package = entry.get("package") or {}
                if package.get("ecosystem") != "PyPI" or normalise(package.get("name", "")) != name:
                    continue
                if entry_affects(entry, version, raw):
                    findings.append(
                        Finding(
                            package=name,
                            version=raw,
                            advisory=advisory["id"],
                            aliases=tuple(advisory.get("aliases") or ()),
                            fixed=tuple(fixed_versions(entry)),
                        )
                    )
                    break
    return findings


def load_allow(path: Path, today: datetime.date) -> tuple[set[str], list[str]]:
    """The advisory ids judged not to apply, and the problems of the allow-list itself."""
    if not path.exists():
        return set(), []
    allowed: set[str] = set()
    problems: list[str] = []
    for item in tomllib.loads(path.read_text(encoding="utf-8")).get("allow", []):
        ident = item.get("id", "?")
        expires = item.get("expires")
        if not str(item.get("reason", "")).strip():
            problems.append(f"allow-list: {ident} has no reason")
        elif not isinstance(expires, datetime.date):
            problems.append(f"allow-list: {ident} has no expiry date (expires = YYYY-MM-DD)")
        elif expires < today:
            problems.append(f"allow-list: {ident} expired on {expires}; judge it again")
        else:
            allowed.add(ident)
    return allowed, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "uv.lock")
    parser.add_argument("--advisories", type=Path, default=ADVISORIES)
    parser.add_argument("--allow", type=Path, default=ALLOW)
    today = datetime.datetime.now(datetime.UTC).date()
    parser.add_argument("--today", type=datetime.date.fromisoformat, default=today)
    args = parser.parse_args(argv)

    packages = locked_packages(args.lock)
    advisories = load_advisories(args.advisories)
    allowed, problems = load_allow(args.allow, args.today)
    findings = [f for f in audit(packages, advisories) if f.advisory not in allowed]
    source_file = args.advisories / "source.json"
    source = json.loads(source_file.read_text(encoding="utf-8")) if source_file.exists() else {}
    snapshot = source.get("date", "unknown date")

    for problem in problems:
        print(problem, file=sys.stderr)
    if findings:
        print(f"{len(findings)} known vulnerabilities in {args.lock.name}:", file=sys.stderr)
        for finding in findings:
            print(f"  {finding}", file=sys.stderr)
    if findings or problems:
        return 1
    count = sum(len(items) for items in advisories.values())
    print(
        f"audit: {len(packages)} packages of {args.lock.name} checked against {count} advisories "
        f"(PyPA advisory database of {snapshot}): no known vulnerability"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
