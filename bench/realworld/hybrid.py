"""`python -m bench.realworld.hybrid`: the real-world set read the way the portal receives it.

Each document goes through the receiving checks (`connect.documents.files.inspect`): a PDF
that carries an invoice XML (Factur-X, ZUGFeRD 2.x, XRechnung, Odoo's UBL) gives its facts
from the XML, and they are scored against the same hand-checked truth as recognition
(`truth/<id>.json`, what the
page prints). Prints how many PDFs carry an XML, how many are read from it, why the others are
not, and per fact how many of the XML's facts match the page. `main()` returns the counts.
"""

import sys
from collections import Counter
from typing import Any

from bench.realworld import Document, ensure, load_manifest
from bench.realworld.evaluate import truths, unscored
from bench.recognition import _same
from connect.recognition import FACT_KEYS


def _read(document: Document) -> tuple[str, dict[str, Any] | None]:
    """("refused: code" | "no xml" | the problem | the source, facts)."""
    from connect.documents.files import inspect, spool
    from core.errors import ServiceError

    spooled = spool([document.path.read_bytes()], max_size=100 * 1024 * 1024)
    try:
        info = inspect(spooled, document.path.name)
    except ServiceError as error:
        return f"refused: {error.code}", None
    finally:
        spooled.remove()
    if info.hybrid.invoice is not None:
        return info.hybrid.source, info.hybrid.invoice.facts(embedded=True)
    return (info.hybrid.problem or "no xml"), None


def main() -> dict[str, Any]:
    import django

    django.setup()
    documents = ensure(load_manifest())
    truth, skip = truths(documents), unscored(documents)
    outcomes: Counter[str] = Counter()
    right: Counter[str] = Counter()
    labelled: Counter[str] = Counter()
    wrong: list[str] = []
    for document in documents:
        outcome, facts = _read(document)
        outcomes[outcome] += 1
        if facts is None:
            continue
        for key in FACT_KEYS:
            expected = truth[document.id][key]
            if expected is None or key in skip[document.id]:
                continue
            labelled[key] += 1
            found = facts.get(key)
            if isinstance(found, str) and _same(key, found, expected):
                right[key] += 1
            else:
                wrong.append(f"  {document.id} {key}: XML {found!r}, page {expected!r}")
    read = sum(n for outcome, n in outcomes.items() if outcome.startswith("embedded_"))
    print(f"\nreal-world set through the receiving checks: {len(documents)} documents")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {outcome:<28} {count:>3}")
    print(f"read exactly from their XML: {read}")
    print(f"{'fact':<22} {'XML = page':>12}")
    for key in FACT_KEYS:
        if labelled[key]:
            print(f"{key:<22} {right[key]:>5}/{labelled[key]:<6}")
    total_right, total = sum(right.values()), sum(labelled.values())
    if total:
        print(f"{'all facts':<22} {total_right:>5}/{total:<6} ({total_right / total:.1%})")
    if wrong:
        print("where the XML and the page differ:")
        print("\n".join(wrong))
    return {"outcomes": dict(outcomes), "right": total_right, "labelled": total}


if __name__ == "__main__":
    main()
    sys.exit(0)
