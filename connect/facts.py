"""The facts read from an invoice: their keys, declared once here, and the kind of each.

Recognition reads them, the review queue corrects them, the pages label them and the API
returns them; all take the keys from here. This module imports nothing of the project, so
every part of Connect may import it.
"""

#: Each fact, in the order the pages and the API list them, with the kind of value it holds.
FACT_KINDS = {
    "supplier_name": "name",
    "supplier_vat": "vat",
    "invoice_number": "number",
    "issue_date": "date",
    "due_date": "date",
    "total_excl_vat": "amount",
    "total_vat": "amount",
    "total_incl_vat": "amount",
    "payable_amount": "amount",
    "currency": "currency",
    "iban": "iban",
    "structured_reference": "reference",
}
FACT_KEYS = tuple(FACT_KINDS)
#: The amounts (the totals, read together) and the dates.
AMOUNT_FACTS = tuple(key for key, kind in FACT_KINDS.items() if kind == "amount")
DATE_FACTS = tuple(key for key, kind in FACT_KINDS.items() if kind == "date")
