"""Refresh scripts/advisories/ from a checkout of the PyPA advisory database.

    git clone --depth 1 https://github.com/pypa/advisory-database /tmp/advisory-database
    python scripts/refresh_advisories.py /tmp/advisory-database

Only the advisories of the packages in uv.lock are kept (run it again after adding a package),
each converted from the database's YAML to OSV's JSON, unchanged otherwise. The commit and its
date are written to scripts/advisories/source.json; scripts/audit_lock.py prints the date.
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from audit_lock import ADVISORIES, ROOT, locked_packages, normalise


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="a clone of pypa/advisory-database")
    parser.add_argument("--lock", type=Path, default=ROOT / "uv.lock")
    parser.add_argument("--into", type=Path, default=ADVISORIES)
    args = parser.parse_args(argv)
    checkout, into = args.checkout, args.into
    if not (checkout / "vulns").is_dir():
        parser.error(f"{checkout} has no vulns/ folder")
    git = ["git", "-C", str(checkout), "log", "-1"]
    commit = subprocess.run([*git, "--format=%H"], check=True, capture_output=True, text=True)
    date = subprocess.run([*git, "--format=%cs"], check=True, capture_output=True, text=True)

    wanted = {name for name, _ in locked_packages(args.lock)}
    for old in into.iterdir() if into.exists() else ():
        if old.is_dir():
            shutil.rmtree(old)
    into.mkdir(parents=True, exist_ok=True)
    count = 0
    for folder in sorted((checkout / "vulns").iterdir()):
        name = normalise(folder.name)
        if not folder.is_dir() or name not in wanted:
            continue
        target = into / name
        target.mkdir(exist_ok=True)
        for path in sorted(folder.glob("*.yaml")):
            advisory = yaml.safe_load(path.read_text(encoding="utf-8"))
            text = json.dumps(advisory, indent=1, ensure_ascii=False, default=str)
            (target / f"{path.stem}.json").write_text(text + "\n", encoding="utf-8")
            count += 1
    source = {
        "repository": "https://github.com/pypa/advisory-database",
        "commit": commit.stdout.strip(),
        "date": date.stdout.strip(),
        "licence": "CC-BY-4.0",
    }
    (into / "source.json").write_text(json.dumps(source, indent=1) + "\n", encoding="utf-8")
    print(f"{count} advisories of {len(wanted)} locked projects, commit {source['commit']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
