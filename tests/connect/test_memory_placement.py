"""The supplier memory's pure part: learning where a corrected fact stood on an invoice and
reading it there on the next invoice of the same supplier (connect/recognition/memory.py)."""

import pytest

from connect.recognition.memory import BELOW, PAGE, RIGHT, Placement, apply, learn
from connect.recognition.words import Word

CHAR = 0.009  # the width of a character, as a fraction of the page
HEIGHT = 0.012


def page(rows: list[tuple[float, list[tuple[float, str]]]], *, page_number: int = 0) -> list[Word]:
    """Words from rows of (top, [(x, phrase), ...]): each phrase's words one space apart."""
    words = []
    for line, (top, cells) in enumerate(rows):
        for x, phrase in cells:
            for text in phrase.split():
                words.append(
                    Word(text, page_number, x, top, x + CHAR * len(text), top + HEIGHT, line)
                )
                x += CHAR * (len(text) + 1)
    return words


def invoice(number: str, total: str, date: str, *, items: int = 2) -> list[Word]:
    """A supplier whose layout the generic reader misses: "Ref. doc." for the number, "Saldo"
    for the total, the date under a header "Dagtekening"."""
    rows: list[tuple[float, list[tuple[float, str]]]] = [
        (0.05, [(0.08, "Drukkerij Peeters BV")]),
        (0.07, [(0.08, "BTW BE0403.170.701")]),
        (0.15, [(0.55, "Ref. doc.: " + number)]),
        (0.20, [(0.08, "Klantnr."), (0.55, "Dagtekening")]),
        (0.22, [(0.08, "4711"), (0.55, date)]),
    ]
    top = 0.30
    for index in range(items):
        rows.append((top, [(0.08, f"Drukwerk {index + 1}"), (0.80, "100,00")]))
        top += 0.02
    rows.append((top + 0.04, [(0.55, "Saldo"), (0.80, total)]))
    rows.append((top + 0.10, [(0.08, "Gelieve te betalen binnen 30 dagen")]))
    return page(rows)


@pytest.mark.parametrize(
    ("fact", "value", "label", "relation"),
    [
        ("invoice_number", "DP-2026-117", "Ref. doc.:", RIGHT),
        ("total_incl_vat", "1234.56", "Saldo", RIGHT),
        ("issue_date", "2026-03-14", "Dagtekening", BELOW),
        ("supplier_name", "Drukkerij Peeters BV", "", PAGE),
    ],
)
def test_a_fact_is_learned_with_its_label_and_read_again_on_the_next_invoice(
    fact: str, value: str, label: str, relation: str
) -> None:
    first = invoice("DP-2026-117", "1.234,56 €", "14/03/2026")
    placement = learn(first, fact, value)
    assert placement is not None
    assert (placement.label, placement.relation) == (label, relation)
    # The next invoice: other values, a longer list of items (the totals move down).
    second = invoice("DP-2026-305", "12.034,00 €", "2 april 2026", items=6)
    expected = {
        "invoice_number": "DP-2026-305",
        "total_incl_vat": "12034.00",
        "issue_date": "2026-04-02",
        "supplier_name": "Drukkerij Peeters BV",
    }[fact]
    # The totals moved down by four rows: found by their label, not by their place.
    assert apply(second, [placement])[fact].value == expected


def test_the_placement_carries_its_confidence_and_nothing_is_guessed() -> None:
    first = invoice("DP-2026-117", "1.234,56 €", "14/03/2026")
    placement = learn(first, "invoice_number", "DP-2026-117")
    assert placement is not None
    sure = Placement(**{**placement.__dict__, "confidence": 0.67})
    assert apply(first, [sure])["invoice_number"].confidence == 0.67
    # Another supplier's page, without the label: no fact at all.
    other = page([(0.1, [(0.1, "Invoice number: 42-77")])])
    assert apply(other, [sure]) == {}
    # A value the page does not print is not learned.
    assert learn(first, "invoice_number", "NOT-THERE-1") is None
    assert learn([], "invoice_number", "DP-2026-117") is None


def test_a_label_ends_at_a_digit_and_a_sentence_ranks_after_a_cell() -> None:
    # "Facture 2026-001 du 12/03/2026": the label of the date is "du", not the number.
    words = page(
        [
            (0.10, [(0.1, "Facture 2026-001 du 12/03/2026")]),
            (0.50, [(0.1, "Merci de verser 99,00 sur notre compte")]),
            (0.40, [(0.5, "A régler"), (0.8, "99,00")]),
        ]
    )
    date = learn(words, "issue_date", "2026-03-12")
    assert date is not None and date.label == "du"
    total = learn(words, "payable_amount", "99.00")
    assert total is not None and total.label == "A régler"


def test_the_same_place_allows_a_small_move() -> None:
    first = learn(invoice("A-1", "10,00", "01/01/2026"), "total_incl_vat", "10.00")
    second = learn(invoice("A-2", "20,00", "02/01/2026", items=5), "total_incl_vat", "20.00")
    assert first is not None and second is not None
    assert first.same_place(second)  # the label moved down with the items, the value with it
    other = learn(invoice("A-1", "10,00", "01/01/2026"), "invoice_number", "A-1")
    assert other is not None and not first.same_place(other)
