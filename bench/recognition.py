"""`python -m bench.recognition`: how well invoices are recognised, and how fast.

Generates a labelled set of invoices (`bench/invoices.py`: five layouts, fr/nl/de/en, seeded),
keeps about a third as text PDFs turned into poor scans (JPEG or image-only PDF), runs
`recognise_file` on each in a pool of one process per core, and prints per fact the precision
(correct / extracted) and recall (correct / labelled) for text PDFs, scans and overall, and the
documents per second per core. `BENCH_INVOICES` sets the count (default 120), `BENCH_SEED` the
seed. `main()` returns the metrics for `bench/run.py`.
"""

import os
import random
import tempfile
import time
from collections.abc import Collection, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.invoices import Invoice, degrade, generate, render_pdf
from connect.recognition import FACT_KEYS, RecognitionError, recognise_file

COUNT = int(os.environ.get("BENCH_INVOICES", "120"))
SEED = int(os.environ.get("BENCH_SEED", "20260331"))
SCAN_EVERY = 3  # one invoice in three is scanned


def _prepare(job: tuple[Invoice, str, bool]) -> tuple[int, str, str, str]:
    invoice, directory, scan = job
    pdf = Path(directory) / f"invoice-{invoice.key:04d}.pdf"
    render_pdf(invoice, pdf)
    if not scan:
        return invoice.key, str(pdf), "application/pdf", "text"
    path, content_type = degrade(pdf, Path(directory), random.Random(SEED + invoice.key))
    return invoice.key, str(path), content_type, "scan"


#: (document key, how it was given: "text" or "scan", the facts or None, seconds)
Result = tuple[Any, str, dict[str, Any] | None, float]


def recognise_job(job: tuple[Any, str, str, str]) -> Result:
    """One document of a bench set read (in a pool's worker): (key, path, type, kind)."""
    key, path, content_type, kind = job
    started = time.perf_counter()
    try:
        facts = recognise_file(Path(path), content_type).as_json()
    except RecognitionError:
        facts = None
    return key, kind, facts, time.perf_counter() - started


def _same(key: str, found: str, expected: str) -> bool:
    """Equal as a bookkeeper would take them: the supplier's name regardless of case and
    spacing, every other fact exactly (the normalised forms of `Invoice.labels`)."""
    if key == "supplier_name":
        return " ".join(found.casefold().split()) == " ".join(expected.casefold().split())
    return found == expected


def speed(results: list[Result], wall: float, cores: int) -> dict[str, Any]:
    """Documents per second per core, and seconds per text PDF and per scan."""
    seconds = {kind: [r[3] for r in results if r[1] == kind] for kind in ("text", "scan")}
    return {
        "documents": len(results),
        "cores": cores,
        "wall_seconds": round(wall, 2),
        "documents_per_second_per_core": round(len(results) / (wall * cores), 3),
        "text_seconds_per_document": round(sum(seconds["text"]) / max(len(seconds["text"]), 1), 3),
        "scan_seconds_per_document": round(sum(seconds["scan"]) / max(len(seconds["scan"]), 1), 3),
        "failures": sum(1 for r in results if r[2] is None),
    }


def score(
    results: list[tuple[Any, str, dict[str, Any] | None, float]],
    truth: Mapping[Any, Mapping[str, str | None]],
    ignore: Mapping[Any, Collection[str]] | None = None,
) -> dict[str, Any]:
    """Per fact, for text PDFs, scans and all: precision (right / extracted) and recall (right /
    labelled); and the precision of the facts given with a confidence of 0.8 or more (the
    review threshold) and below. `truth` maps each result's key to its facts; `ignore` names,
    per key, facts not scored at all (whatever is found or not)."""
    ignore = ignore or {}
    metrics: dict[str, Any] = {}
    for kind in ("text", "scan", "all"):
        chosen = [r for r in results if kind in {"all", r[1]}]
        table: dict[str, dict[str, float]] = {}
        for key in FACT_KEYS:
            extracted = correct = labelled = 0
            for number, _, facts, _ in chosen:
                if key in ignore.get(number, ()):
                    continue
                expected = truth[number][key]
                found = facts.get(key) if facts else None
                labelled += expected is not None
                extracted += found is not None
                correct += (
                    found is not None and expected is not None and _same(key, found, expected)
                )
            table[key] = {
                "precision": correct / extracted if extracted else 0.0,
                "recall": correct / labelled if labelled else 0.0,
                "extracted": extracted,
                "labelled": labelled,
                "correct": correct,
            }
        table["_documents"] = {"count": len(chosen)}
        metrics[kind] = table
    # Are confidences worth a review threshold? Precision of the facts above and below 0.8.
    bands = {"confident": [0, 0], "unsure": [0, 0]}
    for number, _, facts, _ in results:
        for key in FACT_KEYS:
            found = facts.get(key) if facts else None
            if found is None or facts is None or key in ignore.get(number, ()):
                continue
            expected = truth[number][key]
            band = bands["confident" if float(facts["confidences"][key]) >= 0.8 else "unsure"]
            band[0] += expected is not None and _same(key, found, expected)
            band[1] += 1
    metrics["confidence"] = {
        name: {"precision": correct / count if count else 0.0, "facts": count, "right": correct}
        for name, (correct, count) in bands.items()
    }
    return metrics


def main() -> dict[str, Any]:
    cores = os.cpu_count() or 1
    invoices = generate(COUNT, SEED)
    by_key = {invoice.key: invoice for invoice in invoices}
    with tempfile.TemporaryDirectory(prefix="bench-recognition-") as directory:
        jobs = [(invoice, directory, invoice.key % SCAN_EVERY == 2) for invoice in invoices]
        with ProcessPoolExecutor(max_workers=cores) as pool:
            prepared = list(pool.map(_prepare, jobs, chunksize=4))
            started = time.perf_counter()
            results = list(pool.map(recognise_job, prepared, chunksize=1))
            wall = time.perf_counter() - started
    metrics = score(results, {key: invoice.labels() for key, invoice in by_key.items()})
    metrics["speed"] = speed(results, wall, cores)
    _print(metrics)
    if os.environ.get("BENCH_VERBOSE"):
        _print_misses(results, by_key)
    return metrics


def _print_misses(
    results: list[tuple[int, str, dict[str, Any] | None, float]], invoices: dict[int, Invoice]
) -> None:
    for number, kind, facts, _ in sorted(results, key=lambda r: r[0]):
        invoice = invoices[number]
        for key, expected in invoice.labels().items():
            found = facts.get(key) if facts else None
            if found != expected and not (found and expected and _same(key, found, expected)):
                print(
                    f"  #{number} {kind} {invoice.template} {invoice.language} {key}: "
                    f"{found!r} instead of {expected!r}"
                )


def _print(metrics: dict[str, Any], what: str = "generated invoices") -> None:
    counts = {kind: metrics[kind]["_documents"]["count"] for kind in ("text", "scan", "all")}
    print(
        f"Recognition of {counts['all']} {what} "
        f"({counts['text']} text PDFs, {counts['scan']} scans): precision / recall"
    )
    print(f"{'fact':<22}{'text PDF':>16}{'scan':>16}{'all':>16}")
    for key in FACT_KEYS:
        cells = "".join(_cell(metrics[kind][key]) for kind in ("text", "scan", "all"))
        print(f"{key:<22}{cells}")
    print_right(metrics)
    print_bands(metrics)
    print_speed(metrics)


def _cell(row: dict[str, float]) -> str:
    if not row["extracted"] and not row["labelled"]:
        return f"{'-':>16}"  # nothing printed, nothing found: nothing to measure
    return f"{row['precision']:>9.2f} /{row['recall']:>5.2f}"


def print_right(metrics: dict[str, Any]) -> None:
    """Facts right out of the facts printed on the pages, per kind (the issue's measure)."""
    cells = []
    for kind in ("text", "scan"):
        right = sum(int(metrics[kind][key]["correct"]) for key in FACT_KEYS)
        labelled = sum(int(metrics[kind][key]["labelled"]) for key in FACT_KEYS)
        if labelled:
            cells.append(f"{kind} {right / labelled:.1%} ({right}/{labelled})")
    print("facts right: " + ", ".join(cells))


def print_bands(metrics: dict[str, Any]) -> None:
    bands = metrics["confidence"]
    print(
        f"facts with confidence >= 0.8: {bands['confident']['precision']:.1%} right "
        f"({bands['confident']['right']}/{bands['confident']['facts']}); below 0.8: "
        f"{bands['unsure']['precision']:.1%} ({bands['unsure']['right']}/"
        f"{bands['unsure']['facts']})"
    )


def print_speed(metrics: dict[str, Any]) -> None:
    speed = metrics["speed"]
    print(
        f"{speed['documents_per_second_per_core']:.2f} documents/s/core "
        f"({speed['documents']} in {speed['wall_seconds']} s on {speed['cores']} cores; "
        f"{speed['text_seconds_per_document']} s per text PDF, "
        f"{speed['scan_seconds_per_document']} s per scan; {speed['failures']} failures)"
    )


if __name__ == "__main__":
    main()
