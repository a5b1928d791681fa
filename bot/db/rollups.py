"""The spend rollups (`ledger_rollups`): what a bucket is, and adding newly stored events to them.

A rollup row sums the events of one UTC bucket [bucket_start, bucket_start + span) that share a usage
type, config fingerprint and billable flag: their amount in micro-dollars and their count. Three spans:

- 15 minutes: every UTC offset in use is a whole number of quarter hours (India +5:30, Nepal +5:45,
  Chatham +12:45), so a local midnight in any IANA zone today starts a 15-minute bucket;
- an hour: most offsets are whole hours, so the stretch between a local midnight and the UTC one
  (what a local day adds to or takes from a UTC day) is one to a few hour buckets, not 4 to 48
  quarters; a 400-day answer by day reads 600 buckets instead of 2,400;
- a UTC day: 96 times fewer rows than quarters, which is what makes a 400-day question cheap.

Windows whose ends are not on a bucket boundary (a billing period, a historical offset such as local
mean time) are still exact: `cover` hands their edges to the raw events. Rows only ever grow by
deltas (`amount = amount + d`), so two writers never lose each other's additions, and a key stored
twice (two writers inserting it at once) still sums right: every reader SUMs over rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from bot.db.schema import ledger_rollups

QUARTER = timedelta(minutes=15)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SPANS = (DAY, HOUR, QUARTER)  # coarsest first: `cover` takes as much as it can from the coarser one
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# (created_at, usage_type, config_fingerprint, billable, amount in micro-dollars or None)
EventFacts = tuple[datetime, str | None, str | None, bool | None, int | None]
# (span minutes, bucket start, usage_type, config_fingerprint, billable)
Key = tuple[int, datetime, str | None, str | None, bool | None]
_R = ledger_rollups.c


def floor(moment: datetime, span: timedelta) -> datetime:
    """The start of the `span` bucket holding `moment` (buckets are aligned on the Unix epoch, UTC)."""
    return _EPOCH + (moment - _EPOCH) // span * span


def ceil(moment: datetime, span: timedelta) -> datetime:
    start = floor(moment, span)
    return start if start == moment else start + span


def minutes(span: timedelta) -> int:
    return int(span / timedelta(minutes=1))


def cover(
    start: datetime, end: datetime, spans: Sequence[timedelta] = SPANS
) -> list[tuple[int, datetime, datetime]]:
    """[start, end) as abutting pieces (span minutes, lo, hi), in time order: whole buckets of the
    coarsest span that fits, then finer ones, then raw events (span 0) for what no bucket covers."""
    if start >= end:
        return []
    if not spans:
        return [(0, start, end)]
    lo, hi = ceil(start, spans[0]), floor(end, spans[0])
    if lo >= hi:
        return cover(start, end, spans[1:])
    return [*cover(start, lo, spans[1:]), (minutes(spans[0]), lo, hi), *cover(hi, end, spans[1:])]


def add_events(connection: Connection, events: Iterable[EventFacts]) -> None:
    """Add events just inserted into `ledger_events` to the rollups, in the caller's transaction.

    Call it only with rows this transaction inserted: a re-read event must not be counted twice.
    """
    deltas: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for at, usage, config, billable, micros in events:
        for span in SPANS:
            delta = deltas[(minutes(span), floor(at.astimezone(UTC), span), usage, config, billable)]
            delta[0] += micros or 0
            delta[1] += 1
    add_sums(connection, deltas)


def add_sums(connection: Connection, deltas: dict[Key, list[int]]) -> None:
    """Add [micro-dollars, events] to each bucket key, creating the rows not stored yet."""
    if not deltas:
        return
    found = _existing(connection, list(deltas))
    updates = [
        {"row_id": found[key], "d_amount": amount, "d_events": events}
        for key, (amount, events) in deltas.items()
        if key in found
    ]
    inserts = [_new_row(key, amount, events) for key, (amount, events) in deltas.items() if key not in found]
    if updates:
        connection.execute(
            update(ledger_rollups)
            .where(_R.id == bindparam("row_id"))
            .values(
                amount_micros=_R.amount_micros + bindparam("d_amount"),
                events=_R.events + bindparam("d_events"),
            ),
            updates,
        )
    if inserts:
        connection.execute(insert(ledger_rollups), inserts)


def _existing(connection: Connection, keys: list[Key]) -> dict[Key, int]:
    """The id of a stored row for each key that has one, read per span over the keys' bucket range."""
    found: dict[Key, int] = {}
    for span in {key[0] for key in keys}:
        starts = [key[1] for key in keys if key[0] == span]
        query = select(
            _R.id, _R.span_minutes, _R.bucket_start, _R.usage_type, _R.config_fingerprint, _R.billable
        )
        query = query.where(_R.span_minutes == span, _R.bucket_start.between(min(starts), max(starts)))
        for row in connection.execute(query):
            found.setdefault(tuple(row[1:]), row.id)
    return found


def _new_row(key: Key, amount: int, events: int) -> dict[str, Any]:
    span, start, usage, config, billable = key
    return {
        "span_minutes": span,
        "bucket_start": start,
        "usage_type": usage,
        "config_fingerprint": config,
        "billable": billable,
        "amount_micros": amount,
        "events": events,
    }


def repair_hours(connection: Connection) -> list[datetime]:
    """Sum again from its quarter hours each UTC day whose hour rows do not add up to its day row.

    A process of the version before hour buckets still syncing after migration 0012 ran (a rolling
    deploy) adds its events to the quarter-hour and day buckets only. Every stored event is in its
    day's row and in its hour's, so a day whose hours sum to another amount or count than its day row
    lost some: its hour rows are rebuilt from its quarter rows, which that version kept. Run it where
    no other sync writes (the sync lock held). Returns the days rebuilt (their UTC midnights).
    """
    summed = select(_R.bucket_start, func.sum(_R.amount_micros), func.sum(_R.events)).group_by(
        _R.bucket_start
    )
    by_day: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    for start, micros, events in connection.execute(summed.where(_R.span_minutes == minutes(HOUR))):
        sums = by_day[floor(_utc(start), DAY)]
        sums[0] += int(micros)
        sums[1] += int(events)
    days = {
        _utc(start): [int(micros), int(events)]
        for start, micros, events in connection.execute(summed.where(_R.span_minutes == minutes(DAY)))
    }
    broken = sorted(
        day for day in days.keys() | by_day.keys() if days.get(day, [0, 0]) != by_day.get(day, [0, 0])
    )
    for day in broken:
        inside = (_R.bucket_start >= day, _R.bucket_start < day + DAY)
        connection.execute(delete(ledger_rollups).where(_R.span_minutes == minutes(HOUR), *inside))
        columns = (_R.bucket_start, _R.usage_type, _R.config_fingerprint, _R.billable, _R.amount_micros)
        quarters = select(*columns, _R.events).where(_R.span_minutes == minutes(QUARTER), *inside)
        add_sums(connection, hours_of(connection.execute(quarters)))
    return broken


def hours_of(quarters: Iterable[Any]) -> dict[Key, list[int]]:
    """The hour buckets' [micro-dollars, events] summed from quarter-hour rows (bucket start, usage
    type, config, billable, micro-dollars, events): each hour is the sum of its four quarters."""
    deltas: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for start, usage, config, billable, micros, events in quarters:
        sums = deltas[(minutes(HOUR), floor(_utc(start), HOUR), usage, config, billable)]
        sums[0] += int(micros)
        sums[1] += int(events)
    return deltas


def _utc(moment: datetime) -> datetime:
    """A stored bucket start as an aware UTC instant (SQLite's driver may hand it back naive)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
