"""Odd ledgers must neither poison, blind nor hold the mirror (issue 16).

Each ledger is served by the sandbox over HTTP with one of its odd modes, on SQLite and PostgreSQL:
records that cannot be stored, events dated in the future, cursors longer than any column, and
ledgers that never end.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db.schema import ledger_set_aside, ledger_sync_state
from bot.ledger import records
from bot.ledger.progress import summary_line
from bot.sandbox.ledger import SandboxLedger
from tests.conftest import NOW
from tests.ledger.helpers import EVENTS_PATH, ledger_ids, mirror_for, stored_ids

ORDERS = ["newest", "oldest"]
FUTURE = "2099-01-01T00:00:00Z"


def set_aside_rows(engine) -> list:
    with engine.connect() as connection:
        return connection.execute(select(ledger_set_aside).order_by(ledger_set_aside.c.reason)).all()


# --- poisoned records -----------------------------------------------------------------------------


@pytest.mark.parametrize("order", ORDERS)
def test_records_that_cannot_be_stored_are_set_aside_and_the_rest_stored(engine, start_sandbox, order):
    """An amount of 1e30 (more than the column holds), a job id with a NUL (PostgreSQL text cannot hold
    it) and a record with no event id: each is kept verbatim with its reason; every other event of
    their pages is stored; the sync completes, and its summary and `last_error` name them."""
    ledger = SandboxLedger(seed=7, events=237, now=NOW)
    huge, nul, shapeless = ledger.event(100), ledger.event(101), ledger.event(180)
    every_id = {event["event_id"] for event in ledger.iter_events()}
    ledger.override(100, amount_usd="1e30")
    ledger.override(101, job_id="job_\x00nul")
    ledger.override(180, event_id=None)
    sandbox = start_sandbox(ledger, order=order)
    mirror = mirror_for(engine, sandbox)
    report = mirror.run_sync()
    assert report.complete and report.error is None
    odd = {huge["event_id"], nul["event_id"], shapeless["event_id"]}
    assert stored_ids(engine) == {i: 1 for i in every_id - odd}
    rows = set_aside_rows(engine)
    assert [row.event_id for row in rows] == [huge["event_id"], nul["event_id"], None]
    assert "amount_usd 1E+30 is outside" in rows[0].reason
    assert "NUL" in rows[1].reason
    assert "not a valid event (event_id" in rows[2].reason
    assert json.loads(rows[0].raw) == {**huge, "amount_usd": "1e30"}  # verbatim
    assert json.loads(rows[1].raw)["job_id"] == "job_\x00nul"
    assert json.loads(rows[2].raw) == {k: v for k, v in shapeless.items() if k != "event_id"}
    assert report.set_aside == 3
    line = summary_line(report)
    assert "3 records set aside" in line and huge["event_id"] in line
    assert "The mirror is up to date" in line
    last_error = mirror.state().last_error
    assert last_error is not None and huge["event_id"] in last_error
    assert mirror.queries.set_aside_count() == 3


@pytest.mark.parametrize("order", ORDERS)
def test_a_record_set_aside_is_kept_once_and_later_syncs_go_on(engine, start_sandbox, order):
    """Re-reading the page that holds it does not set it aside twice; new events keep arriving."""
    ledger = SandboxLedger(seed=7, events=237, now=NOW)
    ledger.override(236, amount_usd=-2e30)  # the newest event: re-read by every later sync
    sandbox = start_sandbox(ledger, order=order, money_as="number")
    mirror = mirror_for(engine, sandbox)
    assert mirror.run_sync().complete
    sandbox.ledger.append(120)
    assert mirror.run_sync().complete
    assert mirror.queries.set_aside_count() == 1
    assert len(stored_ids(engine)) == 237 + 120 - 1


def test_a_poisoned_page_after_a_good_history_keeps_old_jobs_answerable(engine, start_sandbox):
    """The issue's symptom: once a poisoned record arrived, every lookup failed, even of jobs stored
    long ago. ensure_fresh (what `/katalo events` runs first) must complete and answer."""
    sandbox = start_sandbox()
    mirror = mirror_for(engine, sandbox)
    mirror.run_sync()
    old_job = sandbox.ledger.job_ids(200)[-1]
    sandbox.ledger.append(30)
    sandbox.ledger.override(sandbox.ledger.event_count - 5, amount_usd="1e30")
    freshness = mirror.ensure_fresh(max_age=0, time_limit=5)
    assert freshness.complete and freshness.error is None
    assert [e.event_id for e in mirror.queries.events_of_job(old_job)] == [
        e["event_id"] for e in sandbox.ledger.events_of_job(old_job)
    ]


def test_a_record_the_database_refuses_is_set_aside_alone(engine, start_sandbox, monkeypatch):
    """Whatever the checks miss, a row the database refuses is set aside with the database's reason,
    and the rest of its page is stored (row by row, each in a savepoint)."""
    monkeypatch.setattr(records, "unstorable", lambda event: None)  # let 1e30 reach the database
    ledger = SandboxLedger(seed=7, events=237, now=NOW)
    poisoned = ledger.event(150)["event_id"]
    ledger.override(150, amount_usd="1e30")
    sandbox = start_sandbox(ledger)
    report = mirror_for(engine, sandbox).run_sync()
    assert report.complete and report.set_aside == 1
    [row] = set_aside_rows(engine)
    assert row.event_id == poisoned and row.reason.startswith("the database refused it (")
    assert len(stored_ids(engine)) == 236


# --- future-dated events --------------------------------------------------------------------------


def test_a_future_dated_event_does_not_hide_later_events(engine, start_sandbox):
    """Newest-first: after an event dated 2099, a later backlog of 6 pages is still walked to the end
    (it used to stop at the first page and say "up to date"), and the watermark never passes now."""
    sandbox = start_sandbox(order="newest")
    clock = datetime(2027, 3, 1, tzinfo=UTC)  # after every event the test appends, except the odd one
    mirror = mirror_for(engine, sandbox, now=lambda: clock)
    mirror.run_sync()
    sandbox.ledger.append(1)
    sandbox.ledger.override(sandbox.ledger.event_count - 1, created_at=FUTURE)
    report = mirror.run_sync()
    assert report.complete and report.future_dated == 1
    assert "1 event dated in the future" in summary_line(report)
    assert mirror.state().complete_through <= clock
    sandbox.ledger.append(300)
    report = mirror.run_sync()
    assert report.complete
    assert stored_ids(engine) == ledger_ids(sandbox)


@pytest.mark.parametrize("order", ORDERS)
def test_a_future_dated_event_never_moves_the_watermark_past_now(engine, start_sandbox, order):
    """Whatever the order, `complete_through` stays at or before now; the event itself is stored."""
    ledger = SandboxLedger(seed=7, events=237, now=NOW)
    ledger.override(236, created_at=FUTURE)
    sandbox = start_sandbox(ledger, order=order)
    clock = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    mirror = mirror_for(engine, sandbox, now=lambda: clock)
    report = mirror.run_sync()
    assert report.complete and report.future_dated == 1
    assert mirror.state().complete_through <= clock
    assert stored_ids(engine) == ledger_ids(sandbox)


def test_a_watermark_already_in_the_future_heals(engine, start_sandbox):
    """A mirror whose watermark an older version moved to 2099 walks on to events it has stored,
    instead of trusting the date, and fetches the backlog."""
    sandbox = start_sandbox(order="newest")
    mirror = mirror_for(engine, sandbox)
    mirror.run_sync()
    with engine.begin() as connection:
        connection.execute(
            ledger_sync_state.update().values(complete_through=datetime(2099, 1, 1, tzinfo=UTC))
        )
    sandbox.ledger.append(300)
    assert mirror.run_sync().complete
    assert stored_ids(engine) == ledger_ids(sandbox)


# --- long cursors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ORDERS)
def test_cursors_longer_than_any_column_are_kept(engine, start_sandbox, order):
    """Cursors of 4,000 characters (PostgreSQL's column held 1,024): a walk interrupted mid-way keeps
    its cursor and the next sync resumes from it."""
    sandbox = start_sandbox(order=order)
    sandbox.cursor_length = 4000
    mirror = mirror_for(engine, sandbox)
    sandbox.inject(EVENTS_PATH, delay=0, times=2)
    sandbox.inject(EVENTS_PATH, status=500, times=None)
    failed = mirror.run_sync()
    assert failed.error is not None
    assert len(mirror.state().walk_cursor or "") == 4000
    sandbox.clear_faults()
    assert mirror.run_sync().complete
    assert stored_ids(engine) == ledger_ids(sandbox)


# --- ledgers that never end -----------------------------------------------------------------------

ENDLESS = {
    "repeat_pages": "the same ledger page twice",
    "empty_pages": "empty ledger pages in a row",
    "wrap_pages": "more than the",
}


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("oddity", ENDLESS)
def test_a_ledger_that_never_ends_stops_with_a_sentence(engine, start_sandbox, oddity, order):
    """Repeated pages, empty pages that still carry a cursor, and pages going round the ledger again
    under fresh cursors end the walk with an error naming what Katalo did, in the summary line and in
    `last_error`; nothing stored is lost, and the walk ends in a bounded number of pages."""
    sandbox = start_sandbox(order=order)
    sandbox.ledger_oddity = oddity
    mirror = mirror_for(engine, sandbox)
    report = mirror.run_sync()
    assert not report.complete
    assert report.error is not None and ENDLESS[oddity] in report.error.user_message
    assert ENDLESS[oddity] in summary_line(report)
    assert ENDLESS[oddity] in (mirror.state().last_error or "")
    assert report.pages <= 5 + 16
    if oddity != "repeat_pages":
        assert stored_ids(engine) == ledger_ids(sandbox)
