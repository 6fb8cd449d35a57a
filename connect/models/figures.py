"""Figures drawn from documents (View's monthly summaries, ``view.summaries``) kept true in the
transaction of every change that moves them.

Connect does not know what the figures are: an app above it registers a *keeper*
(``register_keeper``, from its ``AppConfig.ready()``). Every write to documents goes through
``Document.save`` / ``Document.delete`` and ``DocumentQuerySet.update`` / ``delete`` /
``bulk_create``; when it touches a field in ``FIGURE_FIELDS`` they ask each keeper which
summary keys the documents belong to before the write, write, ask again, and let the keeper
recompute those keys, all inside one ``transaction.atomic``: a change and its summaries commit
or roll back together. A write that touches no such field (a thumbnail, a processing state)
costs nothing more.

A document deleted takes its duplicates' keys with it: ``duplicate_of`` is set to NULL on them
by the database's collector, which the overrides cannot see, so their keys are asked for
before.
"""

from collections.abc import Collection, Iterable
from typing import Any, Protocol

#: The fields of a document that a figure may be drawn from. A write naming none of them (in
#: ``update_fields`` or an ``update()``) leaves the summaries alone.
FIGURE_FIELDS = frozenset(
    {
        "firm",
        "firm_id",
        "dossier",
        "dossier_id",
        "status",
        "source",
        "category",
        "uploaded_at",
        "sent_at",
        "retrieved_at",
        "booked_at",
        "recognized",
        "amount",
        "currency",
        "due_date",
        "paid",
        "duplicate_of",
        "duplicate_of_id",
        "is_ubl",
    }
)

Key = Any


class FiguresKeeper(Protocol):
    def keys(self, document_ids: Collection[int]) -> set[Key]:
        """The summary keys the documents belong to now (for ids that exist)."""
        ...

    def refresh(self, keys: set[Key]) -> None:
        """Recompute the summaries of ``keys`` from the documents as they are now."""
        ...


_keepers: list[FiguresKeeper] = []


def register_keeper(keeper: FiguresKeeper) -> None:
    if keeper not in _keepers:
        _keepers.append(keeper)


def keepers() -> list[FiguresKeeper]:
    return list(_keepers)


def touches_figures(fields: Iterable[str] | None) -> bool:
    """Whether a write of ``fields`` (None: every field) may move a figure."""
    if not _keepers:
        return False
    return fields is None or any(field in FIGURE_FIELDS for field in fields)


def keys_of(document_ids: Collection[int]) -> list[set[Key]]:
    """Each keeper's keys of the documents, in the order of ``keepers()``."""
    ids = [pk for pk in document_ids if pk is not None]
    return [keeper.keys(ids) if ids else set() for keeper in _keepers]


def refresh(before: list[set[Key]], document_ids: Collection[int]) -> None:
    """Recompute what the documents belonged to ``before`` and belong to now."""
    after = keys_of(document_ids)
    for keeper, old, new in zip(_keepers, before, after, strict=True):
        if old | new:
            keeper.refresh(old | new)
