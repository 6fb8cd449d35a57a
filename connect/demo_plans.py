"""The demo dossiers' year of documents, planned (``connect.demo`` carries the plans out).

Who the demo dossiers BOULANGERIE and FLEURISTE trade with, and each dossier's plan: which
invoice, receipt or e-mail arrives on which day and where it stands today. Deterministic: the
amounts and choices come from a fixed seed; only the dates follow today.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from connect import demo_files as files
from connect.demo_files import InvoiceFacts, Party
from connect.models import Category, Source

SEED = 20260101
MONTHS = 12


# --- the cast --------------------------------------------------------------------------------

BOULANGERIE = Party(
    "Boulangerie Démo SRL", "Place du Marché 3", "1300 Wavre", "BE0403170701", "BE83363012345615"
)
FLEURISTE = Party(
    "Fleuriste Exemple SRL", "Rue des Roses 18", "4000 Liège", "BE0812345603", "BE22068223344547"
)
MEUNERIE = Party(
    "Meunerie Dupont SA", "Rue du Moulin 4", "5000 Namur", "BE0417123457", "BE21001234567803"
)
LAITERIE = Party(
    "Laiterie des Ardennes SRL",
    "Route de Bastogne 51",
    "6600 Bastogne",
    "BE0462001201",
    "BE74735009876507",
)
ENERGIE = Party(
    "Énergie Wallonne SA",
    "Boulevard Tirou 90",
    "6000 Charleroi",
    "BE0831556650",
    "BE71001773322169",
)
EMBALLAGES = Party(
    "Emballages Leroy SRL", "Zoning Nord 7", "7000 Mons", "BE0752331010", "BE93310055443367"
)
HOTEL = Party("Hôtel du Parc SA", "Avenue du Parc 2", "1300 Wavre", "BE0861224792")
CAFE = Party(
    "Torréfaction Liégeoise SRL",
    "Quai de la Batte 12",
    "4000 Liège",
    "BE0476890107",
    "BE21001234567803",
)
FOURNIL = Party(
    "Fournil Équipements SA",
    "Rue de l'Industrie 22",
    "1400 Nivelles",
    "BE0654123062",
    "BE74735009876507",
)
HORTICULTURE = Party(
    "Horticulture Van den Berg BV", "Veilingweg 3", "2800 Mechelen", "BE0442189346"
)
POTERIE = Party("Poterie Lambert SRL", "Rue des Potiers 9", "4500 Huy", "BE0417123457")
RESTAURANT = Party("Restaurant La Rose SRL", "Rue Féronstrée 40", "4000 Liège", "BE0462001201")


@dataclass(frozen=True)
class Planned:
    """One document of the year: what it is, when it was sent, where it stands today."""

    filename: str
    content: bytes
    category: str
    sent: date
    state: str  # draft, sent, retrieved, booked, rejected
    source: str = Source.WEB
    amount: Decimal | None = None  # typed by the client (Transport: nothing is read)
    due: date | None = None
    paid: bool = False
    comment: str = ""
    reason: str = ""


# --- the year --------------------------------------------------------------------------------


def months_of(today: date) -> list[date]:
    """The first day of this month and of the 11 before, oldest first."""
    firsts = []
    year, month = today.year, today.month
    for _ in range(MONTHS):
        firsts.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return firsts[::-1]


def _state(sent: date, today: date) -> str:
    """Older documents are booked, last month's retrieved, this fortnight's new."""
    age = (today - sent).days
    if age > 40:
        return "booked"
    if age > 12:
        return "retrieved"
    return "sent"


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def _invoice(
    rng: random.Random,
    *,
    seller: Party,
    buyer: Party,
    prefix: str,
    number: int,
    issued: date,
    lines: list[tuple[str, int, int]],
    rate: int,
) -> InvoiceFacts:
    return InvoiceFacts(
        seller=seller,
        buyer=buyer,
        number=f"{prefix}{issued.year}-{number:04d}",
        issued=issued,
        due=issued + timedelta(days=30),
        lines=tuple((label, _money(rng, low, high)) for label, low, high in lines),
        rate=Decimal(rate),
        reference=files.structured_reference(int(f"{issued:%Y%m%d}") * 100 + number % 100),
    )


def _sent_day(issued: date, rng: random.Random, today: date) -> date:
    return min(issued + timedelta(days=rng.randint(1, 4)), today)


def _boulangerie_plan(today: date) -> list[Planned]:
    rng = random.Random(SEED)  # noqa: S311 - demo figures, not secrets
    plan: list[Planned] = []
    for n, first in enumerate(months_of(today)):
        monthly = [
            (
                MEUNERIE,
                "FM",
                4,
                [("Farine T65 25 kg", 700, 900), ("Farine complète 25 kg", 180, 260)],
                6,
                "Farine",
            ),
            (
                LAITERIE,
                "LA",
                9,
                [("Beurre de laiterie 10 kg", 300, 420), ("Crème fraîche 5 l", 90, 140)],
                6,
                "Beurre et crème",
            ),
        ]
        if n % 3 == 0:
            monthly.append(
                (ENERGIE, "EW", 15, [("Électricité et gaz, acompte", 520, 680)], 21, "Énergie")
            )
        if n % 2 == 1:
            monthly.append(
                (
                    EMBALLAGES,
                    "EL",
                    20,
                    [("Sachets papier x 5000", 140, 190), ("Boîtes à gâteaux x 500", 90, 130)],
                    21,
                    "Emballages",
                )
            )
        for seller, prefix, day, lines, rate, keyword in monthly:
            issued = first + timedelta(days=day - 1)
            if issued > today - timedelta(days=2):
                continue
            facts = _invoice(
                rng,
                seller=seller,
                buyer=BOULANGERIE,
                prefix=prefix,
                number=100 + n,
                issued=issued,
                lines=lines,
                rate=rate,
            )
            sent = _sent_day(issued, rng, today)
            plan.append(
                Planned(
                    filename=f"{keyword} {facts.number}.pdf",
                    content=files.invoice_pdf(facts),
                    category=Category.PURCHASE_INVOICE,
                    sent=sent,
                    state=_state(sent, today),
                    source=Source.EMAIL if seller is ENERGIE else Source.WEB,
                    paid=(today - issued).days > 35,
                )
            )
        issued = first + timedelta(days=27)
        if issued <= today - timedelta(days=2):
            facts = _invoice(
                rng,
                seller=BOULANGERIE,
                buyer=HOTEL,
                prefix="V",
                number=1 + n,
                issued=issued,
                lines=[("Pains et viennoiseries, livraisons du mois", 1400, 2100)],
                rate=6,
            )
            sent = _sent_day(issued, rng, today)
            plan.append(
                Planned(
                    filename=f"Vente Hôtel du Parc {facts.number}.pdf",
                    content=files.invoice_pdf(facts),
                    category=Category.SALES_INVOICE,
                    sent=sent,
                    state=_state(sent, today),
                )
            )
    # The special ones of the last weeks: an e-invoice by Peppol, a Factur-X PDF, a receipt
    # photographed at the till, one the accountant sent back, two still on the desk.
    peppol = _invoice(
        rng,
        seller=FOURNIL,
        buyer=BOULANGERIE,
        prefix="FE",
        number=318,
        issued=today - timedelta(days=20),
        lines=[("Entretien du four", 1, 2)],
        rate=21,
    )
    plan.append(
        Planned(
            filename=f"{peppol.number}.xml",
            content=files.peppol_ubl("base-example.xml", peppol),
            category=Category.PURCHASE_INVOICE,
            sent=peppol.issued,
            state="retrieved",
            source=Source.PEPPOL,
        )
    )
    coffee = _invoice(
        rng,
        seller=CAFE,
        buyer=BOULANGERIE,
        prefix="TL",
        number=77,
        issued=today - timedelta(days=9),
        lines=[("Café en grains 6 kg", 95, 130), ("Location machine espresso", 45, 45)],
        rate=21,
    )
    plan.append(
        Planned(
            filename=f"Facture {coffee.number} (Factur-X).pdf",
            content=files.hybrid_pdf(coffee),
            category=Category.PURCHASE_INVOICE,
            sent=coffee.issued + timedelta(days=1),
            state="sent",
        )
    )
    plan.append(
        Planned(
            filename="Ticket Cash & Carry.jpg",
            content=files.receipt_jpeg(
                shop="Cash & Carry Wavre SA",
                address="Chaussee de Bruxelles 200, Wavre",
                vat="BE0442.189.346",
                number="0452-1187",
                when=today - timedelta(days=6),
                items=[
                    ("Sucre 10 kg", Decimal("14.90")),
                    ("Levure 500 g", Decimal("6.40")),
                    ("Sachets papier", Decimal("18.75")),
                ],
            ),
            category=Category.EXPENSE,
            sent=today - timedelta(days=6),
            state="sent",
            comment="Ticket de caisse, payé par Bancontact.",
            paid=True,
        )
    )
    rejected = _invoice(
        rng,
        seller=EMBALLAGES,
        buyer=BOULANGERIE,
        prefix="EL",
        number=240,
        issued=today - timedelta(days=16),
        lines=[("Boîtes à gâteaux x 500", 90, 130)],
        rate=21,
    )
    plan.append(
        Planned(
            filename=f"Emballages {rejected.number} (page 1).pdf",
            content=files.invoice_pdf(rejected),
            category=Category.PURCHASE_INVOICE,
            sent=rejected.issued + timedelta(days=2),
            state="rejected",
            reason="Il manque la deuxième page de la facture : renvoyez-la complète, merci.",
        )
    )
    for n, (seller, lines, keyword) in enumerate(
        (
            (MEUNERIE, [("Farine de seigle 25 kg", 150, 210)], "Farine"),
            (LAITERIE, [("Œufs frais x 360", 95, 120)], "Œufs"),
        )
    ):
        facts = _invoice(
            rng,
            seller=seller,
            buyer=BOULANGERIE,
            prefix="D",
            number=900 + n,
            issued=today - timedelta(days=1 + n),
            lines=lines,
            rate=6,
        )
        plan.append(
            Planned(
                filename=f"{keyword} {facts.number}.pdf",
                content=files.invoice_pdf(facts),
                category=Category.PURCHASE_INVOICE,
                sent=today,
                state="draft",
            )
        )
    return plan


def _fleuriste_plan(today: date) -> list[Planned]:
    """Transport: nothing is read, so the client types the amount and due date of each."""
    rng = random.Random(SEED + 1)  # noqa: S311 - demo figures, not secrets
    plan: list[Planned] = []
    for n, first in enumerate(months_of(today)):
        rows = [(HORTICULTURE, "VB", 6, "Fleurs coupées", 900, 1500, Category.PURCHASE_INVOICE)]
        if n % 2 == 0:
            rows.append((POTERIE, "PL", 12, "Pots et vases", 200, 420, Category.PURCHASE_INVOICE))
        rows.append((FLEURISTE, "F", 26, "Compositions", 700, 1300, Category.SALES_INVOICE))
        for seller, prefix, day, label, low, high, category in rows:
            issued = first + timedelta(days=day - 1)
            if issued > today - timedelta(days=2):
                continue
            buyer = RESTAURANT if category == Category.SALES_INVOICE else FLEURISTE
            facts = _invoice(
                rng,
                seller=seller,
                buyer=buyer,
                prefix=prefix,
                number=200 + n,
                issued=issued,
                lines=[(label, low, high)],
                rate=21 if seller is not HORTICULTURE else 6,
            )
            sent = _sent_day(issued, rng, today)
            plan.append(
                Planned(
                    filename=f"{label} {facts.number}.pdf",
                    content=files.invoice_pdf(facts),
                    category=category,
                    sent=sent,
                    state=_state(sent, today),
                    amount=facts.gross,
                    due=facts.due,
                    paid=(today - issued).days > 35,
                )
            )
    ubl = _invoice(
        rng,
        seller=HORTICULTURE,
        buyer=FLEURISTE,
        prefix="VB",
        number=777,
        issued=today - timedelta(days=5),
        lines=[("Plantes", 1, 2)],
        rate=21,
    )
    plan.append(
        Planned(
            filename=f"{ubl.number}.xml",
            content=files.peppol_ubl("Allowance-example.xml", ubl),
            category=Category.PURCHASE_INVOICE,
            sent=ubl.issued,
            state="sent",
            source=Source.PEPPOL,
        )
    )
    return plan


PLANS: dict[str, tuple[Callable[[date], list[Planned]], Party]] = {
    "BOULANGERIE": (_boulangerie_plan, BOULANGERIE),
    "FLEURISTE": (_fleuriste_plan, FLEURISTE),
}
