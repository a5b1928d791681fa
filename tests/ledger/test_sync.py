"""Syncing the billing ledger into the mirror: every event exactly once, however the sync is disturbed.

Every test runs against the sandbox over HTTP, on SQLite and on PostgreSQL, and most in both page
orders. "Exactly once" is checked by comparing the stored event ids, with their counts, to the
sandbox's own ledger.
"""

from __future__ import annotations

import math
import threading

import pytest

from bot.db.engine import open_database
from bot.ledger.lock import SyncLock
from bot.sandbox.ledger import SandboxLedger
from tests.conftest import NOW
from tests.fakes import FakeClock
from tests.ledger.helpers import EVENTS_PATH, ledger_ids, mirror_for, stored_ids

ORDERS = ["newest", "oldest"]


@pytest.mark.parametrize("order", ORDERS)
def test_first_sync_stores_the_whole_ledger(engine, start_sandbox, order):
    """The first sync walks every page once and stores every event once."""
    sandbox = start_sandbox(order=order)
    report = mirror_for(engine, sandbox).run_sync()
    assert report.complete
    assert stored_ids(engine) == ledger_ids(sandbox)
    assert report.events_new == 237
    assert sandbox.request_count(EVENTS_PATH) == math.ceil(237 / 50)


@pytest.mark.parametrize("order", ORDERS)
def test_first_sync_records_order_and_completeness(engine, start_sandbox, order):
    """After the first sync the mirror knows the page order and the newest complete event time."""
    sandbox = start_sandbox(order=order)
    mirror = mirror_for(engine, sandbox)
    mirror.run_sync()
    state = mirror.state()
    newest = sandbox.ledger.event(sandbox.ledger.event_count - 1)["created_at"]
    assert state.page_order == f"{order}_first"
    assert state.complete_through is not None
    assert state.complete_through.strftime("%Y-%m-%dT%H:%M:%SZ") == newest
    assert state.last_success_at is not None
    assert state.sync_owner is None


@pytest.mark.parametrize("order", ORDERS)
def test_incremental_sync_fetches_only_new_events(engine, start_sandbox, order):
    """New events arriving between syncs are stored, reading only the pages that hold them."""
    sandbox = start_sandbox(order=order)
    mirror = mirror_for(engine, sandbox)
    mirror.run_sync()
    sandbox.reset_requests()
    sandbox.ledger.append(120)
    report = mirror.run_sync()
    assert report.complete
    assert report.events_new == 120
    assert stored_ids(engine) == ledger_ids(sandbox)
    # newest-first: 3 pages hold the 120 new events and reach the old ones; oldest-first re-reads the
    # last stored page (37 events) and then the 3 pages after it.
    assert sandbox.request_count(EVENTS_PATH) == (3 if order == "newest" else 4)


@pytest.mark.parametrize("order", ORDERS)
def test_sync_with_nothing_new_costs_one_request(engine, start_sandbox, order):
    """A sync when nothing happened reads a single page."""
    sandbox = start_sandbox(order=order)
    mirror = mirror_for(engine, sandbox)
    mirror.run_sync()
    sandbox.reset_requests()
    report = mirror.run_sync()
    assert report.complete
    assert report.events_new == 0
    assert sandbox.request_count(EVENTS_PATH) == 1


@pytest.mark.parametrize("order", ORDERS)
def test_sync_interrupted_between_pages_resumes_without_gaps(engine, start_sandbox, order):
    """A first sync that dies on page 3 keeps what it stored; the next run finishes the walk."""
    sandbox = start_sandbox(order=order)
    mirror = mirror_for(engine, sandbox)
    sandbox.inject(EVENTS_PATH, delay=0, times=2)  # pass two pages through untouched
    sandbox.inject(EVENTS_PATH, status=500, times=None)
    failed = mirror.run_sync()
    assert not failed.complete
    assert failed.error is not None
    assert len(stored_ids(engine)) == 100
    assert mirror.state().last_error is not None
    sandbox.clear_faults()
    sandbox.ledger.append(30)  # the ledger moves on while the mirror is behind
    sandbox.reset_requests()
    report = mirror.run_sync()
    assert report.complete
    assert stored_ids(engine) == ledger_ids(sandbox)
    assert mirror.state().last_error is None
    # Resuming does not start over: far fewer than the 6 pages of a full walk of 267 events.
    assert sandbox.request_count(EVENTS_PATH) <= 5


def test_incremental_sync_interrupted_then_resumed_leaves_no_gap(engine, start_sandbox):
    """Newest-first: a catch-up that dies after storing the newest pages must not hide older new ones.

    Stopping at "the first page holding a stored event" would stop at the pages the dead sync stored
    and never fetch the new events below them.
    """
    sandbox = start_sandbox(order="newest")
    mirror = mirror_for(engine, sandbox)
    mirror.run_sync()
    sandbox.ledger.append(180)  # 4 pages of new events
    sandbox.inject(EVENTS_PATH, delay=0, times=2)
    sandbox.inject(EVENTS_PATH, status=500, times=None)
    assert not mirror.run_sync().complete
    sandbox.clear_faults()
    sandbox.ledger.append(10)
    report = mirror.run_sync()
    assert report.complete
    assert stored_ids(engine) == ledger_ids(sandbox)


@pytest.mark.parametrize("order", ORDERS)
def test_sync_stops_at_its_deadline_and_the_next_one_goes_on(engine, start_sandbox, order):
    """A sync given a deadline stops between pages, incomplete; a later sync completes it."""
    clock = FakeClock()  # Katalo's latency is slept on it, and the deadline read from it
    sandbox = start_sandbox(order=order, sleep=clock.sleep)
    sandbox.latency = 0.05
    mirror = mirror_for(engine, sandbox, monotonic=clock.monotonic)
    partial = mirror.run_sync(deadline=clock.monotonic() + 0.12)
    assert not partial.complete
    assert partial.pages == 3  # after 0.05, 0.10 and 0.15 s: the third page ends past the deadline
    sandbox.latency = 0
    assert mirror.run_sync().complete
    assert stored_ids(engine) == ledger_ids(sandbox)


@pytest.mark.parametrize("order", ORDERS)
def test_expired_cursor_restarts_the_walk_and_keeps_what_is_stored(engine, start_sandbox, order):
    """A cursor Katalo no longer accepts (404) restarts the walk; nothing stored is lost or doubled."""
    sandbox = start_sandbox(order=order)
    mirror = mirror_for(engine, sandbox)
    pages_seen = 0

    def expire_after_two_pages(report) -> None:
        nonlocal pages_seen
        if report.pages == 2 and pages_seen < 2:
            sandbox.expire_cursors()
        pages_seen = report.pages

    report = mirror.run_sync(progress=expire_after_two_pages)
    assert report.complete
    assert report.restarts == 1
    assert stored_ids(engine) == ledger_ids(sandbox)
    assert mirror.state().walks_restarted == 1


def test_rate_limit_mid_walk_is_waited_out(engine, start_sandbox):
    """A 429 in the middle of a walk is honoured (waited out) and the walk completes."""
    sandbox = start_sandbox()
    sandbox.inject(EVENTS_PATH, delay=0, times=2)
    sandbox.inject(EVENTS_PATH, status=429, retry_after=0.05)
    report = mirror_for(engine, sandbox).run_sync()
    assert report.complete
    assert stored_ids(engine) == ledger_ids(sandbox)


@pytest.mark.parametrize("order", ORDERS)
def test_two_syncs_at_once_store_every_event_once(engine, database_url, start_sandbox, order):
    """Two syncs started together (as two processes would) end with every event exactly once."""
    sandbox = start_sandbox(order=order)
    sandbox.latency = 0.01
    second_engine = open_database(database_url)
    mirrors = [mirror_for(engine, sandbox), mirror_for(second_engine, sandbox)]
    barrier = threading.Barrier(2)
    reports = []

    def sync(mirror) -> None:
        barrier.wait()
        reports.append(mirror.run_sync())

    threads = [threading.Thread(target=sync, args=(m,)) for m in mirrors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    second_engine.dispose()
    assert sorted(r.skipped or "ran" for r in reports) == ["another sync is running", "ran"]
    assert stored_ids(engine) == ledger_ids(sandbox)


def test_syncs_that_get_past_the_lock_still_store_each_event_once(engine, start_sandbox, monkeypatch):
    """Even if two syncs ran at once (a lock that failed to exclude), the loser stops; nothing is doubled."""
    monkeypatch.setattr(SyncLock, "try_acquire", lambda self: True)
    sandbox = start_sandbox()
    sandbox.latency = 0.01
    mirrors = [mirror_for(engine, sandbox) for _ in range(2)]
    reports = []
    threads = [threading.Thread(target=lambda m=m: reports.append(m.run_sync())) for m in mirrors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "another sync took over" in [r.skipped for r in reports]
    assert mirror_for(engine, sandbox).run_sync().complete
    assert stored_ids(engine) == ledger_ids(sandbox)


@pytest.mark.parametrize("events", [0, 1])
def test_tiny_ledgers_sync(engine, start_sandbox, events):
    """An empty or one-event ledger syncs (the order cannot be told yet), and later growth is caught."""
    sandbox = start_sandbox(SandboxLedger(seed=5, events=events, now=NOW))
    mirror = mirror_for(engine, sandbox)
    assert mirror.run_sync().complete
    sandbox.ledger.append(130)
    assert mirror.run_sync().complete
    assert stored_ids(engine) == ledger_ids(sandbox)


def test_a_backlog_bigger_than_one_run_is_caught_up_over_several_runs(engine, start_sandbox):
    """Newest-first, 600 new events and runs that each manage only a few pages: every run makes
    progress from where the last stopped, and the mirror ends complete, without a hole."""
    clock = FakeClock()  # Katalo's latency is slept on it, and the deadlines read from it
    sandbox = start_sandbox(order="newest", sleep=clock.sleep)
    mirror = mirror_for(engine, sandbox, monotonic=clock.monotonic)
    mirror.run_sync()
    sandbox.ledger.append(600)  # 12 pages of 50
    sandbox.latency = 0.04
    for _ in range(20):
        if mirror.run_sync(deadline=clock.monotonic() + 0.15).complete:
            break
    sandbox.latency = 0
    assert stored_ids(engine) == ledger_ids(sandbox)
    assert mirror.state().walk_top is None  # no unfinished walk left behind
