"""Distinct jobs and the top jobs of a window [start, end), from the per-job rollups, exact.

A job rollup row (bot/db/job_rollups.py) lies wholly inside the window, wholly outside it, or has its
first and last events on two sides of an edge (it *straddles*). Rows inside count with their stored
amount; a job with a straddling row is read from its events within the window instead (only its
in-window amount, and only if it has an event there), so every job counts once and exactly. The rows
read are those of the filter's scope (bot/db/job_rollups.py): one per job, unless the filter names
several types or configs.

Straddling rows are found by span class: a row crossing an edge with a span of at most L started at
most L before it, so each class reads only the rows starting that close to the edge. When very many
jobs straddle (jobs spanning months), the answer falls back to the events (`None` here), still exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, func, select, type_coerce, union

from bot.db.job_rollups import NONE, SCOPES, SPAN_LIMITS, epoch_us
from bot.db.schema import ledger_events, ledger_jobs
from bot.db.types import micros_to_dollars
from bot.figures import SpendRow
from bot.ledger.spend_rows import SpendFilter, where

Run = Callable[[Select[Any]], Sequence[Any]]
_J = ledger_jobs.c
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
        self._rows = [_J.scope == scope, _J.usage_type.in_(types), _J.config_fingerprint.in_(configs)]
        # One row per job unless the filter names several types or configs: then a job's rows add up.
        self._grouped = len(types) * len(configs) > 1
        found = self._straddling()
        self.straddlers: dict[str, tuple[int, int]] | None = None
        if len(found) <= _MAX_STRADDLERS:
            self.straddlers = _in_window(run, sorted(found), start, end, only)
        self._count: int | None = None

    def count(self) -> int:
        """Distinct jobs with an event in the window."""
        if self._count is None:
            assert self.straddlers is not None
            inside = func.count(_J.job_id.distinct()) if self._grouped else func.count()
            self._count = int(self._run(select(inside).where(*self._inside()))[0][0]) + len(self.straddlers)
        return self._count

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

    def _straddling(self) -> set[str]:
        """Jobs with a row whose first event is before an edge and whose last is at or after it."""
        parts = []
        for edge in (self._lo, self._hi):
            for n in range(len(SPAN_LIMITS) + 1):
                query = select(_J.job_id).where(*self._rows, _J.span_class == n)
                query = query.where(_J.first_us < edge, _J.last_us >= edge)
                if n < len(SPAN_LIMITS):
                    query = query.where(_J.first_us >= edge - SPAN_LIMITS[n])
                parts.append(query)
        return {row[0] for row in self._run(union(*parts))}  # type: ignore[arg-type]


def _in_window(
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
