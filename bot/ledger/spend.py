"""Spend aggregates over the ledger mirror: totals and breakdowns of a window [start, end), filtered.

Every figure is the sum over the ledger events with `start <= created_at < end`, money summed as
integer micro-dollars and turned into Decimal dollars once, so it is exact to the cent on SQLite and
PostgreSQL alike. An amount is `amount_usd` as the ledger gives it (a credited event carries 0).

Sums by usage type and config are read from the rollups (bot/db/rollups.py): a window is covered by
whole UTC days, then whole hours, then whole 15-minute buckets, then raw events for any edge that is not
on a bucket boundary (spend_rows.py), so the figures are those of the raw events, for any instants.
Distinct jobs and the top jobs are read from the per-job rollups, with the jobs crossing the window's
edges read from their events (spend_jobs.py); the full breakdown by job reads the events. Days are
grouped by the UTC instants of local midnights passed in (CASEs over instant ranges), never by a SQL
date function, and summed from UTC-day buckets corrected at each local midnight (spend_days.py), so a
23- or 25-hour day is exact in any zone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Connection, Engine, Select, func, select, type_coerce

from bot.db.schema import ledger_events
from bot.db.types import micros_to_dollars
from bot.figures import DaySpend, SpendRow, SpendTotals
from bot.ledger.spend_days import day_sums
from bot.ledger.spend_jobs import JobWindow, in_window
from bot.ledger.spend_rows import SpendFilter as SpendFilter  # re-exported: callers name it from here
from bot.ledger.spend_rows import sums, where, window_rows

_E = ledger_events.c
_RAW_MICROS = func.coalesce(func.sum(type_coerce(_E.amount_usd, BigInteger)), 0)
_ALL = SpendFilter()  # no filter: every figure of the window
_GROUPS = {"type": "usage_type", "config": "config_fingerprint"}


class SpendQueries:
    """Read-only spend aggregates; each method is one query."""

    def __init__(self, engine: Engine, connection: Connection | None = None) -> None:
        self.engine = engine
        self._connection = connection
        self._windows: dict[tuple[datetime, datetime, SpendFilter], JobWindow] = {}

    @contextmanager
    def snapshot(self) -> Iterator[SpendQueries]:
        """Queries that all read one snapshot, so the figures of one answer agree while a sync writes.

        SQLite (WAL) holds its read snapshot for a transaction; PostgreSQL needs REPEATABLE READ.
        """
        options: dict[str, Any] = {"readonly": True}
        if self.engine.dialect.name == "postgresql":
            options["isolation_level"] = "REPEATABLE READ"
        with self.engine.connect().execution_options(**options) as connection, connection.begin():
            yield SpendQueries(self.engine, connection)

    def totals(self, start: datetime, end: datetime, only: SpendFilter = _ALL) -> SpendTotals:
        """Amount, billable and unbilled event counts and distinct jobs in [start, end)."""
        source = window_rows([start, end], only)
        micros, billable, events = self._rows(select(*sums(source)))[0]
        jobs = 0
        if events:  # distinct jobs do not add up across buckets: counted from the per-job rollups
            window = self._jobs(start, end, only)
            if window.straddlers is not None:
                jobs = window.count()
            else:  # too many jobs cross an edge: counted from the events themselves
                jobs = self._rows(where(select(func.count(_E.job_id.distinct())), start, end, only))[0][0]
        return SpendTotals(micros_to_dollars(micros), int(billable), int(events) - int(billable), int(jobs))

    def amount(self, start: datetime, end: datetime, only: SpendFilter = _ALL) -> Decimal:
        """Only the amount in [start, end): what the previous period is compared by (no job count)."""
        return micros_to_dollars(self._rows(select(sums(window_rows([start, end], only))[0]))[0][0])

    def breakdown(self, start: datetime, end: datetime, by: str, only: SpendFilter = _ALL) -> list[SpendRow]:
        """Every group of `by` (type, config or job) in [start, end), largest amount first, ties by key."""
        query = _grouped(start, end, by, only)
        return [
            SpendRow(row.key, micros_to_dollars(row.amount), int(row.events)) for row in self._rows(query)
        ]

    def top(
        self, start: datetime, end: datetime, by: str, only: SpendFilter = _ALL, *, limit: int = 10
    ) -> tuple[list[SpendRow], int]:
        """The `limit` largest groups of `by` (as `breakdown` orders them), and how many groups there are.

        Only the top rows leave the database: a month of a large ledger has hundreds of thousands of jobs.
        """
        if by == "job":
            window = self._jobs(start, end, only)
            if window.straddlers is not None:
                return window.top(limit), window.count()
        groups = func.count().over().label("groups")  # counted over the groups, before the limit
        rows = self._rows(_grouped(start, end, by, only).add_columns(groups).limit(limit))
        found = [SpendRow(row.key, micros_to_dollars(row.amount), int(row.events)) for row in rows]
        return found, (rows[0].groups if rows else 0)

    def has_refund(self, start: datetime, end: datetime) -> bool:
        """Whether any event in [start, end) has a negative amount (a refund or correction)."""
        query = select(_E.event_id).where(
            _E.created_at >= start, _E.created_at < end, _E.amount_usd < Decimal(0)
        )
        return bool(self._rows(query.limit(1)))

    def job_amounts(self, jobs: Sequence[str], start: datetime, end: datetime) -> dict[str, Decimal]:
        """The amount of each of `jobs` in [start, end), read from its events through the job index;
        jobs without an event there are left out."""
        found = in_window(self._rows, sorted(set(jobs)), start, end, _ALL)
        return {job: micros_to_dollars(micros) for job, (micros, _) in found.items()}

    def by_day(
        self, days: Sequence[tuple[date, datetime, datetime]], only: SpendFilter = _ALL
    ) -> list[DaySpend]:
        """Amount and events of each (day, start, end), every day listed even when it had nothing.

        The days must abut ([start, end) of one ends where the next begins), as Period.days() gives.
        """
        if not days:
            return []
        found = day_sums(self._rows, [*(start for _, start, _ in days), days[-1][2]], only)
        return [
            DaySpend(day, micros_to_dollars(found[n, None][0]), found[n, None][2])
            if found.get((n, None), [0, 0, 0])[2]
            else DaySpend(day, Decimal("0.00"), 0)
            for n, (day, _, _) in enumerate(days)
        ]

    def first_event_at(self) -> datetime | None:
        """When the oldest stored event was created; None for an empty mirror (where history begins)."""
        first: datetime | None = self._rows(select(func.min(_E.created_at)))[0][0]
        return first

    def known(self, by: str, *, limit: int = 50) -> list[str]:
        """Distinct usage types or config fingerprints in the whole mirror, to check a filter against."""
        column = _E[_GROUPS[by]]
        query = select(column).where(column.is_not(None)).distinct().order_by(column).limit(limit)
        return [row[0] for row in self._rows(query)]

    def exists(self, by: str, value: str) -> bool:
        """Whether any stored event has this usage type or config fingerprint."""
        column = _E[_GROUPS[by]]
        return bool(self._rows(select(column).where(column == value).limit(1)))

    def _jobs(self, start: datetime, end: datetime, only: SpendFilter) -> JobWindow:
        """The window's jobs; kept for the snapshot, where totals and the top jobs both need them."""
        key = (start, end, only)
        window = self._windows.get(key) if self._connection is not None else None
        if window is None:
            window = self._windows[key] = JobWindow(self._rows, start, end, only)
        return window

    def _rows(self, query: Select[Any]) -> Sequence[Any]:
        if self._connection is not None:
            return self._connection.execute(query).all()
        with self.engine.connect().execution_options(readonly=True) as connection:
            return connection.execute(query).all()


def _grouped(start: datetime, end: datetime, by: str, only: SpendFilter) -> Select[Any]:
    """(key, amount, events) per group of `by`, largest amount first, ties by key."""
    if by == "job":  # a job's events are few and scattered over buckets: only the events can say
        amount = _RAW_MICROS.label("amount")
        query = select(_E.job_id.label("key"), amount, func.count().label("events")).group_by(_E.job_id)
        return where(query, start, end, only).order_by(amount.desc(), _E.job_id)
    source = window_rows([start, end], only)
    column = source.c[_GROUPS[by]]
    micros, _, events = sums(source)
    amount = micros.label("amount")
    query = select(column.label("key"), amount, events.label("events")).group_by(column)
    return query.order_by(amount.desc(), column)


# --- Spend by day and usage type (the daily spend chart's stacked bars, the burn-down's daily units) ---


@dataclass(frozen=True)
class DayTypeSpend:
    """One local day's spend of one usage type, and how many of those events were billable."""

    day: date
    usage_type: str | None
    amount_usd: Decimal
    billable_events: int


def by_day_and_type(
    queries: SpendQueries, days: Sequence[tuple[date, datetime, datetime]], only: SpendFilter = _ALL
) -> list[DayTypeSpend]:
    """Amount and billable events of each (day, usage type) that had events.

    `days` as `SpendQueries.by_day` takes them (abutting [start, end) instants, as Period.days()
    gives); days and types without events are left out. Ordered by day, then usage type. `only`
    narrows it as it narrows a spend answer (a shared answer's chart shows the answer's filters).
    """
    if not days:
        return []
    cuts = [*(start for _, start, _ in days), days[-1][2]]
    found = day_sums(queries._rows, cuts, only, by_type=True)
    cells = [
        DayTypeSpend(days[n][0], kind, micros_to_dollars(micros), billable)
        for (n, kind), (micros, billable, events) in found.items()
        if events  # a correction can cancel a row out
    ]
    return sorted(cells, key=lambda cell: (cell.day, cell.usage_type or ""))
