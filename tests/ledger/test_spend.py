"""Spend aggregates equal sums computed independently from the sandbox's own events, to the cent.

Windows are local periods in two zones with daylight-saving changes, over mirrors synced in both page
orders; events placed exactly on boundary instants count in exactly one window.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.figures import DaySpend, SpendRow, SpendTotals
from bot.katalo.models import BillingEvent
from bot.ledger.spend import SpendFilter, SpendQueries
from bot.sandbox.ledger import SandboxLedger
from tests.conftest import NOW
from tests.ledger.helpers import insert_events, mirror_for

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(params=["newest", "oldest"])
def synced(request, engine, start_sandbox):
    """A 3,000-event sandbox ledger over 60 days (Sep 25 – Nov 24 2026), mirrored in either page order."""
    sandbox = start_sandbox(SandboxLedger(seed=5, events=3000, now=NOW, days=60), order=request.param)
    assert mirror_for(engine, sandbox, page_limit=100).run_sync().complete
    return SpendQueries(engine), [BillingEvent.model_validate(e) for e in sandbox.ledger.iter_events()]


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight, computed here independently of bot.periods."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def inside(events: list[BillingEvent], start: datetime, end: datetime) -> list[BillingEvent]:
    return [e for e in events if start <= e.created_at < end]


def amount(events: list[BillingEvent]) -> Decimal:
    return sum((e.amount_usd or Decimal(0) for e in events), Decimal("0.00"))


def expected_totals(events: list[BillingEvent]) -> SpendTotals:
    billable = sum(1 for e in events if e.billable is True)
    return SpendTotals(amount(events), billable, len(events) - billable, len({e.job_id for e in events}))


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK], ids=["berlin", "new_york"])
def test_month_totals_equal_the_ledger_across_dst(synced, zone):
    """October 2026 (which holds a DST change in both zones) totals exactly what its events add up to."""
    queries, ledger = synced
    start, end = midnight(date(2026, 10, 1), zone), midnight(date(2026, 11, 1), zone)
    expected = expected_totals(inside(ledger, start, end))
    assert queries.totals(start, end) == expected
    assert queries.amount(start, end) == expected.amount_usd
    assert expected.billable_events > 1000 and expected.unbilled_events > 0


@pytest.mark.parametrize("by", ["type", "config", "job"])
def test_breakdowns_equal_independent_groupings_and_add_up(synced, by):
    """Each breakdown row is its group's exact sum and count; the rows add up to the total."""
    queries, ledger = synced
    start, end = midnight(date(2026, 10, 19), BERLIN), midnight(date(2026, 10, 26), BERLIN)
    week = inside(ledger, start, end)
    key = {"type": "usage_type", "config": "config_fingerprint", "job": "job_id"}[by]
    groups: dict[str | None, list[BillingEvent]] = defaultdict(list)
    for event in week:
        groups[getattr(event, key)].append(event)
    rows = queries.breakdown(start, end, by)
    assert {row.key: (row.amount_usd, row.events) for row in rows} == {
        k: (amount(v), len(v)) for k, v in groups.items()
    }
    assert [row.amount_usd for row in rows] == sorted((row.amount_usd for row in rows), reverse=True)
    assert sum(row.amount_usd for row in rows) == queries.totals(start, end).amount_usd
    assert queries.top(start, end, by, limit=3) == (rows[:3], len(rows))


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK], ids=["berlin", "new_york"])
def test_days_are_exact_local_days_across_dst(synced, zone):
    """Each local day of October (23, 24 and 25-hour days) sums exactly its own events."""
    queries, ledger = synced
    days = [date(2026, 10, 1) + timedelta(days=n) for n in range(31)]
    windows = [(d, midnight(d, zone), midnight(d + timedelta(days=1), zone)) for d in days]
    got = queries.by_day(windows)
    expected = [DaySpend(d, amount(inside(ledger, s, e)), len(inside(ledger, s, e))) for d, s, e in windows]
    assert got == expected
    assert sum(d.amount_usd for d in got) == queries.totals(windows[0][1], windows[-1][2]).amount_usd


def test_filters_narrow_every_figure(synced):
    """type: and config: filters narrow totals, breakdowns and days to the matching events."""
    queries, ledger = synced
    start, end = midnight(date(2026, 10, 1), BERLIN), midnight(date(2026, 11, 1), BERLIN)
    config = ledger[0].config_fingerprint
    assert config is not None
    only = SpendFilter(types=("upscale", "regeneration"), configs=(config,))
    chosen = [
        e for e in inside(ledger, start, end) if e.usage_type in only.types and e.config_fingerprint == config
    ]
    assert queries.totals(start, end, only) == expected_totals(chosen)
    assert {row.key for row in queries.breakdown(start, end, "type", only)} == {"upscale", "regeneration"}
    assert sum(d.events for d in queries.by_day([(date(2026, 10, 1), start, end)], only)) == len(chosen)


def test_known_types_and_configs(synced):
    """The usage types and configs a filter may name are those in the mirror."""
    queries, ledger = synced
    assert queries.known("type") == sorted({e.usage_type for e in ledger if e.usage_type})
    assert queries.exists("config", ledger[0].config_fingerprint or "")
    assert not queries.exists("type", "month")


def _event(event_id: str, at: datetime, cents: int) -> dict:
    return {
        "event_id": event_id,
        "job_id": f"job_{event_id}",
        "created_at": at,
        "usage_type": "generation",
        "billable": True,
        "unit_price_usd": Decimal(cents) / 100,
        "amount_usd": Decimal(cents) / 100,
        "config_fingerprint": "cfg_edge",
        "stored_at": at,
    }


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK], ids=["berlin", "new_york"])
def test_events_on_boundary_instants_count_in_exactly_one_day(engine, zone):
    """An event at local midnight to the microsecond belongs to the day it starts, one a microsecond
    earlier to the day before; the last instant of a billing period stays in it."""
    fall = {BERLIN: date(2026, 10, 25), NEW_YORK: date(2026, 11, 1)}[zone]  # the 25-hour day
    days = [fall - timedelta(days=1), fall, fall + timedelta(days=1)]
    bounds = [midnight(d, zone) for d in [*days, fall + timedelta(days=2)]]
    tick = timedelta(microseconds=1)
    rows = [
        _event("at_start", bounds[1], 100),  # the fall day's first instant
        _event("before_start", bounds[1] - tick, 10),  # the previous day's last instant
        _event("at_end", bounds[2], 1000),  # the next day's first instant
        _event("before_end", bounds[2] - tick, 1),  # the fall day's last instant
    ]
    with engine.begin() as connection:
        insert_events(connection, rows)
    queries = SpendQueries(engine)
    windows = list(zip(days, bounds, bounds[1:], strict=False))
    assert [(d.amount_usd, d.events) for d in queries.by_day(windows)] == [
        (Decimal("0.10"), 1),
        (Decimal("1.01"), 2),
        (Decimal("10.00"), 1),
    ]
    assert queries.totals(bounds[1], bounds[2]).amount_usd == Decimal("1.01")
    assert queries.breakdown(bounds[1], bounds[2], "job") == [
        SpendRow("job_at_start", Decimal("1.00"), 1),
        SpendRow("job_before_end", Decimal("0.01"), 1),
    ]


def test_an_empty_window_is_zero_not_missing(engine):
    """A period with no events has a total of $0.00, no rows, and zero days."""
    queries = SpendQueries(engine)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert queries.totals(start, start + timedelta(days=1)) == SpendTotals(Decimal("0.00"), 0, 0, 0)
    assert queries.breakdown(start, start + timedelta(days=1), "config") == []
    assert queries.by_day([(start.date(), start, start + timedelta(days=1))]) == [
        DaySpend(start.date(), Decimal("0.00"), 0)
    ]


def test_a_snapshot_reads_one_state_while_a_sync_writes(engine):
    """Figures read in one snapshot agree with each other even when events arrive between the queries."""
    queries = SpendQueries(engine)
    start = datetime(2026, 11, 2, tzinfo=UTC)
    end = start + timedelta(days=1)
    with engine.begin() as connection:
        insert_events(connection, [_event("first", start, 100)])
    with queries.snapshot() as snapshot:
        before = snapshot.totals(start, end)
        with engine.begin() as connection:  # a sync commits in between
            insert_events(connection, [_event("second", start, 250)])
        assert snapshot.top(start, end, "job") == ([SpendRow("job_first", Decimal("1.00"), 1)], 1)
        assert snapshot.amount(start, end) == before.amount_usd == Decimal("1.00")
    assert queries.amount(start, end) == Decimal("3.50")
