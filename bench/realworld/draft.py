"""`python -m bench.realworld.draft ID…`: a first ground truth for a new document of the set.

For a hybrid PDF (Factur-X, ZUGFeRD 1.0/2.x) the values come from its embedded CII XML; for
the others every fact is null. The draft is written to `truth/ID.json` only when none exists
(``--force`` to overwrite) with ``checked_by_eye: false``, and the pages are rendered to
`var/bench-cache/realworld/pages/ID-N.png` to be compared by eye: the ground truth is what is
printed on the page, which may differ from the XML. Set ``checked_by_eye`` once you have.
"""

import argparse
import json
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from bench.realworld import CACHE, TRUTH, Document, ensure, load_manifest
from connect.recognition import FACT_KEYS


def _first(root: Any, path: str) -> str | None:
    found = root.xpath(path)
    if not found:
        return None
    value = found[0] if isinstance(found[0], str) else found[0].text
    return value.strip() if value else None


def _date(value: str | None) -> str | None:
    if value and len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def from_cii(xml: bytes) -> dict[str, str | None]:
    """The facts of a CII invoice (ZUGFeRD 1.0 "CrossIndustryDocument" or 2.x/Factur-X
    "CrossIndustryInvoice"), by local names so that both generations read alike."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))

    def x(path: str) -> str | None:
        return _first(root, path)

    seller = "//*[local-name()='SellerTradeParty']"
    totals = (
        "//*[local-name()='SpecifiedTradeSettlementMonetarySummation' or "
        "local-name()='SpecifiedTradeSettlementHeaderMonetarySummation']"
    )
    currency = x("//*[local-name()='InvoiceCurrencyCode']")
    reference = x(
        "//*[local-name()='ApplicableHeaderTradeSettlement' or "
        "local-name()='ApplicableSupplyChainTradeSettlement']"
        "/*[local-name()='PaymentReference']"
    )
    return {
        "supplier_name": x(f"{seller}/*[local-name()='Name']"),
        "supplier_vat": x(
            f"{seller}/*[local-name()='SpecifiedTaxRegistration']/*[local-name()='ID']"
            "[@schemeID='VA']"
        ),
        "invoice_number": x(
            "//*[local-name()='ExchangedDocument' or local-name()='HeaderExchangedDocument']"
            "/*[local-name()='ID']"
        ),
        "issue_date": _date(
            x(
                "//*[local-name()='ExchangedDocument' or local-name()='HeaderExchangedDocument']"
                "/*[local-name()='IssueDateTime']/*"
            )
        ),
        "due_date": _date(
            x("//*[local-name()='SpecifiedTradePaymentTerms']/*[local-name()='DueDateDateTime']/*")
        ),
        "total_excl_vat": x(f"{totals}/*[local-name()='TaxBasisTotalAmount']"),
        # In a foreign currency the VAT is given twice: keep the invoice currency's.
        "total_vat": x(
            f"{totals}/*[local-name()='TaxTotalAmount']"
            f"[not(@currencyID) or @currencyID='{currency}']"
        ),
        "total_incl_vat": x(f"{totals}/*[local-name()='GrandTotalAmount']"),
        "payable_amount": x(f"{totals}/*[local-name()='DuePayableAmount']"),
        "currency": currency,
        "iban": x(
            "//*[local-name()='PayeePartyCreditorFinancialAccount']/*[local-name()='IBANID']"
        ),
        # Only a Belgian structured communication is a structured_reference.
        "structured_reference": reference if reference and reference.startswith("+++") else None,
    }


def draft(document: Document) -> dict[str, Any]:
    from facturx import get_xml_from_pdf

    facts: dict[str, str | None] = dict.fromkeys(FACT_KEYS)
    source = "none"
    if document.kind == "hybrid":
        _, xml = get_xml_from_pdf(document.path.read_bytes(), check_xsd=False)
        if xml:
            facts.update(from_cii(xml))
            source = "embedded CII XML, to be checked against the page"
    for key in ("supplier_vat", "iban"):
        if facts[key]:
            facts[key] = "".join(str(facts[key]).split()).upper()
    for key in ("total_excl_vat", "total_vat", "total_incl_vat", "payable_amount"):
        if facts[key]:
            facts[key] = f"{Decimal(str(facts[key])):.2f}"
    return {**facts, "checked_by_eye": False, "notes": f"drafted from {source}"}


def render(document: Document, dpi: int = 80) -> list[Path]:
    pages = CACHE / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    prefix = pages / document.id
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(document.path), str(prefix)],
        check=True,
        timeout=120,
    )
    return sorted(pages.glob(f"{document.id}-*.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="document ids (default: those with no truth yet)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing truth")
    args = parser.parse_args()
    documents = ensure(load_manifest())
    chosen = [
        d
        for d in documents
        if (d.id in args.ids) or (not args.ids and not (TRUTH / f"{d.id}.json").exists())
    ]
    TRUTH.mkdir(exist_ok=True)
    for document in chosen:
        target = TRUTH / f"{document.id}.json"
        if target.exists() and not args.force:
            print(f"{document.id}: truth exists (--force to overwrite)")
        else:
            target.write_text(json.dumps(draft(document), indent=2, ensure_ascii=False) + "\n")
            print(f"{document.id}: drafted {target.relative_to(TRUTH.parent)}")
        for page in render(document):
            print(f"  {page}")


if __name__ == "__main__":
    main()
