"""A year of activity for the demo dossiers BOULANGERIE and FLEURISTE (``manage.py demo_data``).

Every document goes the way a real one goes: received through ``document_receive`` (sha256,
file checks, events), processed and read by the same services the worker runs (here inline, so
the facts are there when the command ends), sent, retrieved, booked, rejected or shared by the
services behind the pages. Then its moments are moved back to the day it would have happened,
so that View's months, quarters and waiting times read like a year of work ending today.

Idempotent: a dossier that already holds documents is left alone (a second run, on any day,
changes nothing). Deterministic: the amounts and choices come from a fixed seed; only the dates
follow today. The plans (who sends what, when) are in ``connect.demo_plans``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from connect import demo_files as files
from connect.collaboration.document_requests.services import request_create
from connect.collaboration.messages.services import message_post, thread_create
from connect.collaboration.todos.services import deadlines_generate, task_complete, task_create
from connect.demo_files import Party
from connect.demo_plans import PLANS, SEED, Planned, months_of
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
from dossiers.models import Dossier, DossierAccess, Role
from users.models import User


@dataclass
class Seeded:
    """What one run added, per dossier code (nothing for a dossier left alone)."""

    documents: dict[str, int] = field(default_factory=dict)


# --- doing it ----------------------------------------------------------------------------------


def _moment(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def _client_of(dossier: Dossier) -> User:
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
    months = months_of(today)[-4:-1]
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
            _moment(months_of(today)[months_of(today).index(month) + 1] + timedelta(days=2), 9),
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
    previous = months_of(today)[-2]
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
