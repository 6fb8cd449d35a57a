"""Imports of our own modules are written at module level (issue 17): an import inside a function
hides a dependency from the reader and can dodge an import circle that `.importlinter`'s
"No import circle" contract would otherwise refuse. The one place Django needs them is an app's
``AppConfig.ready()`` (the models must be loaded first)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("core", "users", "dossiers", "connect", "view", "portal")


def _own(module: str | None, level: int) -> bool:
    return level > 0 or (module is not None and module.split(".")[0] in APPS)


def function_level_imports(source: str, path: str) -> list[str]:
    """``path:line`` of each import of our own modules written inside a function, outside an
    ``AppConfig.ready()``."""
    tree = ast.parse(source)
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "ready":
                    allowed.update(id(sub) for sub in ast.walk(item))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for sub in ast.walk(node):
            if id(sub) in allowed:
                continue
            own_from = isinstance(sub, ast.ImportFrom) and _own(sub.module, sub.level)
            own_import = isinstance(sub, ast.Import) and any(_own(a.name, 0) for a in sub.names)
            if own_from or own_import:
                found.append(f"{path}:{sub.lineno}")
    return sorted(set(found))


def _app_sources() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_no_import_of_our_modules_inside_a_function() -> None:
    sources = _app_sources()
    assert len(sources) > 200  # the walk reached the apps
    found = [
        hit
        for path in sources
        for hit in function_level_imports(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert found == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f():\n    from connect.tasks import x\n", ["m.py:2"]),
        ("def f():\n    import dossiers.services\n", ["m.py:2"]),
        ("def f():\n    from . import tasks\n", ["m.py:2"]),
        ("def f():\n    if True:\n        from core import mail\n", ["m.py:3"]),
        ("class A:\n    def ready(self):\n        from connect import tasks\n", []),
        ("class A:\n    def other(self):\n        from connect import tasks\n", ["m.py:3"]),
        ("def f():\n    from pypdf import PdfReader\n", []),
        ("from connect import tasks\n", []),
    ],
)
def test_the_check_finds_what_it_must(source: str, expected: list[str]) -> None:
    assert function_level_imports(source, "m.py") == expected
