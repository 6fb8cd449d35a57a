"""connect-sync is its own distribution (connect-sync/pyproject.toml, no dependencies): a desktop
installs it with a bare Python. Every import of its modules, top-level or inside a function, is
of the standard library or of the package itself; and its distribution declares no dependency."""

import ast
import sys
import tomllib
from pathlib import Path

import connect_sync

PACKAGE = Path(connect_sync.__file__).resolve().parent
DISTRIBUTION = PACKAGE.parent
MAX_LINES = 500


def modules() -> list[Path]:
    found = sorted(PACKAGE.rglob("*.py"))
    assert len(found) >= 5, found  # the split package, not an empty or a wrong folder
    return found


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import, write connect_sync.…"
            assert node.module is not None
            roots.add(node.module.split(".")[0])
    return roots


def test_the_installed_package_is_the_one_in_the_repository() -> None:
    assert Path(__file__).resolve().parents[2] / "connect-sync" == DISTRIBUTION


def test_connect_sync_imports_only_the_standard_library_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"connect_sync", "__future__"}
    outside = {
        f"{path.name}: {root}"
        for path in modules()
        for root in imported_roots(path)
        if root not in allowed
    }
    assert not outside, outside


def test_the_distribution_declares_no_dependency_and_its_command() -> None:
    project = tomllib.loads((DISTRIBUTION / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == "connect-sync"
    assert project["project"]["dependencies"] == []
    assert project["project"]["scripts"] == {"connect-sync": "connect_sync.cli:main"}


def test_no_module_over_500_lines() -> None:
    lengths = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in modules()}
    assert max(lengths.values()) <= MAX_LINES, lengths
