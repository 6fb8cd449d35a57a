"""View: the documents and waiting-times reports, both drawn from one read (``document_flow``).

A waiting time is kept as a histogram (``WAIT_EDGES``): counts of documents per span of time,
from a quarter of an hour to 90 days and more. The histograms of months and groups add up, so
the medians and the 90th percentiles of any period are read from the monthly summaries
(``view.summaries``) as well as from the documents, with the same answer; within a span the
time is interpolated (a median says "about 2.4 days", never more precisely than its span)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from connect.documents.selectors import left_the_desk
from connect.models import Source, Status
from dossiers.models import Dossier
from view.period import Period
from view.queries.common import dossier_pk, moment, prepared

_HOUR = 3600
#: Upper edges of the spans of a waiting-time histogram, in seconds; a last span holds the
#: longer waits. A quarter of an hour to 90 days: about one span per doubling, finer around
#: a working day and a week, where a firm's promises lie.
WAIT_EDGES: tuple[int, ...] = tuple(
    int(hours * _HOUR)
    for hours in (
        0.25,
        0.5,
        1,
        2,
        4,
        8,
        12,
        24,
        36,
        48,
        72,
        96,
        120,
        168,
        240,
        336,
        504,
        720,
        1080,
        1440,
        2160,
    )
)
SPANS = len(WAIT_EDGES) + 1
STEPS = ("retrieval", "booking")


def wait_span(seconds: float) -> int:
    """The histogram span of a wait (a negative wait, a clock's mistake, is the first)."""
    for index, edge in enumerate(WAIT_EDGES):
        if seconds < edge:
            return index
    return len(WAIT_EDGES)


def percentile(histogram: list[int], share: float) -> float | None:
    """The waiting time (seconds) under which ``share`` of the documents counted in
    ``histogram`` were taken: interpolated within its span; the last, open span answers its
    lower edge. None when nothing was counted."""
    total = sum(histogram)
    if not total:
        return None
    rank = share * total
    seen = 0
    for index, count in enumerate(histogram):
        if count and seen + count >= rank:
            low = WAIT_EDGES[index - 1] if index else 0
            if index >= len(WAIT_EDGES):
                return float(low)
            return low + (WAIT_EDGES[index] - low) * (rank - seen) / count
        seen += count
    return float(WAIT_EDGES[-1])


def _month(moment: datetime) -> date:
    return timezone.localtime(moment).date().replace(day=1)


def _query(dossier_id: int, period: Period) -> QuerySet[Any]:
    start, end = period.moments()
    return (
        left_the_desk(dossier_id)
        .annotate(when=moment())
        .filter(when__gte=start, when__lt=end)
        .values("when", "category", "source", "status", "sent_at", "retrieved_at", "booked_at")
    )


_READ = prepared(_query)


def document_flow(dossier: Dossier | int, period: Period) -> list[dict[str, Any]]:
    """The one read behind two reports: documents that left the desk (or were shared by the
    accountant) per month of sending, category and channel, each group with its waiting-time
    histograms. A document waits between sending and retrieval (or booking, for one booked
    without being retrieved) and between sending and booking; rejected and shared documents do
    not wait. ``*_waiting`` counts those not retrieved or booked yet."""
    groups: dict[tuple[date, str, str], dict[str, Any]] = {}
    for row in _READ.rows(dossier_pk(dossier), period):
        when, category, source, status = row["when"], row["category"], row["source"], row["status"]
        sent_at, retrieved_at, booked_at = row["sent_at"], row["retrieved_at"], row["booked_at"]
        key = (_month(when), category, source)
        group = groups.get(key)
        if group is None:
            group = groups[key] = {
                "month": key[0],
                "category": category,
                "source": source,
                "documents": 0,
                **{f"{step}_spans": [0] * SPANS for step in STEPS},
                **{f"{step}_waiting": 0 for step in STEPS},
            }
        group["documents"] += 1
        waits = (
            status not in (Status.REJECTED, Status.SHARED)
            and source != Source.SHARED
            and sent_at is not None
        )
        if not waits or sent_at is None:
            continue
        for step, done in (("retrieval", retrieved_at or booked_at), ("booking", booked_at)):
            if done is None:
                group[f"{step}_waiting"] += 1
            else:
                group[f"{step}_spans"][wait_span((done - sent_at).total_seconds())] += 1
    return [groups[key] for key in sorted(groups)]


def documents(
    dossier: Dossier | int, period: Period, flow: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Documents per month of sending, category and channel (from ``document_flow``)."""
    return documents_from(document_flow(dossier, period) if flow is None else flow)


def documents_from(flow: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documents report's rows from flow groups of any months."""
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
    dossier: Dossier | int, period: Period, flow: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Documents sent in the period, per step (``waiting_from``)."""
    return waiting_from(document_flow(dossier, period) if flow is None else flow)


def waiting_from(flow: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per step (until retrieval, until booking): how many documents were taken, the median
    and the 90th percentile of their waits (seconds), and how many still wait. No row when
    nothing waited."""
    rows = []
    for step in STEPS:
        spans = [0] * SPANS
        for row in flow:
            for index, count in enumerate(row[f"{step}_spans"]):
                if count:
                    spans[index] += count
        still = sum(row[f"{step}_waiting"] for row in flow)
        rows.append(
            {
                "step": step,
                "documents": sum(spans),
                "median": percentile(spans, 0.5),
                "p90": percentile(spans, 0.9),
                "waiting": still,
            }
        )
    if not any(row["documents"] or row["waiting"] for row in rows):
        return []
    return rows
