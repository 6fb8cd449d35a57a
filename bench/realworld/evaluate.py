"""`python -m bench.realworld`: recognition measured on the real-world set only.

Downloads and checks the set on first use (`bench/realworld/__init__.py`), runs
`recognise_file` on every document as a text PDF and on its scan (the generated set's `degrade`
applied to every page; ``--text-only`` to skip the scans, the slow part), in a pool of one
process per core, and prints the same table as the generated set: precision / recall per fact
for text PDFs, scans and both, the share of facts right, and how often a fact given with a
confidence >= 0.8 is right. ``--misses`` lists per document every fact found wrong or not found;
``--json FILE`` writes the metrics and every document's facts for comparing two runs;
``--only ID`` (repeatable) evaluates some documents. ``BENCH_SEED`` seeds the scans.
"""

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.realworld import Document, ensure, load_manifest, scan
from bench.recognition import Result, _print, _same, recognise_job, score, speed
from connect.recognition import FACT_KEYS

SEED = int(os.environ.get("BENCH_SEED", "20260331"))


def _prepare(job: tuple[Document, int]) -> tuple[str, str, str, str]:
    document, seed = job
    path, content_type = scan(document, seed)
    return document.id, str(path), content_type, "scan"


def truths(documents: list[Document]) -> dict[str, dict[str, str | None]]:
    result = {}
    for document in documents:
        data = document.truth()
        missing = [key for key in FACT_KEYS if key not in data]
        if missing:
            raise ValueError(f"truth/{document.id}.json lacks {', '.join(missing)}")
        result[document.id] = {key: data[key] for key in FACT_KEYS}
    return result


def unscored(documents: list[Document]) -> dict[str, set[str]]:
    """Facts printed as specimens that fail their own check digits (DE123456789): not scored,
    since a reader that checks them rightly refuses them and one that does not is not wrong."""
    return {d.id: set(d.truth().get("unscored", [])) for d in documents}


def run(
    documents: list[Document], *, scans: bool = True, seed: int = SEED
) -> tuple[dict[str, Any], list[Result]]:
    cores = os.cpu_count() or 1
    jobs = [(d.id, str(d.path), "application/pdf", "text") for d in documents]
    with ProcessPoolExecutor(max_workers=cores) as pool:
        if scans:
            jobs += list(pool.map(_prepare, [(d, seed) for d in documents]))
        started = time.perf_counter()
        results = list(pool.map(recognise_job, jobs, chunksize=1))
        wall = time.perf_counter() - started
    metrics = score(results, truths(documents), unscored(documents))
    metrics["speed"] = speed(results, wall, cores)
    return metrics, results


def misses(
    results: list[Result],
    truth: dict[str, dict[str, str | None]],
    ignore: dict[str, set[str]],
) -> list[dict[str, Any]]:
    """Every fact not right: found wrong, found where none is printed, or not found."""
    found_wrong = []
    for key, kind, facts, _ in sorted(results, key=lambda r: (r[0], r[1] != "text")):
        for fact in FACT_KEYS:
            if fact in ignore[key]:
                continue
            expected = truth[key][fact]
            found = facts.get(fact) if facts else None
            if found is None and expected is None:
                continue
            if found is not None and expected is not None and _same(fact, found, expected):
                continue
            confidence = (facts or {}).get("confidences", {}).get(fact)
            found_wrong.append(
                {
                    "document": key,
                    "kind": kind,
                    "fact": fact,
                    "found": found,
                    "expected": expected,
                    "confidence": confidence,
                }
            )
    return found_wrong


def print_misses(rows: list[dict[str, Any]]) -> None:
    print(f"Misses ({len(rows)}):")
    for row in rows:
        confidence = f" (confidence {row['confidence']})" if row["confidence"] else ""
        print(
            f"  {row['document']:<34}{row['kind']:<5} {row['fact']:<21}"
            f"{row['found']!r} instead of {row['expected']!r}{confidence}"
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.realworld", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--text-only", action="store_true", help="no scans (fast)")
    parser.add_argument("--misses", action="store_true", help="list every fact not right")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write metrics and facts")
    parser.add_argument("--only", action="append", metavar="ID", help="only these documents")
    args = parser.parse_args(argv)
    documents = load_manifest()
    if args.only:
        unknown = set(args.only) - {d.id for d in documents}
        if unknown:
            parser.error(f"unknown document ids: {', '.join(sorted(unknown))}")
        documents = [d for d in documents if d.id in args.only]
    documents = ensure(documents)
    metrics, results = run(documents, scans=not args.text_only)
    truth = truths(documents)
    _print(metrics, "real-world invoices (bench/realworld)")
    rows = misses(results, truth, unscored(documents))
    if args.misses:
        print_misses(rows)
    if args.json:
        by_document: dict[str, Any] = {}
        for key, kind, facts, seconds in results:
            entry = by_document.setdefault(key, {"truth": truth[key]})
            entry[kind] = {"facts": facts, "seconds": round(seconds, 3)}
        args.json.write_text(
            json.dumps(
                {"seed": SEED, "metrics": metrics, "misses": rows, "documents": by_document},
                indent=1,
                ensure_ascii=False,
            )
            + "\n"
        )
        print(f"written: {args.json}")
    return metrics


if __name__ == "__main__":
    main(sys.argv[1:])
