"""View: the documents and waiting-times reports, both drawn from one read (``document_flow``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import (
    Count,
    DateField,
    F,
    Q,
)
from django.db.models.functions import (
    Coalesce,
    TruncMonth,
)
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from connect.documents.selectors import left_the_desk
from connect.models import Source, Status
from dossiers.models import Dossier
from view.period import Period
from view.queries.common import (
    as_date,
)

WAITING_BUCKETS: tuple[tuple[str, str | Promise, timedelta | None], ...] = (
    ("day", _("Less than a day"), timedelta(days=1)),
    ("3days", _("1 to 3 days"), timedelta(days=3)),
    ("week", _("3 to 7 days"), timedelta(days=7)),
    ("month", _("7 to 30 days"), timedelta(days=30)),
    ("longer", _("More than 30 days"), None),
)
WAITING_KEYS = [key for key, _label, _upper in WAITING_BUCKETS] + ["waiting"]
STEPS = ("retrieval", "booking")


def document_flow(dossier: Dossier, period: Period) -> list[dict[str, Any]]:
    """The one query behind two reports: documents that left the desk (or were shared by the
    accountant) per month of sending, category and channel, each group with its waiting-time
    counts. A document waits between sending and retrieval (or booking, for one booked without
    being retrieved) and between sending and booking; rejected and shared documents do not
    wait. The ``*_waiting`` counts are those not retrieved or booked yet."""
    start, end = period.moments()
    waits = ~Q(status__in=(Status.REJECTED, Status.SHARED)) & ~Q(source=Source.SHARED)
    waits &= Q(sent_at__isnull=False)
    counts: dict[str, Any] = {}
    for step, moment in (("retrieval", "taken"), ("booking", "booked_at")):
        lower: timedelta | None = None
        for key, _label, upper in WAITING_BUCKETS:
            condition = waits & Q(**{f"{moment}__isnull": False})
            if lower is not None:
                condition &= Q(**{f"{moment}__gte": F("sent_at") + lower})
            if upper is not None:
                condition &= Q(**{f"{moment}__lt": F("sent_at") + upper})
            counts[f"{step}_{key}"] = Count("id", filter=condition)
            lower = upper
        counts[f"{step}_waiting"] = Count("id", filter=waits & Q(**{f"{moment}__isnull": True}))
    rows = (
        left_the_desk(dossier)
        .alias(
            moment=Coalesce("sent_at", "uploaded_at"),
            taken=Coalesce("retrieved_at", "booked_at"),
        )
        .filter(moment__gte=start, moment__lt=end)
        .annotate(month=TruncMonth("moment", output_field=DateField()))
        .values("month", "category", "source")
        .annotate(documents=Count("id"), **counts)
        .order_by("month", "category", "source")
    )
    return [{**row, "month": as_date(row["month"])} for row in rows]


def documents(
    dossier: Dossier, period: Period, flow: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Documents per month of sending, category and channel (from ``document_flow``)."""
    flow = document_flow(dossier, period) if flow is None else flow
    return [
        {
            "month": row["month"],
            "category": row["category"],
            "channel": row["source"],
            "documents": row["documents"],
        }
        for row in flow
    ]


def waiting(
    dossier: Dossier, period: Period, flow: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Documents sent in the period by how long they waited until retrieval and until
    booking, one row per bucket and a last one for those still waiting."""
    flow = document_flow(dossier, period) if flow is None else flow
    if not any(row[f"{step}_{key}"] for row in flow for step in STEPS for key in WAITING_KEYS):
        return []
    return [
        {
            "bucket": key,
            "retrieval": sum(row[f"retrieval_{key}"] for row in flow),
            "booking": sum(row[f"booking_{key}"] for row in flow),
        }
        for key in WAITING_KEYS
    ]
