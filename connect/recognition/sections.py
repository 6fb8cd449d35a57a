"""Pages laid out as forms with section headings ("Verkäufer" / "Name: …", "Seller",
"Käufer/Leistungsempfänger"): the party a row belongs to, and the name a supplier section gives.
"""

import re

from .layout import Grid
from .values import Fact

# A heading alone on its row that opens a party's section.
_SUPPLIER_HEADING = re.compile(
    r"^(?:verkaufer|lieferant|rechnungssteller|leistungserbringer|seller|supplier|vendor"
    r"|fournisseur|vendeur|emetteur|prestataire|leverancier|verkoper)(?![a-z])"
)
_CUSTOMER_HEADING = re.compile(
    r"^(?:kaufer|kunde|rechnungsempfanger|leistungsempfanger|warenempfanger|empfanger|besteller"
    r"|buyer|customer|client|acheteur|destinataire|klant|koper|afnemer|abweichend\w*)(?![a-z])"
)
_NAME_FIELD = re.compile(
    r"^(?:name|firmenname|firma|nom|raison\ssociale|naam|bedrijfsnaam|company(?:\sname)?)\s?:"
)


def section_role(grid: Grid, row: int, *, rows: int = 12) -> str:
    """ "supplier" or "customer" when the nearest heading above `row` opens that party's
    section; "" when there is none, or another heading comes first."""
    for number in range(row - 1, max(row - rows, 0) - 1, -1):
        cells = grid.rows[number]
        if len(cells) != 1 or len(cells[0].text) > 40 or ":" in cells[0].text:
            continue
        heading = cells[0].folded.strip()
        if _SUPPLIER_HEADING.match(heading):
            return "supplier"
        if _CUSTOMER_HEADING.match(heading):
            return "customer"
        if not re.search(r"\d", heading) and cells[0].start <= _margin(grid, row):
            return ""  # another section ("Bemerkungen", "Zahlungsbedingungen")
    return ""


def _margin(grid: Grid, row: int) -> int:
    return grid.rows[row][0].start + 2 if grid.rows[row] else 0


def named_supplier(grid: Grid) -> Fact | None:
    """The value of a "Name:" field in the supplier's section."""
    for number, cells in enumerate(grid.rows):
        if not cells or not _NAME_FIELD.match(cells[0].folded):
            continue
        rest = cells[0].text.split(":", 1)[1].strip()
        value = rest or (cells[1].text.strip() if len(cells) > 1 else "")
        if 3 <= len(value) <= 60 and section_role(grid, number) == "supplier":
            return Fact(value, 0.85)
    return None
