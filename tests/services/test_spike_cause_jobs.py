"""The jobs a spike alert names: read from the largest jobs of the day and only their history, they
are exactly those that every job's amount on every one of the 29 days would give.

The brute force here is what the cause did before: each day's spend per job (every job), the usual
as the mean over the days before, the rises ranked by `drivers`. The sandbox's fixed unit prices
make most jobs tie, which is the case the shortcut has to get right.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.alerts.cause import TOP, Drivers, drivers, usual_by_key
from bot.ledger.spend import SpendQueries
from bot.periods import day_bounds
from bot.sandbox import wire
from bot.sandbox.ledger import SandboxLedger
from bot.services.alerts import spike
from tests.conftest import NOW
from tests.services.alert_rig import burst_on, make_rig

__all__ = ["make_rig"]  # the fixture, imported for pytest

HISTORY = 28


def every_job(queries: SpendQueries, day: date, zone: ZoneInfo) -> dict[str, object]:
    start, end = day_bounds(day, zone)
    return {row.key: row.amount_usd for row in queries.breakdown(start, end, "job")}


def brute_force(queries: SpendQueries, day: date, days: int, zone: ZoneInfo) -> Drivers:
    history = [every_job(queries, day - timedelta(days=n), zone) for n in range(days, 0, -1)]
    return drivers(every_job(queries, day, zone), usual_by_key(history))  # type: ignore[arg-type]


@pytest.mark.parametrize("zone", [ZoneInfo("UTC"), ZoneInfo("America/New_York")])
def test_the_named_jobs_and_the_total_rise_match_every_jobs_sums(make_rig, monkeypatch, zone):
    """Every day with 28 days before it, in two zones; the burst day among them. Both paths are
    taken: the first twelve jobs settling it, and (on the steady jobs' day) the search widening."""
    ledger, rig = make_rig()
    burst_on(ledger, datetime(2026, 11, 20, 12, tzinfo=NOW.tzinfo))
    steady_jobs(ledger, date(2026, 11, 18))
    rig.runner.check()  # syncs the mirror
    queries = SpendQueries(rig.engine)
    limits: list[int] = []
    top = queries.top
    monkeypatch.setattr(
        queries, "top", lambda *a, limit, **k: limits.append(limit) or top(*a, limit=limit, **k)
    )
    first = NOW.astimezone(zone).date() - timedelta(days=38) + timedelta(days=HISTORY)
    days = [first + timedelta(days=n) for n in range((NOW.astimezone(zone).date() - first).days)]
    assert len(days) >= 8
    for day in days:
        fast = spike._job_drivers(queries, day, HISTORY, zone)
        slow = brute_force(queries, day, HISTORY, zone)
        assert fast.named == slow.named, day
        # One division of the whole against a sum of per-job quotients: equal far below a cent.
        assert abs(fast.total_rise - slow.total_rise) < Decimal("1e-18"), day
        assert len(fast.named) == TOP
    assert 4 * TOP in limits and any(limit > 4 * TOP for limit in limits)


def steady_jobs(ledger: SandboxLedger, day: date, jobs: int = 4 * TOP + 1) -> None:
    """More jobs than the first look reads, each spending $5.00 on `day` and on each of the 28 days
    before it: the largest jobs of that day, and none of them rose, so the search has to widen."""
    for back in range(HISTORY + 1):
        morning = datetime.combine(day - timedelta(days=back), time(6), tzinfo=UTC)  # 01:00 in New York
        for n in range(jobs):  # 80 minutes apart: distinct events (about 29 minutes apart), all that day
            index = ledger.index_at(wire.to_ms(morning + timedelta(minutes=80 * n)), ledger.event_count)
            ledger.override(index, job_id=f"job_steady_{n:02}", amount_usd="5.00", billable=True)


def test_the_burst_job_leads_the_jobs_of_its_day(make_rig):
    ledger, rig = make_rig()
    burst_on(ledger, datetime(2026, 11, 20, 12, tzinfo=NOW.tzinfo))
    rig.runner.check()
    zone = ZoneInfo("UTC")
    fast = spike._job_drivers(SpendQueries(rig.engine), date(2026, 11, 20), HISTORY, zone)
    assert fast.named[0].amount >= 60 and fast.named[0].usual == 0
    assert fast.explained is not None and fast.explained > 0


def test_a_refund_in_the_history_is_counted_as_every_jobs_sums_count_it(make_rig):
    """A job refunded $100 ten days before: its usual day is negative, so on a day it spent nothing
    it still rose, by more than any job of that day spent. It leads the jobs named, as before."""
    ledger, rig = make_rig()
    refund = ledger.index_at(wire.to_ms(datetime(2026, 11, 10, 12, tzinfo=UTC)), ledger.event_count)
    ledger.override(refund, amount_usd="-100.00", job_id="job_refunded")
    rig.runner.check()
    queries, zone, day = SpendQueries(rig.engine), ZoneInfo("UTC"), date(2026, 11, 20)
    fast = spike._job_drivers(queries, day, HISTORY, zone)
    assert fast == brute_force(queries, day, HISTORY, zone)
    assert fast.named[0].key == "job_refunded" and fast.named[0].amount == 0
    assert fast.named[0].usual == Decimal("-100.00") / HISTORY
