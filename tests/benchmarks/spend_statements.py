"""Where one spend answer's time goes: each SQL statement it runs, timed, on a mirror already synced.

    .venv/bin/python -m tests.benchmarks.spend_statements DATABASE_URL [--period 400] [--by day]
        [--type upscale] [--zone Europe/Berlin] [--runs 5]

Reads the mirror directly (no Katalo, no Slack): the queries of one `/katalo spend` answer, in its
snapshot, as bot.services.spend runs them, `--runs` times. Prints each part's median (the per-day
figures, the top rows, the totals, the previous period) and each statement's median time in the
database driver, slowest first. Build a mirror first, for example with
`python -m tests.benchmarks.ledger --events 1000000 --days 396 --database-url URL`.
Not part of the test suite (pytest collects only test_*.py).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event

from bot.blocks.spend import CHART_DAYS
from bot.db import open_database
from bot.ledger.spend import SpendFilter, SpendQueries
from bot.periods import Period, PeriodSpec, previous, resolve

PERIODS = {
    "yesterday": PeriodSpec("yesterday"),
    "week": PeriodSpec("last_week"),
    "month": PeriodSpec("last_month"),
    "400": PeriodSpec("last_days", days=400),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("--period", choices=sorted(PERIODS), default="400")
    parser.add_argument("--by", choices=("type", "config", "job", "day"), default="day")
    parser.add_argument("--type", action="append", default=[], help="a type: filter (repeatable)")
    parser.add_argument("--zone", default="Europe/Berlin")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    engine = open_database(args.database_url)
    now = datetime.now(UTC)
    period = resolve(PERIODS[args.period], now=now, zone=ZoneInfo(args.zone), billing=None)
    assert isinstance(period, Period)
    statements: dict[str, list[float]] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def started(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def finished(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        elapsed = (time.perf_counter() - conn.info["started"]) * 1000
        statements.setdefault(" ".join(statement.split())[:90], []).append(elapsed)

    parts: dict[str, list[float]] = {}
    for _ in range(args.runs):
        answer(SpendQueries(engine), period, now, args.by, SpendFilter(tuple(args.type)), parts)
    for name, samples in parts.items():
        print(f"{name:<8} {statistics.median(samples):7.1f} ms")
    print("statements (driver time, median; SQLite reads rows as they are fetched, so less is shown):")
    for text, samples in sorted(statements.items(), key=lambda item: -statistics.median(item[1])):
        print(f"{statistics.median(samples):7.1f} ms x{len(samples):<3} {text}")


def answer(
    queries: SpendQueries,
    period: Period,
    now: datetime,
    by: str,
    only: SpendFilter,
    parts: dict[str, list[float]],
) -> None:
    """The queries of one answer (bot.services.spend.Spend._report), each part timed."""

    def timed(name: str, action: Callable[[], Any]) -> None:
        started = time.perf_counter()
        action()
        parts.setdefault(name, []).append((time.perf_counter() - started) * 1000)

    begun = [day for day in period.days() if day[1] < now]
    before = previous(period, now)
    with queries.snapshot() as snapshot:
        if by == "day" or period.day_count in CHART_DAYS:
            timed("by_day", lambda: snapshot.by_day(begun, only))
        if by != "day":
            timed("top", lambda: snapshot.top(period.start, period.end, by, only, limit=10))
        timed("totals", lambda: snapshot.totals(period.start, period.end, only))
        timed("previous", lambda: snapshot.amount(before.start, before.end, only))


if __name__ == "__main__":
    main()
