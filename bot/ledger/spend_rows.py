"""Where spend figures read their rows from: rollup buckets inside a window, raw events at its edges.

`window_rows` turns a window (or abutting days) into one subquery of rows (at, usage_type,
config_fingerprint, billable, micros, events) whose sums are exactly those of the events in it: whole
UTC-day, hour and 15-minute rollup buckets (bot/db/rollups.py) where they fit, the events themselves for
edges off the bucket grid. `at` is a bucket's start or an event's time, so a CASE over day starts
(`day_index`) puts each row in its local day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Subquery,
    case,
    func,
    literal,
    select,
    type_coerce,
    union_all,
)

from bot.db.rollups import cover
from bot.db.schema import ledger_events, ledger_rollups

_E = ledger_events.c
_R = ledger_rollups.c
_MAX_PIECES = 64  # beyond this many pieces (edges off the bucket grid on every day) one raw scan is simpler


@dataclass(frozen=True)
class SpendFilter:
    """Narrows every figure: only these usage types / config fingerprints (empty: all)."""

    types: tuple[str, ...] = ()
    configs: tuple[str, ...] = ()


def window_rows(cuts: Sequence[datetime], only: SpendFilter) -> Subquery:
    """Rows (at, usage_type, config_fingerprint, billable, micros, events) whose sums are those of the
    events in [cuts[0], cuts[-1]), none of them straddling a cut: whole rollup buckets inside each
    [cut, next cut), raw events for the edges no bucket fits. `at` is a bucket's start or an event's time.
    """
    pieces: list[tuple[int, datetime, datetime]] = []
    for span, lo, hi in (piece for window in pairwise(cuts) for piece in cover(*window)):
        if pieces and pieces[-1][0] == span and pieces[-1][2] == lo:  # abutting: one range reads both
            lo = pieces.pop()[1]
        pieces.append((span, lo, hi))
    if not pieces or len(pieces) > _MAX_PIECES:
        pieces = [(0, cuts[0], max(cuts[0], cuts[-1]))]
    parts = [_raw(lo, hi, only) if span == 0 else _rolled(span, lo, hi, only) for span, lo, hi in pieces]
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("source")


def _raw(start: datetime, end: datetime, only: SpendFilter) -> Select[Any]:
    micros = type_coerce(_E.amount_usd, BigInteger).label("micros")
    columns = (_E.usage_type, _E.config_fingerprint, _E.billable, micros, literal(1).label("events"))
    return where(select(_E.created_at.label("at"), *columns), start, end, only)


def _rolled(span: int, start: datetime, end: datetime, only: SpendFilter) -> Select[Any]:
    columns = (_R.usage_type, _R.config_fingerprint, _R.billable, _R.amount_micros.label("micros"), _R.events)
    query = select(_R.bucket_start.label("at"), *columns).where(
        _R.span_minutes == span, _R.bucket_start >= start, _R.bucket_start < end
    )
    if only.types:
        query = query.where(_R.usage_type.in_(only.types))
    if only.configs:
        query = query.where(_R.config_fingerprint.in_(only.configs))
    return query


def sums(source: Subquery) -> tuple[ColumnElement[Any], ColumnElement[Any], ColumnElement[Any]]:
    """Amount (micro-dollars), billable events and events over `source`'s rows."""
    c = source.c
    billable = func.coalesce(func.sum(case((c.billable.is_(True), c.events), else_=0)), 0)
    return func.coalesce(func.sum(c.micros), 0), billable, func.coalesce(func.sum(c.events), 0)


def day_index(at: Any, starts: list[datetime], lo: int, hi: int) -> Any:
    """Which of days lo..hi-1 `at` falls in, as a balanced tree of CASEs over their start instants.

    A day holds [its start, the next day's start): an event at a start instant belongs to that day.
    The tree costs each row about log2(days) comparisons, where a flat CASE over 400 days costs 200.
    """
    if hi - lo == 1:
        return literal(lo)
    mid = (lo + hi) // 2
    return case((at < starts[mid], day_index(at, starts, lo, mid)), else_=day_index(at, starts, mid, hi))


def where(query: Select[Any], start: datetime, end: datetime, only: SpendFilter) -> Select[Any]:
    query = query.where(_E.created_at >= start, _E.created_at < end)
    if only.types:
        query = query.where(_E.usage_type.in_(only.types))
    if only.configs:
        query = query.where(_E.config_fingerprint.in_(only.configs))
    return query
