"""ensure_fresh: answers come from a mirror at most N seconds behind, within a time limit."""

from __future__ import annotations

from bot.katalo.errors import KataloServerError
from bot.ledger.lock import SyncLock
from bot.sandbox.ledger import SandboxLedger
from tests.conftest import NOW
from tests.fakes import FakeClock
from tests.ledger.helpers import EVENTS_PATH, mirror_for


def test_recent_sync_is_trusted_without_asking_katalo(engine, start_sandbox):
    """Within max_age of the last complete sync, no request is spent."""
    sandbox = start_sandbox()
    clock = FakeClock()
    mirror = mirror_for(engine, sandbox, now=clock.now)
    mirror.run_sync()
    sandbox.reset_requests()
    clock.advance(30)
    freshness = mirror.ensure_fresh(max_age=60, time_limit=2)
    assert freshness.complete
    assert sandbox.request_count() == 0


def test_older_sync_is_brought_up_to_date_first(engine, start_sandbox):
    """Past max_age, an incremental sync runs first, so the answer includes the newest events."""
    sandbox = start_sandbox()
    clock = FakeClock()
    mirror = mirror_for(engine, sandbox, now=clock.now)
    mirror.run_sync()
    clock.advance(61)
    sandbox.ledger.append(3)
    newest_job = sandbox.ledger.job_ids(1)[0]
    freshness = mirror.ensure_fresh(max_age=60, time_limit=2)
    assert freshness.complete
    assert freshness.synced_at == clock.now()
    assert mirror.queries.events_of_job(newest_job) != []


def test_time_limit_bounds_the_wait_and_says_incomplete(engine, start_sandbox):
    """A slow Katalo cannot hold the caller past the time limit; the answer is marked incomplete."""
    clock = FakeClock()  # every page costs 0.1 s on it: Katalo's latency is slept on this clock
    sandbox = start_sandbox(SandboxLedger(seed=2, events=5000, now=NOW), sleep=clock.sleep)
    sandbox.latency = 0.1
    mirror = mirror_for(engine, sandbox, monotonic=clock.monotonic, sleep=clock.sleep)
    started = clock.monotonic()
    freshness = mirror.ensure_fresh(max_age=60, time_limit=0.3)
    assert not freshness.complete
    # The limit is checked between pages: at most one page in flight past it, of the 100 there are.
    assert 3 <= sandbox.request_count(EVENTS_PATH) <= 4
    assert clock.monotonic() - started <= 0.3 + 0.1 + 1e-9


def test_katalo_failure_leaves_the_mirror_usable_and_says_why(engine, start_sandbox):
    """When Katalo fails, the stored events still answer, flagged incomplete with the reason."""
    sandbox = start_sandbox()
    clock = FakeClock()
    mirror = mirror_for(engine, sandbox, now=clock.now)
    mirror.run_sync()
    job = sandbox.ledger.job_ids(1)[0]
    clock.advance(120)
    sandbox.inject(EVENTS_PATH, status=500, times=None)
    freshness = mirror.ensure_fresh(max_age=60, time_limit=2)
    assert not freshness.complete
    assert isinstance(freshness.error, KataloServerError)
    assert freshness.synced_at is not None and freshness.synced_at < clock.now()
    assert mirror.queries.events_of_job(job) != []


def test_waits_for_a_sync_already_running_instead_of_starting_another(engine, start_sandbox):
    """While another process holds the sync lock, no second walk starts; the wait is bounded."""
    sandbox = start_sandbox()
    clock = FakeClock()
    mirror = mirror_for(engine, sandbox, monotonic=clock.monotonic, sleep=clock.sleep)
    other = SyncLock(engine)
    assert other.try_acquire()
    try:
        started = clock.monotonic()
        freshness = mirror.ensure_fresh(max_age=60, time_limit=0.3)
        # It waited for the other sync the whole time limit, and not longer than one poll past it.
        assert 0.3 <= clock.monotonic() - started <= 0.3 + 0.1 + 1e-9
    finally:
        other.release()
    assert not freshness.complete
    assert sandbox.request_count(EVENTS_PATH) == 0
    assert mirror.ensure_fresh(max_age=60, time_limit=2).complete  # once free, it syncs
