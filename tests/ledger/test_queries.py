"""Queries over the mirror give exactly what the ledger itself says, to the cent."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from bot.figures import Tally
from bot.katalo.models import BillingEvent
from bot.ledger.queries import LedgerQueries
from bot.sandbox.ledger import SandboxLedger
from tests.conftest import NOW
from tests.ledger.helpers import mirror_for

DAY_START = datetime(2026, 11, 20, tzinfo=NOW.tzinfo)
DAY_END = DAY_START + timedelta(days=1)


@pytest.fixture
def synced(engine, start_sandbox):
    """A mirror of a 2,000-event sandbox ledger (about 50 events a day), fully synced."""
    sandbox = start_sandbox(SandboxLedger(seed=11, events=2000, now=NOW))
    mirror = mirror_for(engine, sandbox, page_limit=100)
    assert mirror.run_sync().complete
    return LedgerQueries(engine), [BillingEvent.model_validate(e) for e in sandbox.ledger.iter_events()]


def in_day(events: list[BillingEvent]) -> list[BillingEvent]:
    return [e for e in events if DAY_START <= e.created_at < DAY_END]


def test_events_of_a_job_are_all_its_events_oldest_first(synced):
    """A job's events come back complete and in time order, equal to the ledger's."""
    queries, ledger = synced
    by_job: dict[str, list[BillingEvent]] = defaultdict(list)
    for event in ledger:
        by_job[event.job_id].append(event)
    job_id = next(job for job, events in by_job.items() if len(events) == 3)
    assert queries.events_of_job(job_id) == by_job[job_id]


def test_unknown_job_has_no_events(synced):
    """A job id the ledger never saw gives an empty list, not an error."""
    queries, _ = synced
    assert queries.events_of_job("job_DOESNOTEXIST") == []


def test_events_between_is_half_open_and_newest_first(synced):
    """Events in [start, end) come newest first; one at `end` belongs to the next window."""
    queries, ledger = synced
    expected = sorted(in_day(ledger), key=lambda e: (e.created_at, e.event_id), reverse=True)
    assert queries.events_between(DAY_START, DAY_END) == expected
    assert queries.events_between(DAY_START, DAY_END, limit=3) == expected[:3]


def test_day_totals_equal_the_ledger_to_the_cent(synced):
    """A day's totals, overall, by usage type and by billable, equal sums over the ledger's events."""
    queries, ledger = synced
    day = in_day(ledger)
    totals = queries.totals(DAY_START, DAY_END)

    def tally(events: list[BillingEvent]) -> Tally:
        return Tally(len(events), sum((e.amount_usd or Decimal(0) for e in events), Decimal("0.00")))

    assert totals.overall == tally(day)
    assert totals.overall.events > 20
    assert totals.by_usage_type == {
        t: tally([e for e in day if e.usage_type == t]) for t in {e.usage_type for e in day}
    }
    assert totals.by_billable == {
        b: tally([e for e in day if e.billable is b]) for b in {e.billable for e in day}
    }
    assert str(totals.overall.amount_usd).split(".")[1].__len__() == 2  # shown to the cent, exact


def test_whole_ledger_total_is_exact(synced):
    """Summed over the whole ledger (thousands of rows), the amount is exact, with no float drift."""
    queries, ledger = synced
    start, end = ledger[0].created_at, ledger[-1].created_at + timedelta(seconds=1)
    assert queries.totals(start, end).overall.amount_usd == sum(e.amount_usd for e in ledger if e.amount_usd)


def test_top_jobs_by_amount(synced):
    """The top jobs of a day are those with the largest amounts, largest first."""
    queries, ledger = synced
    amounts: Counter[str] = Counter()
    for event in in_day(ledger):
        amounts[event.job_id] += event.amount_usd or 0
    expected = sorted(amounts.items(), key=lambda item: (-item[1], item[0]))[:5]
    top = queries.top_jobs(DAY_START, DAY_END, limit=5)
    assert [(job.job_id, job.amount_usd) for job in top] == expected


def test_fingerprints_with_counts(synced):
    """Distinct config fingerprints come with how many events used each."""
    queries, ledger = synced
    expected = Counter(e.config_fingerprint for e in ledger)
    assert queries.fingerprints() == dict(expected)
    assert 3 <= len(expected) <= 10


def test_event_count(synced):
    queries, ledger = synced
    assert queries.event_count() == len(ledger)


def test_latest_events_page_back_and_forth_without_gaps(synced):
    """Paging older then newer through the latest events visits each event once, in order."""
    queries, ledger = synced
    newest_first = sorted(ledger, key=lambda e: (e.created_at, e.event_id), reverse=True)
    first = queries.latest_events(10)
    second = queries.latest_events(10, before=(first[-1].created_at, first[-1].event_id))
    back = queries.latest_events(10, after=(second[0].created_at, second[0].event_id))
    assert first + second == newest_first[:20]
    assert back == first
