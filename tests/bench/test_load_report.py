"""`make load` prints locust's statistics and counts the answers 429 (bench/load/run.py,
``report``): none is expected, so each one fails the run, and the kinds that got them are
named."""

import json
from pathlib import Path

import pytest

from bench.load import run


def _row(name: str, count: int, failures: int = 0) -> dict:
    return {"name": name, "count": count, "failures": failures, "rps": count / 60}


def _report(workdir: Path, refused: dict[str, int], failures: int) -> None:
    percentiles = {"p50": 100, "p95": 300, "p99": 600}
    (workdir / "report.json").write_text(
        json.dumps(
            {
                "seconds": 60,
                "kinds": [
                    _row("login", 24, failures) | percentiles,
                    _row("accountant: inbox", 80) | percentiles,
                ],
                "groups": [
                    _row("login", 24, failures) | percentiles,
                    _row("pages", 80) | percentiles,
                    _row("pages after the last login", 50) | percentiles,
                ],
                "total": _row("all requests", 104, failures) | percentiles,
                "refused": refused,
                "errors": [{"name": "login", "error": "login answered 429", "count": failures}][
                    :failures
                ],
            }
        )
    )


@pytest.mark.parametrize(
    ("refused", "line"),
    [
        ({}, "answers 429 (none expected): 0"),
        (
            {"login": 2, "desktop: list new": 1},
            "answers 429 (none expected): 3 (desktop: list new: 1, login: 2)",
        ),
    ],
)
def test_the_answers_429_are_counted_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], refused: dict[str, int], line: str
) -> None:
    _report(tmp_path, refused, failures=refused.get("login", 0))
    failed, counted = run.report(tmp_path)
    out = capsys.readouterr().out
    assert counted == sum(refused.values()) and failed == refused.get("login", 0)
    assert line in out.splitlines()
    assert "pages after the last login" in out
