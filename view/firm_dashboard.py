"""Reads of View's firm side: the accountant's dashboard across their dossiers, and the report
switches of a dossier or of a whole firm.

Every figure is an aggregate computed by the database (grouped counts, minimums, maximums):
the number of queries does not grow with the number of dossiers or documents. The two lists of
dossiers show the ``ROWS_SHOWN`` most urgent rows unless all are asked for, so that the page of
an accountant of 200 dossiers costs about what the page of 10 costs (docs/decisions.md).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS
from django.db.models import (
    Count,
    DateTimeField,
    Min,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, TruncMonth
from django.urls import reverse
from django.utils import timezone

from connect.documents.selectors import NEW_DOCUMENT, accountant_dossiers_for
from connect.models import ConnectProfile, CreditUse, Document, Recognition, Source, Status
from core.lookups import get_or_404
from core.models import AuditAction, AuditEvent
from dossiers.models import Dossier, Firm, ProcessingMode, Role
from dossiers.selectors import dossier_staff_list_for, firm_staff_list_for
from users.models import User
from view.models import ReportSwitch

M = TypeVar("M", bound=Model)

#: "No upload for N days": the default and the accepted range.
QUIET_DAYS_DEFAULT = 30
QUIET_DAYS_MIN = 1
QUIET_DAYS_MAX = 365
#: Months of credit use shown, the current one included.
CREDIT_MONTHS = 12
#: Rows of each list of dossiers (waiting, quiet) shown unless all are asked for.
ROWS_SHOWN = 25

#: Statuses of a document that waits on the firm's side (sent, and validated if asked).
_WAITING_STATUSES = (Status.SENT, Status.VALIDATED)
#: Statuses of a document that left the client's desk (a draft is the client's own business).
_RECEIVED_STATUSES = (
    Status.SENT,
    Status.VALIDATED,
    Status.RETRIEVED,
    Status.BOOKED,
    Status.REJECTED,
)


def waiting_groups() -> dict[str, Q]:
    """The three groups of documents waiting for the firm; they never overlap. A sent document
    with no ``ready_at`` in a dossier without pre-validation is still being read by the
    machine: it waits for no one at the firm and is in no group."""
    pre_validation = ConnectProfile.objects.filter(pre_validation=True).values("dossier_id")
    return {
        # Ready for retrieval (among the waiting documents, all that are ready).
        "new": NEW_DOCUMENT,
        # connect.documents.services.pipeline.pipeline_start: held until the accountant validates.
        "to_validate": Q(ready_at__isnull=True, status=Status.SENT, dossier_id__in=pre_validation)
        & ~Q(recognition=Recognition.REVIEW),
        # Optimum: the reading was not confident, a person checks it before delivery.
        "to_review": Q(ready_at__isnull=True, recognition=Recognition.REVIEW),
    }


def waiting_q() -> Q:
    """Any of the three groups."""
    groups = list(waiting_groups().values())
    condition = groups[0]
    for group in groups[1:]:
        condition |= group
    return condition


def _waiting_documents() -> QuerySet[Document]:
    """Documents sent (or validated) by clients, not shared by the firm."""
    return Document.objects.filter(status__in=_WAITING_STATUSES).exclude(source=Source.SHARED)


# --- the accountant's dashboard -------------------------------------------------------------


@dataclass
class OldestDocument:
    public_id: uuid.UUID
    filename: str
    sent_at: datetime | None
    url: str


@dataclass
class DossierRow:
    dossier: Dossier
    inbox_url: str
    new: int = 0
    to_validate: int = 0
    to_review: int = 0
    oldest: OldestDocument | None = None

    @property
    def waiting(self) -> int:
        return self.new + self.to_validate + self.to_review


@dataclass
class QuietDossier:
    dossier: Dossier
    last_upload: datetime | None
    inbox_url: str


@dataclass
class CreditMonth:
    month: date
    counts: list[int]
    total: int


@dataclass
class FirmCredits:
    firm: Firm
    modes: list[tuple[str, str]]  # (mode, label)
    months: list[CreditMonth]
    remaining: list[tuple[str, int]]  # (label, credits) of the cartouches that use credits
    total: int = 0


#: The groups of ``waiting_groups``, in their order.
GROUPS = ("new", "to_validate", "to_review")


def _no_totals() -> dict[str, int]:
    return dict.fromkeys(GROUPS, 0)


@dataclass
class FirmDashboard:
    """``dossiers`` and ``quiet`` are the rows shown: the first ``ROWS_SHOWN`` of
    ``dossier_count`` and ``quiet_count`` unless all were asked for. ``totals`` counts the
    documents waiting in every dossier, shown or not."""

    dossiers: list[DossierRow]
    quiet: list[QuietDossier]
    quiet_days: int
    credits: list[FirmCredits] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=_no_totals)
    dossier_count: int = 0
    quiet_count: int = 0

    @property
    def more_dossiers(self) -> bool:
        return self.dossier_count > len(self.dossiers)

    @property
    def more_quiet(self) -> bool:
        return self.quiet_count > len(self.quiet)

    @property
    def is_empty(self) -> bool:
        return not self.dossiers and not self.credits


def _partial(model: type[M], **values: Any) -> M:
    """A ``model`` instance of the named fields read with others, as ``only()`` makes them: a
    field not named is deferred (read if ever asked for)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names])


def _url_maker(name: str, kwarg: str) -> Callable[[uuid.UUID], str]:
    """The URL named ``name`` of any public id, reversed once (a page of 50 rows does not
    resolve the same pattern 50 times)."""
    placeholder = str(uuid.UUID(int=0))
    head, tail = reverse(name, kwargs={kwarg: placeholder}).split(placeholder)
    return lambda public_id: f"{head}{public_id}{tail}"


def _inbox_url_maker() -> Callable[[Dossier], str]:
    """The accountant's inbox filtered on one dossier, for any dossier."""
    inbox = reverse("connect:inbox")
    return lambda dossier: f"{inbox}?dossier={dossier.public_id}"


def _groups(documents: QuerySet[Document]) -> QuerySet[Any]:
    """Per dossier: the documents in each group and the oldest sending time among them. One
    grouped scan of the waiting documents (sent or validated, not shared: what the retrieval
    queue's partial index holds), so that documents long gone through (retrieved, booked) need
    never be read."""
    groups = waiting_groups()
    return (
        documents.filter(waiting_q())
        .values("dossier_id")
        .annotate(
            oldest=Min("sent_at"),
            **{name: Count("id", filter=condition) for name, condition in groups.items()},
        )
        .order_by()
    )


#: Stands for "never" in the last upload computed by the database (GREATEST and SQLite's MAX
#: of several values answer NULL as soon as one is NULL): older than any document.
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def _last_received() -> Greatest:
    """A dossier's last upload among the documents it sent (not the drafts on its desk, not
    what the firm shared), ``_NEVER`` if none: the newest of each received status, each one
    step of the desk's index (dossier, status, uploaded_at), so that however long a dossier's
    history, none of it is read."""
    newest = [
        Coalesce(
            Subquery(
                Document.objects.filter(dossier=OuterRef("pk"), status=status)
                .exclude(source=Source.SHARED)
                .order_by("-uploaded_at")
                .values("uploaded_at")[:1]
            ),
            Value(_NEVER, output_field=DateTimeField()),
        )
        for status in _RECEIVED_STATUSES
    ]
    return Greatest(*newest)


@dataclass
class _Lists:
    """The rows shown of both lists, how many rows each has in all, and the documents waiting
    in every dossier per group."""

    waiting: list[DossierRow]
    count: int
    totals: dict[str, int]
    quiet: list[QuietDossier]
    quiet_count: int


def _dossier_lists(actor: User, quiet_days: int, limit: int | None) -> _Lists:
    """The actor's dossiers (as accountant): the longest wait first, then those with nothing
    waiting by code; and those from which no document was received for ``quiet_days`` days,
    never heard of first, then the longest silence. Every dossier's code, last upload and
    waiting counts are read in two queries, with what the rows show of them; the oldest
    waiting documents of the dossiers shown (the first ``limit`` of each list, all with None)
    in one more."""
    mine = accountant_dossiers_for(actor=actor)
    # Every dossier's code and last upload, and what a row shows of it (read with them: the
    # dossiers shown need no query of their own).
    facts: dict[int, tuple[str, datetime]] = {}
    shows: dict[int, tuple[Any, ...]] = {}
    for pk, code, last, public_id, name, firm_id, firm_name in mine.annotate(
        last_upload=_last_received()
    ).values_list("id", "code", "last_upload", "public_id", "name", "firm_id", "firm__name"):
        facts[pk] = (code, last)
        shows[pk] = (public_id, name, firm_id, firm_name)
    if not facts:
        return _Lists(waiting=[], count=0, totals=_no_totals(), quiet=[], quiet_count=0)
    # The ids themselves, not a subquery: the index scans start at each dossier (a subquery
    # lets the planner read every firm's waiting documents and keep those of the dossiers).
    waiting = _waiting_documents().filter(dossier_id__in=list(facts))
    counts: dict[tuple[int, str], int] = {}
    totals = _no_totals()
    oldest_sent: dict[int, datetime] = {}
    for row in _groups(waiting):
        for group in totals:
            counts[(row["dossier_id"], group)] = row[group]
            totals[group] += row[group]
        if row["oldest"] is not None:
            oldest_sent[row["dossier_id"]] = row["oldest"]
    order = sorted(
        facts,
        key=lambda pk: (
            (0, oldest_sent[pk], facts[pk][0]) if pk in oldest_sent else (1, facts[pk][0])
        ),
    )
    since = timezone.now() - timedelta(days=quiet_days)
    silent = sorted(
        (pk for pk, (_code, last) in facts.items() if last < since),
        key=lambda pk: (facts[pk][1], facts[pk][0]),
    )
    shown, shown_quiet = (order, silent) if limit is None else (order[:limit], silent[:limit])
    firms: dict[int, Firm] = {}
    dossiers: dict[int, Dossier] = {}
    for pk in {*shown, *shown_quiet}:
        public_id, name, firm_id, firm_name = shows[pk]
        if firm_id not in firms:
            firms[firm_id] = _partial(Firm, id=firm_id, name=firm_name)
        dossier = _partial(
            Dossier, id=pk, public_id=public_id, code=facts[pk][0], name=name, firm_id=firm_id
        )
        dossier.firm = firms[firm_id]
        dossiers[pk] = dossier
    inbox_url, document_url = _inbox_url_maker(), _url_maker("connect:document", "document_id")
    # The oldest waiting document of each dossier shown: among the few sent at those times.
    oldest: dict[int, OldestDocument] = {}
    times = {oldest_sent[pk] for pk in shown if pk in oldest_sent}
    if times:
        candidates = (
            waiting.filter(waiting_q(), dossier_id__in=[pk for pk in shown if pk in oldest_sent])
            .filter(sent_at__in=times)
            .order_by("sent_at", "id")
            .values_list("dossier_id", "public_id", "filename", "sent_at")
        )
        for dossier_id, public_id, filename, sent_at in candidates:
            if dossier_id not in oldest and oldest_sent.get(dossier_id) == sent_at:
                oldest[dossier_id] = OldestDocument(
                    public_id, filename, sent_at, document_url(public_id)
                )
    rows = [
        DossierRow(
            dossier=dossiers[pk],
            inbox_url=inbox_url(dossiers[pk]),
            new=counts.get((pk, "new"), 0),
            to_validate=counts.get((pk, "to_validate"), 0),
            to_review=counts.get((pk, "to_review"), 0),
            oldest=oldest.get(pk),
        )
        for pk in shown
    ]
    quiet = [
        QuietDossier(
            dossier=dossiers[pk],
            last_upload=None if facts[pk][1] == _NEVER else facts[pk][1],
            inbox_url=inbox_url(dossiers[pk]),
        )
        for pk in shown_quiet
    ]
    return _Lists(
        waiting=rows, count=len(facts), totals=totals, quiet=quiet, quiet_count=len(silent)
    )


def credit_months(today: date) -> list[date]:
    """The first days of the last ``CREDIT_MONTHS`` months, newest first."""
    months = []
    year, month = today.year, today.month
    for _ in range(CREDIT_MONTHS):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def _credits(actor: User) -> list[FirmCredits]:
    """Credits used per month and mode, and credits left, of the firms where the actor is
    staff."""
    # The firms and their cartouches in one read (a firm without any has one row of NULLs).
    firms: dict[int, Firm] = {}
    cartouches: dict[int, list[tuple[str, int]]] = {}
    for pk, public_id, name, mode, credits in (
        firm_staff_list_for(actor=actor)
        .values_list("id", "public_id", "name", "cartouches__mode", "cartouches__credits")
        .order_by("name", "id")
    ):
        if pk not in firms:
            firms[pk] = _partial(Firm, id=pk, public_id=public_id, name=name)
        if mode is not None:
            cartouches.setdefault(pk, []).append((mode, credits))
    if not firms:
        return []
    months = credit_months(timezone.localdate())
    start = timezone.make_aware(datetime.combine(months[-1], datetime.min.time()))
    used: dict[tuple[int, date, str], int] = {}
    for row in (
        CreditUse.objects.filter(firm_id__in=list(firms), created_at__gte=start)
        .annotate(month=TruncMonth("created_at"))
        .values("firm_id", "month", "mode")
        .annotate(count=Count("id"))
        .order_by()
    ):
        month = row["month"]
        month = timezone.localtime(month).date() if isinstance(month, datetime) else month
        used[(row["firm_id"], month, row["mode"])] = row["count"]
    labels = dict(ProcessingMode.choices)
    order = {mode: i for i, mode in enumerate(ProcessingMode.values)}
    result = []
    for firm in firms.values():
        # The modes that use credits: those the licence holds, and any used in the period.
        held = sorted(
            (c for c in cartouches.get(firm.pk, []) if c[0] != ProcessingMode.TRANSPORT),
            key=lambda c: order.get(c[0], len(order)),
        )
        modes = [mode for mode, _credits in held]
        modes += sorted({mode for (f, _m, mode) in used if f == firm.pk} - set(modes))
        table = []
        for month in months:
            counts = [used.get((firm.pk, month, mode), 0) for mode in modes]
            table.append(CreditMonth(month=month, counts=counts, total=sum(counts)))
        result.append(
            FirmCredits(
                firm=firm,
                modes=[(mode, str(labels.get(mode, mode))) for mode in modes],
                months=table,
                remaining=[(str(labels.get(mode, mode)), credits) for mode, credits in held],
                total=sum(m.total for m in table),
            )
        )
    return result


def firm_dashboard_for(
    *, actor: User, quiet_days: int = QUIET_DAYS_DEFAULT, show_all: bool = False
) -> FirmDashboard:
    """The accountant's dashboard: documents waiting per dossier where the actor holds
    connect.accountant, the dossiers quiet for ``quiet_days`` days, and the credits of the
    firms where the actor is staff; each list of dossiers cut at ``ROWS_SHOWN`` rows unless
    ``show_all``. Never a document of a dossier the actor is not the accountant of; a constant
    number of queries."""
    if not actor.is_authenticated or not actor.is_active:
        return FirmDashboard(dossiers=[], quiet=[], quiet_days=quiet_days)
    lists = _dossier_lists(actor, quiet_days, None if show_all else ROWS_SHOWN)
    return FirmDashboard(
        dossiers=lists.waiting,
        quiet=lists.quiet,
        quiet_days=quiet_days,
        credits=_credits(actor),
        totals=lists.totals,
        dossier_count=lists.count,
        quiet_count=lists.quiet_count,
    )


# --- report switches ------------------------------------------------------------------------


def report_dossiers_for(*, actor: User) -> QuerySet[Dossier]:
    """Dossiers whose reports the actor may switch: view.admin of the dossier (in a firm they
    still belong to), or staff of its firm."""
    as_admin = Dossier.objects.with_role(actor, (Role.VIEW_ADMIN,)).values("id")
    as_staff = dossier_staff_list_for(actor=actor).values("id")
    return Dossier.objects.filter(Q(id__in=as_admin) | Q(id__in=as_staff)).select_related("firm")


def report_dossier_get_for(*, actor: User, public_id: object) -> Dossier:
    return get_or_404(report_dossiers_for(actor=actor), public_id)


def report_switches_off(*, firm: Firm, dossier: Dossier | None = None) -> set[str]:
    """Keys of the reports switched off for the dossier itself, or (no dossier) for the
    whole firm."""
    switches = ReportSwitch.objects.filter(firm=firm)
    switches = (
        switches.filter(dossier=dossier) if dossier is not None else switches.filter(dossier=None)
    )
    return set(switches.values_list("report", flat=True))


def report_dossier_switches(*, firm: Firm) -> list[tuple[Dossier, list[str]]]:
    """The firm's dossiers that switched reports off on their own, with those report keys."""
    dossiers: dict[int, Dossier] = {}
    keys: dict[int, list[str]] = {}
    for switch in (
        ReportSwitch.objects.filter(firm=firm, dossier__isnull=False)
        .select_related("dossier")
        .order_by("dossier__code", "report")
    ):
        if switch.dossier is not None:
            dossiers[switch.dossier.pk] = switch.dossier
            keys.setdefault(switch.dossier.pk, []).append(switch.report)
    return [(dossier, keys[pk]) for pk, dossier in dossiers.items()]


def report_history(
    *, firm: Firm, dossier: Dossier | None = None, limit: int = 20
) -> list[AuditEvent]:
    """The latest report switches of a dossier, or of the firm as a whole (no dossier)."""
    events = AuditEvent.objects.filter(firm=firm, action=AuditAction.REPORT_SWITCHED)
    events = events.filter(dossier=dossier) if dossier is not None else events.filter(dossier=None)
    return list(events.select_related("actor", "dossier")[:limit])
