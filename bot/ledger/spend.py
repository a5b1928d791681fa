"""Spend aggregates over the ledger mirror: totals and breakdowns of a window [start, end), filtered.

Every figure is a SQL aggregate over `ledger_events` rows with `start <= created_at < end`, money
summed as integer micro-dollars and turned into Decimal dollars once, so it is exact to the cent on
SQLite and PostgreSQL alike. An amount is `amount_usd` as the ledger gives it (a credited event
carries 0). Days are grouped by the UTC instants of local midnights passed in (CASEs over instant
ranges), never by a SQL date function, so a 23- or 25-hour day is exact in any zone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Connection, Engine, Select, case, func, literal, select, type_coerce

from bot.db.schema import ledger_events
from bot.db.types import micros_to_dollars
from bot.figures import DaySpend, SpendRow, SpendTotals

_E = ledger_events.c
_MICROS = func.coalesce(func.sum(type_coerce(_E.amount_usd, BigInteger)), 0)
_BILLABLE = func.coalesce(func.sum(case((_E.billable.is_(True), 1), else_=0)), 0)
_GROUPS = {"type": _E.usage_type, "config": _E.config_fingerprint, "job": _E.job_id}


@dataclass(frozen=True)
class SpendFilter:
    """Narrows every figure: only these usage types / config fingerprints (empty: all)."""

    types: tuple[str, ...] = ()
    configs: tuple[str, ...] = ()


class SpendQueries:
    """Read-only spend aggregates; each method is one query."""

    def __init__(self, engine: Engine, connection: Connection | None = None) -> None:
        self.engine = engine
        self._connection = connection

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

    def totals(self, start: datetime, end: datetime, only: SpendFilter = SpendFilter()) -> SpendTotals:
        """Amount, billable and unbilled event counts and distinct jobs in [start, end)."""
        query = select(_MICROS, _BILLABLE, func.count(), func.count(_E.job_id.distinct()))
        micros, billable, events, jobs = self._rows(_where(query, start, end, only))[0]
        return SpendTotals(micros_to_dollars(micros), int(billable), int(events) - int(billable), int(jobs))

    def amount(self, start: datetime, end: datetime, only: SpendFilter = SpendFilter()) -> Decimal:
        """Only the amount in [start, end): what the previous period is compared by (no job count)."""
        return micros_to_dollars(self._rows(_where(select(_MICROS), start, end, only))[0][0])

    def breakdown(
        self, start: datetime, end: datetime, by: str, only: SpendFilter = SpendFilter()
    ) -> list[SpendRow]:
        """Every group of `by` (type, config or job) in [start, end), largest amount first, ties by key."""
        column = _GROUPS[by]
        amount = _MICROS.label("amount")
        query = select(column.label("key"), amount, func.count().label("events")).group_by(column)
        query = _where(query, start, end, only).order_by(amount.desc(), column)
        return [SpendRow(row.key, micros_to_dollars(row.amount), row.events) for row in self._rows(query)]

    def top(
        self, start: datetime, end: datetime, by: str, only: SpendFilter = SpendFilter(), *, limit: int = 10
    ) -> tuple[list[SpendRow], int]:
        """The `limit` largest groups of `by` (as `breakdown` orders them), and how many groups there are.

        Only the top rows leave the database: a month of a large ledger has hundreds of thousands of jobs.
        """
        column = _GROUPS[by]
        amount = _MICROS.label("amount")
        groups = func.count().over().label("groups")  # counted over the groups, before the limit
        query = select(column.label("key"), amount, func.count().label("events"), groups).group_by(column)
        rows = self._rows(_where(query, start, end, only).order_by(amount.desc(), column).limit(limit))
        found = [SpendRow(row.key, micros_to_dollars(row.amount), row.events) for row in rows]
        return found, (rows[0].groups if rows else 0)

    def by_day(
        self, days: Sequence[tuple[date, datetime, datetime]], only: SpendFilter = SpendFilter()
    ) -> list[DaySpend]:
        """Amount and events of each (day, start, end), every day listed even when it had nothing.

        The days must abut ([start, end) of one ends where the next begins), as Period.days() gives.
        """
        if not days:
            return []
        index = _day_index([start for _, start, _ in days], 0, len(days))
        query = select(index.label("n"), _MICROS.label("amount"), func.count().label("events"))
        query = _where(query, days[0][1], days[-1][2], only).group_by(index)
        found = {row.n: row for row in self._rows(query)}
        return [
            DaySpend(day, micros_to_dollars(found[n].amount), found[n].events)
            if n in found
            else DaySpend(day, Decimal("0.00"), 0)
            for n, (day, _, _) in enumerate(days)
        ]

    def known(self, by: str, *, limit: int = 50) -> list[str]:
        """Distinct usage types or config fingerprints in the whole mirror, to check a filter against."""
        column = _GROUPS[by]
        query = select(column).where(column.is_not(None)).distinct().order_by(column).limit(limit)
        return [row[0] for row in self._rows(query)]

    def exists(self, by: str, value: str) -> bool:
        """Whether any stored event has this usage type or config fingerprint."""
        column = _GROUPS[by]
        return bool(self._rows(select(column).where(column == value).limit(1)))

    def _rows(self, query: Select[Any]) -> Sequence[Any]:
        if self._connection is not None:
            return self._connection.execute(query).all()
        with self.engine.connect().execution_options(readonly=True) as connection:
            return connection.execute(query).all()


def _day_index(starts: list[datetime], lo: int, hi: int) -> Any:
    """Which of days lo..hi-1 an event falls in, as a balanced tree of CASEs over their start instants.

    A day holds [its start, the next day's start): an event at a start instant belongs to that day.
    The tree costs each row about log2(days) comparisons, where a flat CASE over 400 days costs 200.
    """
    if hi - lo == 1:
        return literal(lo)
    mid = (lo + hi) // 2
    return case((_E.created_at < starts[mid], _day_index(starts, lo, mid)), else_=_day_index(starts, mid, hi))


def _where(query: Select[Any], start: datetime, end: datetime, only: SpendFilter) -> Select[Any]:
    query = query.where(_E.created_at >= start, _E.created_at < end)
    if only.types:
        query = query.where(_E.usage_type.in_(only.types))
    if only.configs:
        query = query.where(_E.config_fingerprint.in_(only.configs))
    return query


# --- Spend by day and usage type (the daily spend chart's stacked bars, the burn-down's daily units) ---


@dataclass(frozen=True)
class DayTypeSpend:
    """One local day's spend of one usage type, and how many of those events were billable."""

    day: date
    usage_type: str | None
    amount_usd: Decimal
    billable_events: int


def by_day_and_type(
    queries: SpendQueries, days: Sequence[tuple[date, datetime, datetime]]
) -> list[DayTypeSpend]:
    """Amount and billable events of each (day, usage type) that had events, in one query.

    `days` as `SpendQueries.by_day` takes them (abutting [start, end) instants, as Period.days()
    gives); days and types without events are left out. Ordered by day, then usage type.
    """
    if not days:
        return []
    index = _day_index([start for _, start, _ in days], 0, len(days))
    kind = _E.usage_type
    query = select(index.label("n"), kind.label("kind"), _MICROS.label("amount"), _BILLABLE.label("billable"))
    query = _where(query, days[0][1], days[-1][2], SpendFilter()).group_by(index, kind)
    cells = [
        DayTypeSpend(days[row.n][0], row.kind, micros_to_dollars(row.amount), int(row.billable))
        for row in queries._rows(query)
    ]
    return sorted(cells, key=lambda cell: (cell.day, cell.usage_type or ""))
