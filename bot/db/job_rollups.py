"""The per-job rollups (`ledger_jobs`, `ledger_job_starts`): what they hold, and adding new events.

A row sums the events of one job in one scope (SCOPES: all of them, one usage type, one config, or
one of each): the first and last event's time as epoch microseconds, the amount in micro-dollars and
the count. A filter of one type, one config or one of each thus reads one row per job, as no filter
does: no grouping, and the largest jobs come first from an index. A window's distinct jobs and top
jobs are then read from the rows lying wholly inside it; the few jobs whose first and last events lie
on two sides of one of its edges are read from their events (bot/ledger/spend_jobs.py). Finding those
takes `span_class`: rows are grouped by how long they span, so the rows crossing an instant are found
among those starting at most one class limit before it. `ledger_job_starts` counts the rows of each
key whose first event is in each UTC day, so a window's jobs are summed rather than counted.

Rows change only by an upsert that adds deltas and widens [first, last] (`amount = amount + d`), in
the transaction that stores the events: two writers never lose each other's additions, and a
re-read event, which the insert does not return, is never added. Moving a start count reads the
stored first event before the upsert; save_page serializes the sync's writes (it locks the state row
first), so what it read is what the upsert compares with.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, case, select

from bot.db.claims import insert_for
from bot.db.schema import ledger_job_starts, ledger_jobs

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
# Upper bounds (microseconds, inclusive) of last - first for classes 0, 1, 2; class 3 is unbounded.
SPAN_LIMITS = (3_600_000_000, 86_400_000_000, 32 * 86_400_000_000)
DAY_US = 86_400_000_000  # a UTC day of ledger_job_starts
NONE = ""  # a key part the scope leaves out, or the event left empty (NULL would never match a key)
# Scope number -> (keyed by usage type, keyed by config).
SCOPES = {0: (False, False), 1: (True, False), 2: (False, True), 3: (True, True)}

# (job_id, created_at, usage_type, config_fingerprint, amount in micro-dollars or None)
JobFacts = tuple[str, datetime, str | None, str | None, int | None]
_J = ledger_jobs.c


def epoch_us(moment: datetime) -> int:
    """An aware instant as whole microseconds since the Unix epoch (what first_us and last_us hold)."""
    return (moment - _EPOCH) // _MICRO


def span_class(span_us: Any) -> Any:
    """The class of a span (last - first, microseconds): a CASE in SQL, or an int for an int."""
    if isinstance(span_us, int):
        return next((n for n, limit in enumerate(SPAN_LIMITS) if span_us <= limit), len(SPAN_LIMITS))
    return case(*((span_us <= limit, n) for n, limit in enumerate(SPAN_LIMITS)), else_=len(SPAN_LIMITS))


def add_job_events(connection: Connection, events: Iterable[JobFacts]) -> None:
    """Add events just inserted into `ledger_events` to the per-job rollups, in the caller's transaction.

    Call it only with rows this transaction inserted: a re-read event must not be counted twice.
    """
    rows: dict[tuple[str, int, str, str], dict[str, Any]] = {}
    for job, at, usage, config, micros in events:
        moment = epoch_us(at.astimezone(UTC))
        for scope, (by_type, by_config) in SCOPES.items():
            key = (job, scope, (usage or NONE) if by_type else NONE, (config or NONE) if by_config else NONE)
            row = rows.get(key)
            if row is None:
                rows[key] = row = _new_row(key, moment)
            row["first_us"] = min(row["first_us"], moment)
            row["last_us"] = max(row["last_us"], moment)
            row["amount_micros"] += micros or 0
            row["events"] += 1
    if not rows:
        return
    for row in rows.values():
        row["span_class"] = span_class(row["last_us"] - row["first_us"])
    _move_starts(connection, rows)  # before the upsert: it compares with the stored first events
    connection.execute(_upsert(connection.engine.dialect.name), list(rows.values()))


def _move_starts(connection: Connection, rows: dict[tuple[str, int, str, str], dict[str, Any]]) -> None:
    """Count each new row in the day of its first event, and move a row whose first event is now
    earlier to that event's day. The sync's writes are serialized (save_page updates the state row
    first), so the first events read here are those the upsert will compare with."""
    jobs = sorted({key[0] for key in rows})
    stored: dict[tuple[str, int, str, str], int] = {}
    columns = (_J.job_id, _J.scope, _J.usage_type, _J.config_fingerprint, _J.first_us)
    for first in range(0, len(jobs), 500):
        for found in connection.execute(select(*columns).where(_J.job_id.in_(jobs[first : first + 500]))):
            stored[(found[0], found[1], found[2], found[3])] = found[4]
    deltas: Counter[tuple[int, str, str, int]] = Counter()
    for key, values in rows.items():
        old = stored.get(key)
        new = values["first_us"] if old is None else min(old, values["first_us"])
        if old is not None:
            deltas[(*key[1:], old // DAY_US * DAY_US)] -= 1
        deltas[(*key[1:], new // DAY_US * DAY_US)] += 1
    moved = [
        {"scope": scope, "usage_type": usage, "config_fingerprint": config, "day_us": day, "jobs": n}
        for (scope, usage, config, day), n in deltas.items()
        if n
    ]
    if moved:
        connection.execute(_count_starts(connection.engine.dialect.name), moved)


@cache
def _count_starts(dialect: str) -> Any:
    """INSERT a day's start count, or add it to the stored one."""
    statement = insert_for(dialect)(ledger_job_starts)
    starts = ledger_job_starts.c
    conflict = [starts.scope, starts.usage_type, starts.config_fingerprint, starts.day_us]
    return statement.on_conflict_do_update(
        index_elements=conflict, set_={"jobs": starts.jobs + statement.excluded.jobs}
    )


def _new_row(key: tuple[str, int, str, str], moment: int) -> dict[str, Any]:
    job, scope, usage, config = key
    return {
        "job_id": job,
        "scope": scope,
        "usage_type": usage,
        "config_fingerprint": config,
        "first_us": moment,
        "last_us": moment,
        "amount_micros": 0,
        "events": 0,
    }


@cache  # built once per database kind: building it again for every page took 7% of a sync's time
def _upsert(dialect: str) -> Any:
    """INSERT, or on a stored key: add the amounts and widen [first, last] (and so its span class)."""
    statement = insert_for(dialect)(ledger_jobs)
    new = statement.excluded
    first = case((new.first_us < _J.first_us, new.first_us), else_=_J.first_us)
    last = case((new.last_us > _J.last_us, new.last_us), else_=_J.last_us)
    return statement.on_conflict_do_update(
        index_elements=[_J.job_id, _J.scope, _J.usage_type, _J.config_fingerprint],
        set_={
            "first_us": first,
            "last_us": last,
            "span_class": span_class(last - first),
            "amount_micros": _J.amount_micros + new.amount_micros,
            "events": _J.events + new.events,
        },
    )
