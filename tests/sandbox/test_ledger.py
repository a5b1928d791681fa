"""SandboxLedger: deterministic events, job grouping, money, the summary's arithmetic, laziness, appends."""

from __future__ import annotations

import itertools
import re
import tracemalloc
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from bot.sandbox.ledger import UNIT_PRICES, SandboxLedger
from bot.sandbox.summary import TIERS
from tests.sandbox.helpers import NOW


def when(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["created_at"].replace("Z", "+00:00"))


def jobs_of(events: list[dict[str, Any]]) -> dict[str, list[int]]:
    jobs: dict[str, list[int]] = defaultdict(list)
    for i, event in enumerate(events):
        jobs[event["job_id"]].append(i)
    return jobs


def in_period(ledger: SandboxLedger) -> list[dict[str, Any]]:
    start = datetime.fromisoformat(ledger.summary()["billing_period"]["start_at"].replace("Z", "+00:00"))
    return [e for e in ledger.iter_events() if start <= when(e) <= ledger.now]


def test_same_seed_gives_same_events() -> None:
    """Two ledgers with the same seed, size and clock hold identical events and summaries."""
    a, b = SandboxLedger(seed=3, events=500, now=NOW), SandboxLedger(seed=3, events=500, now=NOW)
    assert list(a.iter_events()) == list(b.iter_events())
    assert a.summary() == b.summary()


def test_different_seed_gives_different_events() -> None:
    """Another seed changes the ids and the usage pattern."""
    a, b = SandboxLedger(seed=3, events=500, now=NOW), SandboxLedger(seed=4, events=500, now=NOW)
    assert {e["event_id"] for e in a.iter_events()}.isdisjoint(e["event_id"] for e in b.iter_events())
    assert [e["usage_type"] for e in a.iter_events()] != [e["usage_type"] for e in b.iter_events()]


@pytest.mark.parametrize(("events", "days"), [(2000, 40.0), (20_000, 1.0)])
def test_times_strictly_increase_inside_the_span(events: int, days: float) -> None:
    """created_at grows with the index (also at millisecond density) and stays in [now - days, now]."""
    ledger = SandboxLedger(events=events, now=NOW, days=days)
    times = [when(e) for e in ledger.iter_events()]
    assert all(a < b for a, b in itertools.pairwise(times))
    assert NOW - timedelta(days=days) <= times[0]
    assert times[-1] <= NOW


def test_jobs_are_one_to_three_consecutive_events() -> None:
    """A job is 1..3 consecutive events: a generation, then regenerations, upscales or cache hits."""
    events = list(SandboxLedger(events=2000, now=NOW).iter_events())
    jobs = jobs_of(events)
    sizes = {len(indices) for indices in jobs.values()}
    assert sizes == {1, 2, 3}
    for indices in jobs.values():
        assert indices == list(range(indices[0], indices[0] + len(indices)))
        group = [events[i] for i in indices]
        assert group[0]["usage_type"] == "generation"
        assert {e["usage_type"] for e in group[1:]} <= {"regeneration", "upscale", "cache_hit"}
        assert len({(e["source_asset_id"], e["config_fingerprint"]) for e in group}) == 1


def test_ids_have_the_documented_shapes() -> None:
    """ULID-like ids with their prefixes, unique events and assets, a handful of fingerprints."""
    events = list(SandboxLedger(events=2000, now=NOW).iter_events())
    ulid = "[0-9A-HJKMNP-TV-Z]{26}"
    for event in events:
        assert re.fullmatch(f"evt_{ulid}", event["event_id"])
        assert re.fullmatch(f"job_{ulid}", event["job_id"])
        assert re.fullmatch(f"ast_{ulid}", event["source_asset_id"])
        assert re.fullmatch("cfg_[0-9a-f]{16}", event["config_fingerprint"])
    assert len({e["event_id"] for e in events}) == len(events)
    assert len({e["source_asset_id"] for e in events}) == len(jobs_of(events))
    assert 2 <= len({e["config_fingerprint"] for e in events}) <= 6


def test_money_adds_up() -> None:
    """amount_usd is the unit price when billable and 0.00 otherwise; cache hits are never billed."""
    for event in SandboxLedger(events=2000, now=NOW).iter_events():
        price = Decimal(event["unit_price_usd"])
        assert price == UNIT_PRICES[event["usage_type"]]
        assert Decimal(event["amount_usd"]) == (price if event["billable"] else Decimal("0.00"))
        assert re.fullmatch(r"\d+\.\d\d", event["amount_usd"])
        if event["usage_type"] == "cache_hit":
            assert event["billable"] is False


def test_failure_and_credit_rates_are_as_designed() -> None:
    """About 4% of jobs fail (mostly still billed) and about 3% of chargeable events are credited."""
    ledger = SandboxLedger(events=20_000, now=NOW)
    events = list(ledger.iter_events())
    job_ids = list(jobs_of(events))
    failed = {j for j in job_ids[::7] if ledger.failed(j)}
    assert 0.02 < len(failed) / len(job_ids[::7]) < 0.07
    chargeable = [e for e in events if e["usage_type"] != "cache_hit"]
    assert 0.015 < sum(not e["billable"] for e in chargeable) / len(chargeable) < 0.045
    assert any(e["billable"] for e in events if e["job_id"] in failed)


def test_summary_consumed_is_a_recount_of_the_period() -> None:
    """usage.consumed equals the billable events with created_at in [start_at, now]."""
    ledger = SandboxLedger(events=2000, now=NOW)
    assert ledger.summary()["usage"]["consumed"] == sum(e["billable"] for e in in_period(ledger))


def test_summary_jobs_are_a_recount_of_the_period() -> None:
    """Every jobs figure traces to the events in the period."""
    ledger = SandboxLedger(events=2000, now=NOW)
    period = in_period(ledger)
    firsts = [e for e in period if e["usage_type"] == "generation"]
    failed = sum(ledger.failed(e["job_id"]) for e in firsts)
    renders = [e for e in period if e["usage_type"] in ("generation", "regeneration")]
    assert ledger.summary()["jobs"] == {
        "total": len(firsts),
        "succeeded": len(firsts) - failed,
        "failed": failed,
        "outputs_returned": 4 * sum(not ledger.failed(e["job_id"]) for e in renders),
        "regenerate_count": sum(e["usage_type"] == "regeneration" for e in period),
        "cache_hit_count": sum(e["usage_type"] == "cache_hit" for e in period),
    }


def test_billing_period_is_the_calendar_month_of_now() -> None:
    """The period runs from the 1st of now's month to the 1st of the next, in UTC."""
    december = SandboxLedger(events=10, now=datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    assert december.summary()["billing_period"] == {
        "start_at": "2026-12-01T00:00:00Z",
        "end_at": "2027-01-01T00:00:00Z",
    }


@pytest.mark.parametrize("included", [100, 100_000])
def test_overage_and_remaining_follow_included(included: int) -> None:
    """overage = max(0, C - I) and remaining = max(0, I - C)."""
    usage = SandboxLedger(events=2000, now=NOW, included=included).summary()["usage"]
    consumed = usage["consumed"]
    assert usage == {
        "included": included,
        "consumed": consumed,
        "overage": max(0, consumed - included),
        "remaining": max(0, included - consumed),
    }
    assert (usage["overage"] > 0) == (included == 100)


def test_default_plan_is_the_tier_above_the_projection() -> None:
    """Without `included`, the plan is the smallest tier >= 1.15 x the projected month."""
    summary = SandboxLedger(events=2000, now=NOW).summary()
    consumed, included = summary["usage"]["consumed"], summary["usage"]["included"]
    projected = consumed * 30 / (23 + 9 / 24)  # November; NOW is the 24th at 09:00
    assert included == min(t for t in TIERS if t >= projected * 1.15)
    assert 0 < consumed < included


def test_access_can_be_turned_off() -> None:
    """access_enabled=False shows as access.enabled false."""
    assert SandboxLedger(events=5, now=NOW, access_enabled=False).summary()["access"] == {"enabled": False}


def test_now_must_be_aware_utc() -> None:
    """A naive or non-UTC clock is refused rather than silently misread."""
    with pytest.raises(ValueError, match="UTC"):
        SandboxLedger(now=datetime(2026, 11, 24))
    with pytest.raises(ValueError, match="UTC"):
        SandboxLedger(now=NOW.astimezone(timezone(timedelta(hours=2))))


def test_million_event_ledger_is_computed_on_demand() -> None:
    """Building a 1,000,000-event ledger and reading its newest page takes well under 2 MB."""
    tracemalloc.start()
    try:
        ledger = SandboxLedger(events=1_000_000, now=NOW)
        newest = ledger.event(999_999)
        page = [ledger.event(i) for i in range(999_999, 999_899, -1)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000
    assert page[0] == newest
    assert when(newest) <= NOW
    with pytest.raises(IndexError):
        ledger.event(1_000_000)


def test_append_keeps_old_events_and_adds_newer_ones() -> None:
    """append(n) leaves every existing event as it was and adds n events after the old `now`."""
    ledger = SandboxLedger(events=300, now=NOW)
    before = list(ledger.iter_events())
    ledger.append(40)
    after = list(ledger.iter_events())
    assert ledger.event_count == 340
    assert after[:300] == before
    assert all(when(e) >= NOW for e in after[300:])
    assert ledger.now == when(after[-1])


def test_summary_after_append_counts_the_new_events() -> None:
    """The memoized summary moves on with appends and still equals a recount."""
    ledger = SandboxLedger(events=2000, now=NOW)
    first = ledger.summary()
    ledger.append(100)
    second = ledger.summary()
    assert second["usage"]["consumed"] == sum(e["billable"] for e in in_period(ledger))
    assert second["usage"]["consumed"] > first["usage"]["consumed"]
    assert second["usage"]["included"] == first["usage"]["included"]


def test_job_lookups_agree_with_a_full_scan() -> None:
    """job_ids is newest first; events_of_job and failed match what the events say."""
    ledger = SandboxLedger(events=2000, now=NOW)
    events = list(ledger.iter_events())
    ids = ledger.job_ids(5)
    assert ids[0] == events[-1]["job_id"]
    assert len(set(ids)) == 5
    for job_id in [*ids, events[0]["job_id"]]:
        assert ledger.events_of_job(job_id) == [e for e in events if e["job_id"] == job_id]
    assert ledger.events_of_job("job_" + "0" * 26) == []
    with pytest.raises(KeyError):
        ledger.failed("job_nope")


def test_summary_follows_now_into_the_next_month() -> None:
    """Appends that carry `now` past month end start a new period, counted from its own events."""
    ledger = SandboxLedger(events=2000, now=datetime(2026, 11, 30, 22, 0, tzinfo=UTC))
    november = ledger.summary()
    ledger.append(200)  # ~4 days at this ledger's spacing
    december = ledger.summary()
    assert december["billing_period"]["start_at"] == "2026-12-01T00:00:00Z"
    assert december["usage"]["consumed"] == sum(e["billable"] for e in in_period(ledger))
    assert december["usage"]["included"] == november["usage"]["included"]
