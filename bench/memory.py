"""`python -m bench.memory`: what the supplier memory gains on a supplier's second invoice.

Pairs of invoices from one supplier (`bench/invoices.py: supplier_pairs`: the same layout and
wording, another number, dates and lines); one supplier in two prints labels the generic
reader does not know (`ODD_WORDS`). One pair in three is scanned (both invoices, by the
recognition bench's `degrade`). For each pair:

1. the first invoice is read, and every fact it got wrong or missed is corrected as the
   accountant would in the review queue, and learned (`memory.learn`) at the confidence of a
   place taught once (`memory.confidence(hits=1, misses=0)`: 0.67);
2. the second invoice is read without the memory, and with it (`memory.apply`, then
   `memory.recall`, as `connect/documents/services/memory.py` does when a document is read).

Prints, for the second invoices, the share of labelled facts read right without and with the
memory (text PDFs, scans, the suppliers with unknown labels, all), how many facts the memory
gave and how many of those were right, and how many second invoices Optimum would still send
to review. `BENCH_MEMORY_PAIRS` sets the count (default 24), `BENCH_SEED` the seed. `main()`
returns the metrics for `bench/run.py`.
"""

import os
import random
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.invoices import ODD_WORDS, Invoice, degrade, render_pdf, supplier_pairs
from connect.recognition import FACT_KEYS, Fact, RecognitionError, recognise_file
from connect.recognition.facts import overall_confidence
from connect.recognition.memory import Placement, apply, confidence, learn, recall

PAIRS = int(os.environ.get("BENCH_MEMORY_PAIRS", "24"))
SEED = int(os.environ.get("BENCH_SEED", "20260331"))
SCAN_EVERY = 3
REVIEW_THRESHOLD = 0.8  # settings.CONNECT_REVIEW_THRESHOLD


def _same(key: str, found: str | None, expected: str) -> bool:
    if found is None:
        return False
    if key == "supplier_name":
        return " ".join(found.casefold().split()) == " ".join(expected.casefold().split())
    return found == expected


def _file(invoice: Invoice, directory: Path, scan: bool) -> tuple[Path, str]:
    pdf = directory / f"invoice-{invoice.key:06d}.pdf"
    render_pdf(invoice, pdf)
    if not scan:
        return pdf, "application/pdf"
    return degrade(pdf, directory, random.Random(SEED + invoice.key))


def _pair(job: tuple[Invoice, Invoice, bool]) -> dict[str, Any]:
    first, second, scan = job
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        directory = Path(tmp)
        try:
            read_first = recognise_file(*_file(first, directory, scan))
            read_second = recognise_file(*_file(second, directory, scan))
        except RecognitionError:
            return {"failed": True}
    # The accountant corrects the first invoice; each correction is learned.
    placements: list[Placement] = []
    corrected = 0
    for key, expected in first.labels().items():
        fact = read_first.facts.get(key)
        if expected is None or (fact is not None and _same(key, fact.value, expected)):
            continue
        corrected += 1
        placement = learn(list(read_first.words), key, expected)
        if placement is not None:
            placements.append(
                Placement(**{**placement.__dict__, "confidence": confidence(hits=1, misses=0)})
            )
    without = read_second.facts
    remembered = apply(list(read_second.words), placements)
    with_memory = recall(without, remembered)
    truth = second.labels()
    return {
        "failed": False,
        "scan": scan,
        "odd": second.words.get("number") == ODD_WORDS[second.language]["number"],
        "corrected": corrected,
        "learned": len(placements),
        "labelled": sum(1 for value in truth.values() if value is not None),
        "right_without": _right(without, truth),
        "right_with": _right(with_memory, truth),
        "remembered": len(remembered),
        "remembered_right": sum(
            1
            for key, fact in remembered.items()
            if truth.get(key) is not None and _same(key, fact.value, str(truth[key]))
        ),
        "review_without": overall_confidence(without) < REVIEW_THRESHOLD,
        "review_with": overall_confidence(with_memory) < REVIEW_THRESHOLD,
        # Later invoices, once the places were confirmed twice (hits 3: 0.8).
        "review_trusted": overall_confidence(recall(without, _trusted(remembered)))
        < REVIEW_THRESHOLD,
    }


def _trusted(remembered: dict[str, Fact]) -> dict[str, Fact]:
    sure = confidence(hits=3, misses=0)
    return {key: Fact(fact.value, sure) for key, fact in remembered.items()}


def _right(facts: dict[str, Fact], truth: dict[str, str | None]) -> int:
    return sum(
        1
        for key in FACT_KEYS
        if truth.get(key) is not None
        and key in facts
        and _same(key, facts[key].value, str(truth[key]))
    )


def score(results: list[dict[str, Any]]) -> dict[str, Any]:
    done = [r for r in results if not r["failed"]]
    groups = {
        "text": [r for r in done if not r["scan"]],
        "scan": [r for r in done if r["scan"]],
        "odd": [r for r in done if r["odd"]],
        "all": done,
    }
    metrics: dict[str, Any] = {}
    for name, rows in groups.items():
        labelled = sum(r["labelled"] for r in rows)
        metrics[name] = {
            "pairs": len(rows),
            "labelled": labelled,
            "without": sum(r["right_without"] for r in rows) / labelled if labelled else 0.0,
            "with": sum(r["right_with"] for r in rows) / labelled if labelled else 0.0,
        }
    remembered = sum(r["remembered"] for r in done)
    metrics["memory"] = {
        "corrected": sum(r["corrected"] for r in done),
        "learned": sum(r["learned"] for r in done),
        "remembered": remembered,
        "remembered_right": sum(r["remembered_right"] for r in done),
        "review_without": sum(r["review_without"] for r in done),
        "review_with": sum(r["review_with"] for r in done),
        "review_trusted": sum(r["review_trusted"] for r in done),
        "failures": len(results) - len(done),
    }
    return metrics


def main() -> dict[str, Any]:
    pairs = supplier_pairs(PAIRS, SEED)
    jobs = [(first, second, index % SCAN_EVERY == 2) for index, (first, second) in enumerate(pairs)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(_pair, jobs, chunksize=1))
    metrics = score(results)
    _print(metrics)
    return metrics


def _print(metrics: dict[str, Any]) -> None:
    print(
        f"Supplier memory: {metrics['all']['pairs']} pairs of invoices from one supplier "
        f"({metrics['odd']['pairs']} with labels the generic reader does not know, "
        f"{metrics['scan']['pairs']} scanned): the first corrected, the second measured"
    )
    print(f"{'second invoice, facts right':<42}{'without memory':>16}{'with memory':>14}")
    names = {
        "text": "text PDFs",
        "scan": "scans",
        "odd": "suppliers with unknown labels",
        "all": "all",
    }
    for name, title in names.items():
        row = metrics[name]
        print(
            f"  {title + ' (' + str(row['labelled']) + ' facts)':<40}"
            f"{row['without']:>16.1%}{row['with']:>14.1%}"
        )
    memory = metrics["memory"]
    share = memory["remembered_right"] / memory["remembered"] if memory["remembered"] else 0.0
    print(
        f"{memory['corrected']} facts corrected on first invoices, {memory['learned']} learned; "
        f"the memory gave {memory['remembered']} facts on second invoices, "
        f"{memory['remembered_right']} right ({share:.1%}); second invoices Optimum sends to "
        f"review: {memory['review_without']} without the memory, {memory['review_with']} with "
        f"(a place taught once reads at {confidence(hits=1, misses=0)}, below the threshold), "
        f"{memory['review_trusted']} once its places were confirmed twice "
        f"({confidence(hits=3, misses=0)})"
        + (f"; {memory['failures']} failures" if memory["failures"] else "")
    )


if __name__ == "__main__":
    main()
