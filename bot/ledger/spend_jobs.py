"""Distinct jobs and the top jobs of a window [start, end), from the per-job rollups, exact.

A job rollup row (bot/db/job_rollups.py) lies wholly inside the window, wholly outside it, or has its
first and last events on two sides of an edge (it *straddles*). Rows inside count with their stored
amount; a job with a straddling row is read from its events within the window instead (only its
in-window amount, and only if it has an event there), so every job counts once and exactly. The rows
read are those of the filter's scope (bot/db/job_rollups.py): one per job, unless the filter names
several types or configs.

With one row per job, the jobs inside are not counted row by row: they are the rows started in the
window (whole UTC days from per-day start counts, the parts of days at its ends from the rows) less
those of them crossing its end.
Straddling rows are found by span class: a row crossing an edge with a span of at most L started at
most L before it, so each class reads only the rows starting that close to the edge. When very many
jobs straddle (jobs spanning months), the answer falls back to the events (`None` here), still exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, func, select, type_coerce, union

from bot.db.job_rollups import DAY_US, NONE, SCOPES, SPAN_LIMITS, epoch_us
from bot.db.schema import ledger_events, ledger_job_starts, ledger_jobs
from bot.db.types import micros_to_dollars
from bot.figures import SpendRow
from bot.ledger.spend_rows import SpendFilter, where

Run = Callable[[Select[Any]], Sequence[Any]]
_J = ledger_jobs.c
_S = ledger_job_starts.c
_E = ledger_events.c
_MAX_STRADDLERS = 2_000  # beyond this, their ids would not fit a query's bound parameters
_WIDE = 10_000  # from this many jobs inside, the largest are found fastest by the amount index


class JobWindow:
    """The jobs of one window under one filter; `straddlers` is None when there are too many."""

    def __init__(self, run: Run, start: datetime, end: datetime, only: SpendFilter) -> None:
        self._run, self._only = run, only
        self._lo, self._hi = epoch_us(start), epoch_us(end)
        types, configs = only.types or (NONE,), only.configs or (NONE,)
        scope = next(n for n, keyed in SCOPES.items() if keyed == (bool(only.types), bool(only.configs)))
        self._key = (scope, types, configs)
        self._rows = [_J.scope == scope, _J.usage_type.in_(types), _J.config_fingerprint.in_(configs)]
        # One row per job unless the filter names several types or configs: then a job's rows add up.
        self._grouped = len(types) * len(configs) > 1
        found = self._straddling()
        # Rows starting inside and crossing the end: counted among those started, yet not inside.
        self._leaving = sum(1 for _, first, last in found if first >= self._lo and last >= self._hi)
        self.straddlers: dict[str, tuple[int, int]] | None = None
        if len({job for job, _, _ in found}) <= _MAX_STRADDLERS:
            self.straddlers = in_window(run, sorted({job for job, _, _ in found}), start, end, only)
        self._count: int | None = None

    def count(self) -> int:
        """Distinct jobs with an event in the window."""
        if self._count is None:
            assert self.straddlers is not None
            if self._grouped:  # a job may have several rows: counted distinct, row by row
                inside = self._run(select(func.count(_J.job_id.distinct())).where(*self._inside()))[0][0]
            else:
                inside = self._started() - self._leaving
            self._count = int(inside) + len(self.straddlers)
        return self._count

    def _started(self) -> int:
        """Rows whose first event is in the window: whole UTC days from ledger_job_starts, the days'
        parts at the window's ends counted from the rows."""
        days = -(-self._lo // DAY_US) * DAY_US, self._hi // DAY_US * DAY_US
        if days[0] >= days[1]:
            return self._counted(self._lo, self._hi)
        scope, types, configs = self._key
        summed = select(func.coalesce(func.sum(_S.jobs), 0)).where(
            _S.scope == scope, _S.usage_type.in_(types), _S.config_fingerprint.in_(configs)
        )
        summed = summed.where(_S.day_us >= days[0], _S.day_us < days[1])
        return (
            int(self._run(summed)[0][0]) + self._counted(self._lo, days[0]) + self._counted(days[1], self._hi)
        )

    def _counted(self, lo: int, hi: int) -> int:
        if lo >= hi:
            return 0
        query = select(func.count()).where(*self._rows, _J.first_us >= lo, _J.first_us < hi)
        return int(self._run(query)[0][0])

    def top(self, limit: int) -> list[SpendRow]:
        """The `limit` largest jobs, largest amount first, ties by job id."""
        assert self.straddlers is not None
        amount = func.sum(_J.amount_micros) if self._grouped else _J.amount_micros
        events = func.sum(_J.events) if self._grouped else _J.events
        query = select(_J.job_id, amount.label("amount"), events.label("events"))
        query = query.where(*self._inside(wide=not self._grouped and self.count() >= _WIDE))
        if self._grouped:
            query = query.group_by(_J.job_id)
        query = query.order_by(amount.desc(), _J.job_id).limit(limit)
        found = {row.job_id: (int(row.amount), int(row.events)) for row in self._run(query)}
        found.update(self.straddlers)
        ranked = sorted(found.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        return [SpendRow(job, micros_to_dollars(micros), events) for job, (micros, events) in ranked]

    def _inside(self, *, wide: bool = False) -> list[ColumnElement[bool]]:
        """Rows wholly in the window, of jobs not straddling it. `wide` hides the window's columns from
        the index choice (coalesce), so the database walks the amount index and stops at `limit`."""
        first, last = (
            (func.coalesce(c, c) for c in (_J.first_us, _J.last_us)) if wide else (_J.first_us, _J.last_us)
        )
        conditions = [*self._rows, first >= self._lo, last < self._hi]
        if self._grouped and self.straddlers:  # a straddling job's other rows are in its event figures
            conditions.append(_J.job_id.not_in(list(self.straddlers)))
        return conditions

    def _straddling(self) -> set[tuple[str, int, int]]:
        """(job, first, last) of the rows whose first event is before an edge and last at or after it."""
        parts = []
        for edge in (self._lo, self._hi):
            for n in range(len(SPAN_LIMITS) + 1):
                query = select(_J.job_id, _J.first_us, _J.last_us).where(*self._rows, _J.span_class == n)
                query = query.where(_J.first_us < edge, _J.last_us >= edge)
                if n < len(SPAN_LIMITS):
                    query = query.where(_J.first_us >= edge - SPAN_LIMITS[n])
                parts.append(query)
        return {(row[0], row[1], row[2]) for row in self._run(union(*parts))}  # type: ignore[arg-type]


def in_window(
    run: Run, jobs: list[str], start: datetime, end: datetime, only: SpendFilter
) -> dict[str, tuple[int, int]]:
    """(micro-dollars, events) of each of `jobs` within [start, end), read from its events; jobs
    without an event there are left out."""
    found: dict[str, tuple[int, int]] = {}
    micros = func.coalesce(func.sum(type_coerce(_E.amount_usd, BigInteger)), 0)
    for first in range(0, len(jobs), 500):
        query = select(_E.job_id, micros, func.count()).where(_E.job_id.in_(jobs[first : first + 500]))
        for job, amount, events in run(where(query, start, end, only).group_by(_E.job_id)):
            found[job] = (int(amount), int(events))
    return found
