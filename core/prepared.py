"""Reads compiled once: a ``values()`` queryset whose arguments reach its SQL only as
parameters is built and compiled by Django once per process (per database and time zone),
then executed with each call's parameters.

Why: building and compiling a queryset of nested expressions (View's month reads: facts read
from JSON, casts, coalesces) costs Django 5 to 10 ms of CPU, more than the database takes to
answer it, and a change to a document repeats five of them in its transaction
(``view.summaries``). A prepared read costs the execution and the conversion of its rows.

How the parameters are found: the read is compiled for two samples of arguments. Both must give
the same SQL text; a parameter equal in both is a constant; a parameter that differs must be, in
both samples, the same one of the values that ``derived`` computes from the arguments (the
only way the arguments may reach the SQL). A third sample checks the template: the SQL and
parameters it gives must be exactly those Django compiles. A read that fails any of this (a
shape that changes with its arguments, a value adapted on its way to the database, as SQLite
does with dates) is not prepared: every call builds it with the ORM, as before, and
``prepared_on`` answers False; the tests require View's reads to be prepared on PostgreSQL.

The rows are converted by the compiler Django made (the same converters as a plain
iteration) and named as ``QuerySet.values()`` names them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Self

from django.core.exceptions import EmptyResultSet
from django.core.signals import setting_changed
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ValuesIterable
from django.db.models.sql.compiler import SQLCompiler
from django.dispatch import receiver
from django.utils import timezone

#: The fetch size when the rows are read.
CHUNK = 2000


@dataclass(frozen=True)
class _Plan:
    alias: str
    sql: str
    #: Per parameter: (True, index into the derived values) or (False, the constant).
    slots: tuple[tuple[bool, Any], ...]
    compiler: SQLCompiler
    names: tuple[str, ...]


def _same(a: Any, b: Any) -> bool:
    """Of the same type (1 is not True, a date is not a datetime) and equal, or written the
    same when the type has no equality of its own (psycopg's ``Jsonb(None)``)."""
    return type(a) is type(b) and (a == b or repr(a) == repr(b))


class PreparedRead:
    """``build(*args)`` gives a ``values()`` queryset; ``derived(*args)`` every value that the
    arguments put into its parameters; ``samples`` three argument tuples whose derived values
    differ from one sample to the next, position by position."""

    def __init__(
        self,
        model: type[Model],
        build: Callable[..., QuerySet[Any]],
        derived: Callable[..., Sequence[Any]],
        samples: tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]],
    ) -> None:
        self.model = model
        self.build = build
        self.derived = derived
        self.samples = samples
        self._plans: dict[tuple[str, str, str], _Plan | None] = {}
        self._lock = threading.Lock()
        _READS.append(self)

    @classmethod
    def of_keys(cls, model: type[Model], build: Callable[..., QuerySet[Any]], arity: int) -> Self:
        """A read whose ``arity`` arguments are keys (integers), each reaching the SQL as it
        is: its derived values are its arguments, its samples keys no row has."""
        samples = tuple(
            tuple(2_000_000_000 + 10 * position + sample for position in range(arity))
            for sample in (1, 2, 3)
        )
        return cls(model, build, lambda *keys: keys, samples)  # type: ignore[arg-type]

    # --- the plan ------------------------------------------------------------------------

    def _key(self, alias: str) -> tuple[str, str, str]:
        return (alias, connections[alias].vendor, timezone.get_current_timezone_name())

    def _plan(self, alias: str | None = None) -> _Plan | None:
        alias = alias or router.db_for_read(self.model)
        key = self._key(alias)
        try:
            return self._plans[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._plans:
                self._plans[key] = self._make_plan(alias)
            return self._plans[key]

    def _compiled(self, args: tuple[Any, ...], alias: str) -> tuple[str, tuple[Any, ...], Any]:
        queryset = self.build(*args)
        if queryset._iterable_class is not ValuesIterable:
            raise TypeError("a prepared read is a values() queryset")
        compiler = queryset.query.get_compiler(alias)
        sql, params = compiler.as_sql()
        return sql, tuple(params), compiler

    def _make_plan(self, alias: str) -> _Plan | None:
        (a, b, c) = self.samples
        da, db, dc = (tuple(self.derived(*sample)) for sample in self.samples)
        if any(_same(x, y) for x, y in zip(da, db, strict=True)):
            raise ValueError("the samples' derived values must differ position by position")
        try:
            sql, pa, compiler = self._compiled(a, alias)
            sql_b, pb, _compiler = self._compiled(b, alias)
            sql_c, pc, _compiler = self._compiled(c, alias)
        except EmptyResultSet:
            return None
        if sql_b != sql or len(pb) != len(pa):
            return None
        slots: list[tuple[bool, Any]] = []
        for x, y in zip(pa, pb, strict=True):
            if _same(x, y):
                slots.append((False, x))
                continue
            found = [i for i in range(len(da)) if _same(da[i], x) and _same(db[i], y)]
            if len(found) != 1:
                return None
            slots.append((True, found[0]))
        built = _params(slots, dc)
        if sql_c != sql or len(built) != len(pc) or not all(map(_same, built, pc)):
            return None
        query = compiler.query
        names = (
            tuple(query.selected)
            if query.selected
            else (*query.extra_select, *query.values_select, *query.annotation_select)
        )
        return _Plan(alias, sql, tuple(slots), compiler, names)

    def prepared_on(self, alias: str | None = None) -> bool:
        """Whether calls on this database (and time zone) skip the ORM."""
        return self._plan(alias) is not None

    # --- reading -------------------------------------------------------------------------

    def sql(self, *args: Any) -> tuple[str, tuple[Any, ...]]:
        """The SQL and parameters of the read for ``args`` (to be wrapped by other SQL)."""
        plan = self._plan()
        if plan is None:
            sql, params = self.build(*args).query.sql_with_params()
            return sql, tuple(params)
        return plan.sql, _params(plan.slots, tuple(self.derived(*args)))

    def rows(self, *args: Any) -> list[dict[str, Any]]:
        """What iterating ``build(*args)`` gives: a dict per row. The plan's compiler only
        converts (its converters read no state of the connection it was made on), so the
        threads of a process share it."""
        plan = self._plan()
        if plan is None:
            return list(self.build(*args))
        params = _params(plan.slots, tuple(self.derived(*args)))
        compiler = plan.compiler
        width = compiler.col_count
        trimmed = compiler.has_extra_select  # columns only the ordering needed
        with connections[plan.alias].cursor() as cursor:
            cursor.execute(plan.sql, params)
            chunks: list[list[Any]] = []
            while chunk := cursor.fetchmany(CHUNK):
                chunks.append([row[:width] for row in chunk] if trimmed else chunk)
        names = plan.names
        indexes = range(len(names))
        return [
            {names[i]: row[i] for i in indexes} for row in compiler.results_iter(results=chunks)
        ]


def _params(slots: Sequence[tuple[bool, Any]], derived: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(derived[value] if is_derived else value for is_derived, value in slots)


_READS: list[PreparedRead] = []


@receiver(setting_changed)
def _forget(**kwargs: Any) -> None:
    """A test that changes the settings (the database, the time zone) gets new plans."""
    for read in _READS:
        with read._lock:
            read._plans.clear()
