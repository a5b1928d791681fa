"""Spend per local day, exact, read mostly from UTC-day rollup buckets.

A local day outside UTC holds no whole UTC day, so summing it from buckets would take hours or
quarter hours (24 or 96 a day). Instead each local midnight t is paired with the UTC midnight n
nearest to it (at most 12 hours away): day k first takes the whole UTC-day buckets in [n_k, n_k+1),
which is wrong only by what lies between each t and its n. Those stretches are read (hour buckets,
then quarter-hour ones, and the events where an end is off that grid: one or two hours a day in
Berlin); each of their rows is added to the day it belongs to (by t) and taken from the day it was
counted in (by n). A row in no stretch is in the same day by t and by n,
so nothing else changes: the sums are those of the events, for any zone, on 23- and 25-hour days.
The database sums per bucket (or event time); which day that is, is found here, by bisection.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Select,
    Table,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
)

from bot.db.rollups import DAY, cover, floor, minutes
from bot.db.schema import ledger_events, ledger_rollups
from bot.ledger.spend_rows import SpendFilter

Run = Callable[[Any], Sequence[Any]]
# (day index, usage type or None when not split by type) -> [micro-dollars, billable events, events]
DaySums = dict[tuple[int, str | None], list[int]]
_E = ledger_events.c
_R = ledger_rollups.c
_HALF_DAY = timedelta(hours=12)
_PER_QUERY = 5_000  # bucket starts per query: well within SQLite's 32,766 bound parameters


def nearest_midnight(moment: datetime) -> datetime:
    """The UTC midnight nearest to `moment` (the earlier one when it is exactly between two)."""
    below = floor(moment, DAY)
    return below + DAY if moment - below > _HALF_DAY else below


def day_sums(run: Run, cuts: Sequence[datetime], only: SpendFilter, *, by_type: bool = False) -> DaySums:
    """Sums of the events in each day [cuts[k], cuts[k + 1]) (and usage type, when `by_type`);
    days and types without events may be missing or carry zeros."""
    utc = [nearest_midnight(cut) for cut in cuts]
    found: DaySums = {}
    whole = _summed(ledger_rollups, by_type, only).where(
        _R.span_minutes == minutes(DAY), _R.bucket_start >= utc[0], _R.bucket_start < utc[-1]
    )
    _add(found, run(whole), utc, 1)
    for query in _stretches(cuts, utc, by_type, only):
        rows = run(query)
        _add(found, rows, cuts, 1)
        _add(found, rows, utc, -1)
    last = len(cuts) - 1
    return {key: sums for key, sums in found.items() if 0 <= key[0] < last}


def _stretches(
    cuts: Sequence[datetime], utc: Sequence[datetime], by_type: bool, only: SpendFilter
) -> list[Select[Any]]:
    """Sums per bucket (or event time) of everything between each cut and its UTC midnight: hour and
    quarter-hour buckets wholly inside, events for ends off that grid."""
    ranges: dict[int, list[tuple[datetime, datetime]]] = {}
    for cut, midnight in zip(cuts, utc, strict=True):
        for span, lo, hi in cover(min(cut, midnight), max(cut, midnight)):
            ranges.setdefault(span, []).append((lo, hi))
    queries = []
    for span, found in ranges.items():
        if span == 0:  # off the quarter-hour grid (rare): one OR of ranges over the events' time index
            inside = (and_(_E.created_at >= lo, _E.created_at < hi) for lo, hi in found)
            queries.append(_summed(ledger_events, by_type, only).where(or_(*inside)))
            continue
        # The buckets by their start: IN probes the covering index once per bucket, never a table row.
        starts = [
            lo + n * timedelta(minutes=span)
            for lo, hi in found
            for n in range((hi - lo) // timedelta(minutes=span))
        ]
        for first in range(0, len(starts), _PER_QUERY):
            chunk = starts[first : first + _PER_QUERY]
            query = _summed(ledger_rollups, by_type, only)
            queries.append(query.where(_R.span_minutes == span, _R.bucket_start.in_(chunk)))
    return queries


def _summed(table: Table, by_type: bool, only: SpendFilter) -> Select[Any]:
    """(at, usage type or NULL, micro-dollars, billable events, events) per instant of `table`."""
    c = table.c
    raw = table is ledger_events
    at = c.created_at if raw else c.bucket_start
    events = literal(1) if raw else c.events
    micros = type_coerce(c.amount_usd, BigInteger) if raw else c.amount_micros
    kind = c.usage_type if by_type else literal(None)
    query = select(
        at,
        kind,
        func.sum(micros),
        func.sum(case((c.billable.is_(True), events), else_=0)),
        func.sum(events),
    ).group_by(at, *([c.usage_type] if by_type else []))
    if only.types:
        query = query.where(c.usage_type.in_(only.types))
    if only.configs:
        query = query.where(c.config_fingerprint.in_(only.configs))
    return query


def _add(found: DaySums, rows: Sequence[Any], moments: Sequence[datetime], sign: int) -> None:
    """Add each row (sign +1) or take it away (-1) at the day of `moments` it falls in."""
    for at, kind, micros, billable, events in rows:
        sums = found.setdefault((bisect_right(moments, at) - 1, kind), [0, 0, 0])
        sums[0] += sign * int(micros or 0)
        sums[1] += sign * int(billable)
        sums[2] += sign * int(events)
