"""A year of activity for the demo dossiers BOULANGERIE and FLEURISTE (``manage.py demo_data``).

Every document goes the way a real one goes: received through ``document_receive`` (sha256,
file checks, events), processed and read by the same services the worker runs (here inline, so
the facts are there when the command ends), sent, retrieved, booked, rejected or shared by the
services behind the pages. Then its moments are moved back to the day it would have happened,
so that View's months, quarters and waiting times read like a year of work ending today.

Idempotent: a dossier that already holds documents is left alone (a second run, on any day,
changes nothing). Deterministic: the amounts and choices come from a fixed seed; only the dates
follow today.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from connect import demo_files as files
from connect.collaboration.document_requests.services import request_create
from connect.collaboration.messages.services import message_post, thread_create
from connect.collaboration.todos.services import deadlines_generate, task_complete, task_create
from connect.demo_files import InvoiceFacts, Party
from connect.documents.services import (
    binders_ensure,
    document_book,
    document_receive,
    document_reject,
    document_retrieved,
    document_share,
    documents_send,
)
from connect.documents.services.pipeline import document_recognise
from connect.documents.services.processing import document_process
from connect.models import (
    Binder,
    BuiltinBinder,
    Category,
    CreditUse,
    Document,
    DocumentEvent,
    EventKind,
    Source,
    Status,
    Task,
)
from core.models import OutboundEmail
from dossiers.models import Dossier
from users.models import User

SEED = 20260101
MONTHS = 12


@dataclass
class Seeded:
    """What one run added, per dossier code (nothing for a dossier left alone)."""

    documents: dict[str, int] = field(default_factory=dict)


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


def _months(today: date) -> list[date]:
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
    for n, first in enumerate(_months(today)):
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
    for n, first in enumerate(_months(today)):
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


# --- doing it ----------------------------------------------------------------------------------


def _moment(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def _client_of(dossier: Dossier) -> User:
    from dossiers.models import DossierAccess, Role

    access = DossierAccess.objects.filter(dossier=dossier, role=Role.CONNECT_ENTREPRENEUR).first()
    if access is None:
        raise ValueError(f"the demo dossier {dossier.code} has no client")
    return access.user


def _backdate(document: Document, when: dict[str, datetime | None]) -> None:
    """Move the document's moments (and its events', its credit's) to the days they belong to."""
    received, sent = when["received"], when["sent"]
    fields = {"uploaded_at": received, "processing_queued_at": received, "processed_at": received}
    if sent is not None:
        fields |= {"sent_at": sent, "recognition_queued_at": sent}
        if document.ready_at is not None:
            fields["ready_at"] = sent + timedelta(minutes=2)
        if document.recognition_started_at is not None:
            fields["recognition_started_at"] = sent + timedelta(minutes=1)
    for name in ("retrieved_at", "booked_at"):
        if when.get(name) is not None:
            fields[name] = when[name]
    Document.objects.filter(pk=document.pk).update(**fields)
    by_kind = {
        EventKind.RECEIVED: received,
        EventKind.SENT: sent,
        EventKind.RECOGNISED: sent and sent + timedelta(minutes=1),
        EventKind.RETRIEVED: when.get("retrieved_at"),
        EventKind.BOOKED: when.get("booked_at"),
        EventKind.REJECTED: when.get("rejected_at"),
    }
    for kind, moment in by_kind.items():
        if moment is not None:
            DocumentEvent.objects.filter(document=document, kind=kind).update(created_at=moment)
    if sent is not None:
        CreditUse.objects.filter(document=document).update(created_at=sent + timedelta(minutes=1))


def _carry_out(
    planned: Planned, *, dossier: Dossier, client: User, accountant: User, rng: random.Random
) -> Document:
    # Never in the future, when the demo is loaded early in the morning.
    latest = timezone.now() - timedelta(minutes=90)
    received = min(_moment(planned.sent, rng.randint(7, 11), rng.randint(0, 59)), latest)
    result = document_receive(
        dossier=dossier,
        actor=None if planned.source in (Source.EMAIL, Source.PEPPOL) else client,
        filename=planned.filename,
        chunks=[planned.content],
        source=planned.source,
        category=planned.category,
        amount=planned.amount,
        due_date=planned.due,
        paid=planned.paid,
        comment=planned.comment,
    )
    document = result.document
    document_process(document_id=document.pk)
    document.refresh_from_db()
    when: dict[str, datetime | None] = {"received": received, "sent": None}
    if planned.state != "draft":
        if document.status == Status.DRAFT:
            documents_send(actor=client, dossier=dossier, documents=[document])
        document_recognise(document_id=document.pk)
        document.refresh_from_db()
        when["sent"] = received + timedelta(minutes=rng.randint(1, 50))
    now = timezone.now()
    if planned.state in ("retrieved", "booked"):
        document_retrieved(actor=accountant, document=document)
        when["retrieved_at"] = min(
            _moment(planned.sent + timedelta(days=rng.randint(1, 5)), rng.randint(8, 17)), now
        )
    if planned.state == "booked":
        retrieved = when["retrieved_at"]
        assert retrieved is not None  # noqa: S101 - set just above
        document_book(
            actor=accountant,
            document=document,
            booking_number=f"{'VEN' if planned.category == Category.SALES_INVOICE else 'ACH'}"
            f"-{planned.sent:%Y}-{document.pk:05d}",
        )
        when["booked_at"] = min(retrieved + timedelta(days=rng.randint(2, 12)), now)
    if planned.state == "rejected":
        document_reject(actor=accountant, document=document, reason=planned.reason)
        sent = when["sent"]
        when["rejected_at"] = sent and min(sent + timedelta(days=1, hours=3), now)
    _backdate(document, when)
    document.refresh_from_db()
    return document


def _share(dossier: Dossier, accountant: User, client: Party, today: date) -> None:
    """What the accountant puts into the client's binders: bank statements and payslips."""
    binders = {b.builtin: b for b in binders_ensure(dossier=dossier)}
    months = _months(today)[-4:-1]
    shared: list[tuple[Binder, str, bytes, date]] = []
    for month in months:
        lines: list[files.Line] = [
            (f"{month:%d/%m}  Solde initial", files.amount_text(Decimal("12480.35"))),
            (f"{month + timedelta(days=4):%d/%m}  Virement fournisseur", "-1.245,80"),
            (f"{month + timedelta(days=9):%d/%m}  Ventes Bancontact", "8.912,40"),
        ]
        statement = files.statement_pdf(
            bank="Banque Démo", holder=client.name, iban=client.iban, month=month, lines=lines
        )
        shared.append(
            (binders[BuiltinBinder.BANK_STATEMENTS], f"Extrait {month:%Y-%m}.pdf", statement, month)
        )
        payslip = files.payslip_pdf(
            employer=client.name, employee="Julie Martin", month=month, gross=Decimal("2850.00")
        )
        shared.append(
            (binders[BuiltinBinder.PAYSLIPS], f"Fiche de paie {month:%Y-%m}.pdf", payslip, month)
        )
    for binder, name, content, month in shared:
        result = document_share(
            actor=accountant, dossier=dossier, binder=binder, filename=name, chunks=[content]
        )
        moment = min(
            _moment(_months(today)[_months(today).index(month) + 1] + timedelta(days=2), 9),
            timezone.now() - timedelta(hours=2),
        )
        Document.objects.filter(pk=result.document.pk).update(
            uploaded_at=moment, processed_at=moment
        )
        DocumentEvent.objects.filter(document=result.document).update(created_at=moment)
        document_process(document_id=result.document.pk)


def _collaborate(
    dossier: Dossier, accountant: User, client: User, today: date, about: Document | None
) -> None:
    """The fiscal deadlines of last year and this one (those past done), a task of the client,
    a document request and a conversation."""
    for year in (today.year - 1, today.year):
        deadlines_generate(actor=accountant, dossier=dossier, year=year, vat="quarterly")
    for task in Task.objects.filter(dossier=dossier, due_date__lt=today):
        task_complete(actor=accountant, task=task)
        Task.objects.filter(pk=task.pk).update(
            done_at=_moment(task.due_date - timedelta(days=3), 16)
        )
    task_create(
        actor=client,
        dossier=dossier,
        title="Rassembler les tickets de caisse du mois",
        due_date=today + timedelta(days=5),
        description="Photographier les tickets et les envoyer depuis le téléphone.",
        assignee=client,
    )
    previous = _months(today)[-2]
    request_create(
        actor=accountant,
        dossier=dossier,
        description="Les extraits de la carte de crédit professionnelle",
        period=f"{previous:%m/%Y}",
        due_date=today + timedelta(days=10),
    )
    thread = thread_create(
        actor=accountant,
        dossier=dossier,
        subject="",
        body="Bonjour, cette facture compte une livraison de plus que le bon signé. "
        "Le fournisseur vous envoie-t-il une note de crédit ?",
        document=about,
    )
    message_post(
        actor=client,
        thread=thread,
        body="Bonjour, oui : il me l'a promise pour cette semaine, je vous l'envoie dès réception.",
    )
    message_post(actor=accountant, thread=thread, body="Merci, je la comptabiliserai avec elle.")


PLANS: dict[str, tuple[Callable[[date], list[Planned]], Party]] = {
    "BOULANGERIE": (_boulangerie_plan, BOULANGERIE),
    "FLEURISTE": (_fleuriste_plan, FLEURISTE),
}


def demo_activity_load(*, today: date | None = None) -> Seeded:
    """Seed the year of activity ending ``today`` of each demo dossier that holds no document
    yet (call inside the transaction that loaded the demo's firms, users and dossiers)."""
    today = today or timezone.localdate()
    seeded = Seeded()
    last_mail = OutboundEmail.objects.aggregate(last=Max("pk"))["last"] or 0
    for code, (plan_for, party) in PLANS.items():
        dossier = Dossier.objects.filter(code=code).select_related("accountant").first()
        if dossier is None or dossier.accountant is None:
            continue
        if Document.objects.filter(dossier=dossier).exists():
            continue  # seeded before (or in use): never twice
        client, accountant = _client_of(dossier), dossier.accountant
        rng = random.Random(f"{SEED}-{code}")  # noqa: S311 - demo figures, not secrets
        documents = [
            _carry_out(p, dossier=dossier, client=client, accountant=accountant, rng=rng)
            for p in plan_for(today)
        ]
        _share(dossier, accountant, party, today)
        about = next(
            (d for d in reversed(documents) if d.status == Status.RETRIEVED and not d.is_ubl),
            None,
        )
        _collaborate(dossier, accountant, client, today, about)
        seeded.documents[code] = Document.objects.filter(dossier=dossier).count()
    # The e-mails these past events would have sent (rejections, shares, the request, the
    # messages) are not sent today: they would tell of things that happened long ago.
    OutboundEmail.objects.filter(pk__gt=last_mail).delete()
    return seeded
