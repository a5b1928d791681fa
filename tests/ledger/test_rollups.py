"""Spend rollups equal the sums of the events they stand for, however the events arrived.

The expected buckets are computed here from the sandbox's own events (or the rows a test inserted),
with calendar arithmetic of their own (datetime.replace), independent of bot/db/rollups.py. Then the
spend figures read through the rollups are checked against sums of the same events in three zones
(two with daylight-saving changes, one with a half-hour offset) with events on every boundary instant.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import MetaData, Table, insert, inspect, select, text
from sqlalchemy.exc import OperationalError

from bot.db.engine import make_engine, open_database
from bot.db.migrate import upgrade_schema
from bot.db.schema import ledger_job_starts, ledger_jobs, ledger_rollups
from bot.katalo.models import BillingEvent
from bot.ledger.lock import SyncLock
from bot.ledger.spend import SpendFilter, SpendQueries
from bot.sandbox.ledger import SandboxLedger
from tests.conftest import NOW
from tests.ledger.helpers import EVENTS_PATH, insert_events, ledger_ids, mirror_for, stored_ids

ORDERS = ["newest", "oldest"]
ZONES = {
    "berlin": ZoneInfo("Europe/Berlin"),
    "new_york": ZoneInfo("America/New_York"),
    "kolkata": ZoneInfo("Asia/Kolkata"),  # +05:30: local midnight is at hh:30 UTC
    "chatham": ZoneInfo("Pacific/Chatham"),  # +13:45 in summer: local midnight is at hh:15 UTC
}
Bucket = tuple[int, datetime, str | None, str | None, bool | None]


def _quarter(at: datetime) -> datetime:
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _day(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def expected_buckets(events: list[BillingEvent]) -> Counter[tuple[Bucket, str]]:
    """(bucket, "micros"|"events") -> sum, for every span, from the events themselves."""
    sums: Counter[tuple[Bucket, str]] = Counter()
    for e in events:
        at = e.created_at.astimezone(UTC)
        for span, start in ((15, _quarter(at)), (60, _hour(at)), (1440, _day(at))):
            key = (span, start, e.usage_type, e.config_fingerprint, e.billable)
            sums[key, "micros"] += int((e.amount_usd or Decimal(0)) * 1_000_000)
            sums[key, "events"] += 1
    return sums


def stored_buckets(engine) -> Counter[tuple[Bucket, str]]:
    """The same sums read from the rollup table (a key stored on two rows sums, as readers do)."""
    sums: Counter[tuple[Bucket, str]] = Counter()
    with engine.connect() as connection:
        for row in connection.execute(select(ledger_rollups)):
            key = (row.span_minutes, row.bucket_start, row.usage_type, row.config_fingerprint, row.billable)
            sums[key, "micros"] += row.amount_micros
            sums[key, "events"] += row.events
    return +sums  # without zero entries


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Per-job rollup scopes: (scope, keyed by usage type, keyed by config).
_SCOPES = ((0, False, False), (1, True, False), (2, False, True), (3, True, True))
_SPAN_LIMITS_US = (3_600 * 10**6, 86_400 * 10**6, 32 * 86_400 * 10**6)


def expected_jobs(events: list[BillingEvent]) -> dict[tuple, tuple[int, int, int, int, int]]:
    """(job, scope, type, config) -> (first us, last us, span class, micros, events), from the events."""
    found: dict[tuple, list[int]] = {}
    for e in events:
        at = (e.created_at - _EPOCH) // timedelta(microseconds=1)
        micros = int((e.amount_usd or Decimal(0)) * 1_000_000)
        for scope, by_type, by_config in _SCOPES:
            key = (
                e.job_id,
                scope,
                (e.usage_type or "") if by_type else "",
                (e.config_fingerprint or "") if by_config else "",
            )
            row = found.setdefault(key, [at, at, 0, 0])
            row[:] = [min(row[0], at), max(row[1], at), row[2] + micros, row[3] + 1]
    return {
        key: (first, last, sum(1 for limit in _SPAN_LIMITS_US if last - first > limit), micros, count)
        for key, (first, last, micros, count) in found.items()
    }


def stored_jobs(engine) -> dict[tuple, tuple[int, int, int, int, int]]:
    with engine.connect() as connection:
        return {
            (r.job_id, r.scope, r.usage_type, r.config_fingerprint): (
                r.first_us,
                r.last_us,
                r.span_class,
                r.amount_micros,
                r.events,
            )
            for r in connection.execute(select(ledger_jobs))
        }


def expected_starts(jobs: dict[tuple, tuple[int, int, int, int, int]]) -> Counter[tuple]:
    """(scope, type, config, UTC day start in us) -> rows whose first event is in that day."""
    day = 86_400 * 10**6
    return Counter(
        (scope, usage, config, first // day * day) for (_, scope, usage, config), (first, *_) in jobs.items()
    )


def stored_starts(engine) -> Counter[tuple]:
    with engine.connect() as connection:
        rows = connection.execute(select(ledger_job_starts)).all()
    return +Counter({(r.scope, r.usage_type, r.config_fingerprint, r.day_us): r.jobs for r in rows})


def sandbox_events(sandbox) -> list[BillingEvent]:
    return [BillingEvent.model_validate(e) for e in sandbox.ledger.iter_events()]


def assert_rollups_match(engine, sandbox) -> None:
    assert stored_ids(engine) == ledger_ids(sandbox)  # each event stored once...
    events = sandbox_events(sandbox)
    assert stored_buckets(engine) == +expected_buckets(events)  # ...and counted once
    assert stored_jobs(engine) == expected_jobs(events)  # ...in the per-job rollups too
    assert stored_starts(engine) == expected_starts(expected_jobs(events))  # ...each job started once


@pytest.mark.parametrize("order", ORDERS)
def test_rollups_equal_the_events_after_a_sync_and_an_incremental_one(engine, start_sandbox, order):
    sandbox = start_sandbox(SandboxLedger(seed=3, events=400, now=NOW, days=3), order=order)
    mirror = mirror_for(engine, sandbox)
    assert mirror.run_sync().complete
    assert_rollups_match(engine, sandbox)
    sandbox.ledger.append(120)
    assert mirror.run_sync().complete
    assert_rollups_match(engine, sandbox)


@pytest.mark.parametrize("order", ORDERS)
def test_an_interrupted_walk_that_resumes_counts_each_event_once(engine, start_sandbox, order):
    """A sync dies on page 3; the next one re-reads from its saved cursor and finishes: no double count."""
    sandbox = start_sandbox(SandboxLedger(seed=3, events=300, now=NOW, days=2), order=order)
    mirror = mirror_for(engine, sandbox)
    sandbox.inject(EVENTS_PATH, delay=0, times=2)
    sandbox.inject(EVENTS_PATH, status=500, times=None)
    assert not mirror.run_sync().complete
    sandbox.clear_faults()
    sandbox.ledger.append(40)
    assert mirror.run_sync().complete
    assert_rollups_match(engine, sandbox)


@pytest.mark.parametrize("order", ORDERS)
def test_an_expired_cursor_re_reads_stored_pages_without_counting_them_again(engine, start_sandbox, order):
    sandbox = start_sandbox(SandboxLedger(seed=3, events=300, now=NOW, days=2), order=order)
    mirror = mirror_for(engine, sandbox)
    expired = False

    def expire_after_three_pages(report) -> None:
        nonlocal expired
        if report.pages == 3 and not expired:
            expired = True
            sandbox.expire_cursors()

    report = mirror.run_sync(progress=expire_after_three_pages)
    assert report.complete and report.restarts == 1
    assert_rollups_match(engine, sandbox)


def test_a_new_process_goes_on_where_the_last_stopped(database_url, start_sandbox):
    """A sync, then a new engine (as after a restart) syncs what came since: the sums stay exact."""
    sandbox = start_sandbox(SandboxLedger(seed=4, events=250, now=NOW, days=2))
    first = open_database(database_url)
    assert mirror_for(first, sandbox).run_sync().complete
    first.dispose()
    sandbox.ledger.append(90)
    second = open_database(database_url)
    assert mirror_for(second, sandbox).run_sync().complete
    assert_rollups_match(second, sandbox)
    second.dispose()


def test_two_syncs_past_the_lock_still_count_each_event_once(engine, start_sandbox, monkeypatch):
    monkeypatch.setattr(SyncLock, "try_acquire", lambda self: True)
    sandbox = start_sandbox(SandboxLedger(seed=4, events=250, now=NOW, days=2))
    sandbox.latency = 0.01
    mirrors = [mirror_for(engine, sandbox) for _ in range(2)]
    threads = [threading.Thread(target=m.run_sync) for m in mirrors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert mirror_for(engine, sandbox).run_sync().complete
    assert_rollups_match(engine, sandbox)


def mirror_as_of(database_url: str, revision: str, ledger: SandboxLedger) -> list[BillingEvent]:
    """A database left at `revision`, holding the ledger's events as that revision's table stored them
    (and none of the rollups later revisions add); the events, to compute what they should sum to."""
    engine = make_engine(database_url)
    upgrade_schema(engine, revision)
    old = Table("ledger_events", MetaData(), autoload_with=engine)  # as `revision` left it
    events = [BillingEvent.model_validate(e) for e in ledger.iter_events()]
    rows = [{**e.model_dump(include=set(old.c.keys())), "stored_at": NOW} for e in events]
    for row in rows:  # stored as whole micro-dollars, as bot.db.types.MicroDollars writes them
        for money in ("unit_price_usd", "amount_usd"):
            row[money] = None if row[money] is None else int(row[money] * 1_000_000)
    with engine.begin() as connection:
        connection.execute(insert(old), rows)
    engine.dispose()
    return events


def table_names(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_migrating_a_0005_mirror_backfills_the_rollups(database_url):
    """Events stored before the rollups existed are summed into them by the migration."""
    events = mirror_as_of(database_url, "0005", SandboxLedger(seed=9, events=700, now=NOW, days=5))
    assert "ledger_rollups" not in table_names(database_url)
    migrated = open_database(database_url)
    assert stored_buckets(migrated) == +expected_buckets(events)
    migrated.dispose()


def test_migrating_a_0008_mirror_backfills_the_job_rollups(database_url):
    """Events stored before the per-job rollups existed are summed into them by migration 0009."""
    events = mirror_as_of(database_url, "0008", SandboxLedger(seed=11, events=900, now=NOW, days=5))
    assert "ledger_jobs" not in table_names(database_url)
    migrated = open_database(database_url)
    assert stored_jobs(migrated) == expected_jobs(events)
    assert stored_starts(migrated) == expected_starts(expected_jobs(events))
    assert len({key[0] for key in stored_jobs(migrated)}) == len({e.job_id for e in events})
    migrated.dispose()


def test_migrating_a_0011_mirror_sums_its_quarter_hours_into_hours(database_url):
    """A mirror the version before hour rollups kept (day and quarter buckets only) gets hour buckets
    equal to its events' sums from migration 0012, with events split over many hours and keys."""
    engine = make_engine(database_url)
    upgrade_schema(engine, "0011")
    ledger = SandboxLedger(seed=12, events=1_500, now=NOW, days=6)
    events = [BillingEvent.model_validate(e) for e in ledger.iter_events()]
    with engine.begin() as connection:
        insert_events(connection, [{**e.model_dump(), "stored_at": NOW} for e in events])
        # What that version stored: no hour rows.
        connection.execute(ledger_rollups.delete().where(ledger_rollups.c.span_minutes == 60))
    assert {key[0] for key, _ in stored_buckets(engine)} == {15, 1440}
    engine.dispose()
    migrated = open_database(database_url)
    assert stored_buckets(migrated) == +expected_buckets(events)
    migrated.dispose()


def test_a_vacuum_that_fails_is_logged_and_the_sync_still_succeeds(
    engine, start_sandbox, monkeypatch, caplog
):
    """The table upkeep after a sync is best effort: a refused VACUUM (a statement timeout, say) is a
    warning, and the sync that stored the events reports success."""
    monkeypatch.setattr("bot.ledger.sync.ANALYZE_AFTER", 100)

    def refused(self, *, vacuum=False):
        if vacuum:
            raise OperationalError("VACUUM", {}, Exception("canceling statement due to statement timeout"))

    monkeypatch.setattr("bot.ledger.store.LedgerStore.refresh_statistics", refused)
    sandbox = start_sandbox(SandboxLedger(seed=3, events=150, now=NOW, days=2))
    with caplog.at_level("WARNING", logger="bot.ledger.sync"):
        report = mirror_for(engine, sandbox).run_sync()
    assert report.complete and report.error is None and report.events_new == 150
    assert "looking after the ledger tables after the sync failed: OperationalError" in caplog.text


def test_events_an_older_version_stored_without_hour_buckets_are_summed_in_by_the_next_sync(
    engine, start_sandbox, monkeypatch, caplog
):
    """A rolling deploy: after migration 0012, a process of the version before it syncs pages into the
    quarter and day buckets only. The clock's next sync finds the days whose hours no longer add up
    and sums them again from their quarter hours; figures by hour are the events' again."""
    sandbox = start_sandbox(SandboxLedger(seed=13, events=400, now=NOW, days=3))
    assert mirror_for(engine, sandbox).run_sync().complete
    sandbox.ledger.append(250)
    with monkeypatch.context() as old_version:
        old_version.setattr("bot.db.rollups.SPANS", (timedelta(days=1), timedelta(minutes=15)))
        assert mirror_for(engine, sandbox).sync.run().events_new == 250  # a question's sync: no check
    events = [BillingEvent.model_validate(e) for e in sandbox.ledger.iter_events()]
    assert stored_buckets(engine) != +expected_buckets(events)
    with caplog.at_level("WARNING", logger="bot.ledger.sync"):
        report = mirror_for(engine, sandbox).run_sync()
    assert report.complete and report.events_new == 0
    assert stored_buckets(engine) == +expected_buckets(events)
    assert "did not add up to their day buckets" in caplog.text and "summed again" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="bot.ledger.sync"):
        mirror_for(engine, sandbox).run_sync()
    assert "did not add up" not in caplog.text  # nothing left to repair: nothing said


# --- spend figures through the rollups ---------------------------------------------------------------


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _edge_rows(zone: ZoneInfo, days: list[date]) -> list[dict]:
    """Events on every local midnight, a microsecond before it, and on UTC quarter/day boundaries."""
    tick = timedelta(microseconds=1)
    instants = []
    for day in days:
        local = midnight(day, zone)
        utc = datetime(day.year, day.month, day.day, tzinfo=UTC)
        instants += [local, local - tick, utc, utc - tick, utc + timedelta(hours=7, minutes=45) - tick]
    return [
        {
            "event_id": f"edge_{n}",
            "job_id": f"job_edge_{n % 7}",
            "created_at": at,
            "usage_type": "upscale" if n % 2 else "generation",
            "billable": n % 3 != 0,
            "unit_price_usd": Decimal(n % 5 + 1) / 100,
            "amount_usd": Decimal(n % 5 + 1) / 100 if n % 3 else Decimal(0),
            "config_fingerprint": "cfg_edge",
            "stored_at": at,
        }
        for n, at in enumerate(sorted(set(instants)))
    ]


@pytest.fixture(params=ORDERS)
def mirrored(request, engine, start_sandbox):
    """60 days of sandbox events (Sep 25 – Nov 24 2026) synced in either order."""
    sandbox = start_sandbox(SandboxLedger(seed=5, events=3000, now=NOW, days=60), order=request.param)
    assert mirror_for(engine, sandbox, page_limit=100).run_sync().complete
    return engine, sandbox_events(sandbox)


@pytest.mark.parametrize("zone_name", list(ZONES))
def test_spend_through_rollups_equals_the_events_on_every_boundary(mirrored, zone_name):
    """Local days across DST, a month, a week and a window with off-grid ends (as a billing period
    has) total what their events add up to, with events on each boundary counted exactly once."""
    engine, ledger = mirrored
    zone = ZONES[zone_name]
    days = [date(2026, 10, 1) + timedelta(days=n) for n in range(40)]  # holds Oct 25 and Nov 1
    edges = _edge_rows(zone, days)
    with engine.begin() as connection:
        insert_events(connection, edges)
    events = ledger + [BillingEvent.model_validate(row) for row in edges]
    queries = SpendQueries(engine)
    off_grid = datetime(2026, 10, 3, 13, 7, 11, 500_000, tzinfo=UTC)
    windows = [(midnight(d, zone), midnight(d + timedelta(days=1), zone)) for d in days]
    windows += [
        (midnight(days[0], zone), midnight(date(2026, 11, 1), zone)),
        (off_grid, off_grid + timedelta(days=31)),
    ]
    only = SpendFilter(types=("upscale", "generation"))
    for start, end in windows:
        inside = [e for e in events if start <= e.created_at < end]
        expected = sum((e.amount_usd or Decimal(0) for e in inside), Decimal(0))
        totals = queries.totals(start, end)
        assert (totals.amount_usd, totals.billable_events + totals.unbilled_events) == (expected, len(inside))
        assert totals.billable_events == sum(1 for e in inside if e.billable is True)
        by_type = {
            row.key: (row.amount_usd, row.events) for row in queries.breakdown(start, end, "type", only)
        }
        assert by_type == _grouped([e for e in inside if e.usage_type in only.types])
    daily = queries.by_day([(d, *window) for d, window in zip(days, windows, strict=False)])
    assert [(d.amount_usd, d.events) for d in daily] == [
        (sum((e.amount_usd or Decimal(0) for e in evs), Decimal(0)), len(evs))
        for evs in ([e for e in events if s <= e.created_at < t] for s, t in windows[: len(days)])
    ]


def _grouped(events: list[BillingEvent]) -> dict[str | None, tuple[Decimal, int]]:
    groups: dict[str | None, tuple[Decimal, int]] = {}
    for e in events:
        amount, count = groups.get(e.usage_type, (Decimal(0), 0))
        groups[e.usage_type] = (amount + (e.amount_usd or Decimal(0)), count + 1)
    return groups


def test_a_large_sync_refreshes_postgresql_statistics(engine, start_sandbox, monkeypatch):
    """Without statistics PostgreSQL plans ledger_jobs as empty and walks the wrong index (0.4 s for
    a day's answer on a 1,000,000-event mirror): a sync that stored many events has it ANALYZE them,
    and once done, VACUUM them (so index-only scans stop reading rows, where autovacuum is off)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps no planner statistics unless asked")
    monkeypatch.setattr("bot.ledger.sync.ANALYZE_AFTER", 300)

    def tables(done: str) -> set[str]:
        query = text(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema()"
            f" AND {done} IS NOT NULL AND relname LIKE 'ledger_%'"
        )
        with engine.connect() as connection:
            return set(connection.execute(query).scalars())

    sandbox = start_sandbox(SandboxLedger(seed=3, events=299, now=NOW, days=2))
    assert mirror_for(engine, sandbox).run_sync().events_new == 299
    assert tables("last_analyze") == tables("last_vacuum") == set()  # fewer than the threshold: left alone
    sandbox.ledger.append(300)
    assert mirror_for(engine, sandbox).run_sync().events_new == 300
    every = {"ledger_events", "ledger_rollups", "ledger_jobs", "ledger_job_starts"}
    assert tables("last_analyze") == tables("last_vacuum") == every
