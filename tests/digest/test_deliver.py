"""Digests are posted once per channel and local date, whatever runs, fails or restarts."""

from __future__ import annotations

import contextlib
import threading
from datetime import date, time, timedelta
from decimal import Decimal

from bot.blocks.limits import check_message
from bot.config import Allowlist
from bot.db.engine import open_database
from bot.digest.schedule import day_window
from bot.digest.store import STALE_POSTING
from bot.katalo.models import BillingEvent
from tests.digest.conftest import BERLIN, CHANNEL

TODAY = date(2026, 11, 24)


def test_nothing_is_posted_before_the_local_time(rig):
    """At 08:30 in Berlin, a 09:00 digest is not due, and the outcome says until when."""
    [outcome] = rig.poster.run_due()
    assert (outcome.status, outcome.detail) == ("not_due", "not due until 09:00 Europe/Berlin")
    assert rig.slack.calls("chat.postMessage") == []


def test_due_digest_is_posted_once_however_often_the_clock_ticks(rig):
    """At 09:00 the digest goes out; the following ticks post nothing more."""
    rig.clock.advance(30 * 60)
    [outcome] = rig.poster.run_due()
    assert outcome.status == "posted"
    for _ in range(3):
        rig.clock.advance(60)
        assert [o.status for o in rig.poster.run_due()] == ["already_posted"]
    assert len(rig.slack.messages(CHANNEL)) == 1
    assert rig.store.last_posted(CHANNEL).local_date == TODAY


def test_digest_totals_equal_the_ledger_to_the_cent(rig):
    """Yesterday's events, billed amount and jobs are exactly the ledger's, for the Berlin calendar day."""
    rig.clock.advance(30 * 60)
    [outcome] = rig.poster.run_due()
    start, end = day_window(TODAY - timedelta(days=1), BERLIN)
    events = [BillingEvent.model_validate(e) for e in rig.katalo.ledger.iter_events()]
    day = [e for e in events if start <= e.created_at < end]
    amount = sum((e.amount_usd for e in day if e.amount_usd), Decimal("0.00"))
    posted = rig.slack.messages(CHANNEL)[0]
    assert posted["text"] == (
        f"Katalo digest of Mon Nov 23: {len(day):,} ledger events, ${amount:,.2f} billed, "
        f"{len({e.job_id for e in day}):,} jobs."
    )
    assert outcome.message is not None
    check_message(outcome.message)  # within every Block Kit limit, fallback text included
    assert posted["metadata"]["event_payload"]["date"] == "2026-11-24"


def test_two_runners_at_once_post_one_digest(rig, database_url):
    """Two clock processes ticking at the same moment: the database lets exactly one post."""
    rig.clock.advance(30 * 60)
    other_engine = open_database(database_url)
    posters = [rig.poster, rig.another_poster(other_engine)]
    barrier = threading.Barrier(2)
    outcomes = []

    def tick(poster) -> None:
        barrier.wait()
        outcomes.extend(poster.run_due())

    threads = [threading.Thread(target=tick, args=(p,)) for p in posters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other_engine.dispose()
    assert len(rig.slack.messages(CHANNEL)) == 1
    assert sorted(o.status for o in outcomes) in (
        ["in_progress", "posted"],
        ["already_posted", "posted"],
        ["posted"],
    )


def test_a_restart_after_posting_does_not_post_again(rig):
    """A new process (fresh poster, same database) later that day posts nothing."""
    rig.clock.advance(30 * 60)
    rig.poster.run_due()
    rig.clock.advance(3600)
    assert [o.status for o in rig.another_poster().run_due()] == ["already_posted"]
    assert len(rig.slack.messages(CHANNEL)) == 1


def test_missed_time_is_posted_late_the_same_day_and_says_so(rig):
    """With nothing running at 09:00, the digest goes out when the clock returns at 13:00, marked late."""
    rig.clock.advance(4.5 * 3600)
    [outcome] = rig.poster.run_due()
    assert outcome.status == "posted"
    assert "posted late" in str(rig.slack.messages(CHANNEL)[0]["blocks"])
    assert rig.store.last_posted(CHANNEL).late


def test_a_day_long_gone_is_not_back_filled(rig):
    """A clock down for two days posts only today's digest when it returns, not the missed ones."""
    rig.clock.advance(2 * 86400 + 30 * 60)
    [outcome] = rig.poster.run_due()
    assert outcome.local_date == TODAY + timedelta(days=2)
    assert len(rig.slack.messages(CHANNEL)) == 1


def test_manual_post_for_a_day_already_posted_says_so_and_force_posts_again(rig):
    """`katalo-bot digest` after the scheduled one: refused as already posted; --force posts another."""
    rig.clock.advance(30 * 60)
    rig.poster.run_due()
    assert rig.poster.post(CHANNEL, BERLIN, TODAY).status == "already_posted"
    assert rig.poster.post(CHANNEL, BERLIN, TODAY, force=True).status == "posted"
    assert len(rig.slack.messages(CHANNEL)) == 2


def test_slack_429_is_waited_out_and_posts_once(rig):
    """chat.postMessage answering 429 with Retry-After is retried; one digest lands."""
    rig.slack.inject("chat.postMessage", status=429, retry_after=0)
    rig.clock.advance(30 * 60)
    [outcome] = rig.poster.run_due()
    assert outcome.status == "posted"
    assert len(rig.slack.calls("chat.postMessage")) == 2
    assert len(rig.slack.messages(CHANNEL)) == 1


def test_a_channel_error_marks_that_subscription_failing_and_spares_the_others(rig):
    """not_in_channel fails one channel (its fix recorded); other channels still get their digest."""
    rig.store.subscribe("C0OTHER", time(9), BERLIN, by="U0ALICE", now=rig.clock.now())
    rig.slack.member_of = {"C0OTHER"}
    rig.clock.advance(30 * 60)
    outcomes = {o.channel_id: o for o in rig.poster.run_due()}
    assert outcomes[CHANNEL].status == "failed"
    assert "/invite @Katalo" in outcomes[CHANNEL].detail
    assert outcomes["C0OTHER"].status == "posted"
    failing = rig.store.subscription(CHANNEL)
    assert failing.failing_since is not None and "not_in_channel" in failing.last_error


def test_a_failed_digest_is_retried_later_that_day_once_fixed(rig):
    """After the bot is invited, the failed digest goes out on a later tick (not before 30 minutes)."""
    rig.slack.member_of = set()
    rig.clock.advance(30 * 60)
    assert rig.poster.run_due()[0].status == "failed"
    rig.slack.member_of = None
    rig.clock.advance(10 * 60)
    assert [o.status for o in rig.poster.run_due()] == ["retry_later"]
    assert rig.slack.messages(CHANNEL) == []
    rig.clock.advance(25 * 60)
    assert [o.status for o in rig.poster.run_due()] == ["posted"]
    assert rig.store.subscription(CHANNEL).failing_since is None


def test_a_poster_that_died_before_slack_is_taken_over_after_a_while(rig, monkeypatch):
    """Died after claiming, before posting: after STALE_POSTING another runner takes over and posts once."""
    rig.clock.advance(30 * 60)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the process dies on its way to Slack

    monkeypatch.setattr(rig.poster._slack, "chat_postMessage", crash)
    with contextlib.suppress(KeyboardInterrupt):
        rig.poster.run_due()
    monkeypatch.undo()
    assert [o.status for o in rig.poster.run_due()] == ["in_progress"]
    assert rig.slack.messages(CHANNEL) == []
    rig.clock.advance(STALE_POSTING.total_seconds() + 60)
    assert [o.status for o in rig.another_poster().run_due()] == ["posted"]
    assert len(rig.slack.messages(CHANNEL)) == 1


def test_a_crash_after_slack_took_the_post_is_completed_without_a_second_copy(rig, monkeypatch):
    """Died after Slack took the digest, before recording it: the next runner finds it and posts nothing."""
    rig.clock.advance(30 * 60)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the process dies between Slack's answer and the database write

    monkeypatch.setattr(rig.store, "mark_posted", crash)
    with contextlib.suppress(KeyboardInterrupt):
        rig.poster.run_due()
    monkeypatch.undo()
    assert len(rig.slack.messages(CHANNEL)) == 1
    assert rig.store.state_of(CHANNEL, TODAY) == "posting"
    rig.clock.advance(STALE_POSTING.total_seconds() + 60)
    [outcome] = rig.another_poster().run_due()
    assert outcome.status == "found_posted"
    assert len(rig.slack.messages(CHANNEL)) == 1
    assert rig.store.last_posted(CHANNEL).message_ts == outcome.message_ts


def test_a_failure_while_composing_holds_no_claim(rig, monkeypatch):
    """Composing happens before claiming: if it fails, the next tick simply posts, nothing is stuck."""
    rig.clock.advance(30 * 60)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(rig.poster, "_figures", broken)
    with contextlib.suppress(RuntimeError):
        rig.poster.run_due()
    monkeypatch.undo()
    assert rig.store.state_of(CHANNEL, TODAY) is None
    assert [o.status for o in rig.poster.run_due()] == ["posted"]


def test_channels_outside_the_allowlist_get_no_digest(rig):
    """With ALLOWED_CHANNEL_IDS set, a subscription elsewhere is skipped and a manual post refused."""
    rig.poster.allowlist = Allowlist(channels=frozenset({"C0ELSEWHERE"}))
    rig.clock.advance(30 * 60)
    assert [o.status for o in rig.poster.run_due()] == ["not_allowed"]
    assert rig.poster.post(CHANNEL, BERLIN, TODAY).status == "failed"
    assert rig.slack.calls("chat.postMessage") == []


def test_slack_500_fails_the_post_and_a_later_tick_posts_it_once(rig):
    """A 5xx that outlasts the client's retry fails the attempt; 30 minutes later one digest lands."""
    rig.slack.inject("chat.postMessage", status=500, times=2)  # the attempt and the client's one retry
    rig.clock.advance(30 * 60)
    assert [o.status for o in rig.poster.run_due()] == ["failed"]
    rig.clock.advance(31 * 60)
    assert [o.status for o in rig.poster.run_due()] == ["posted"]
    assert len(rig.slack.messages(CHANNEL)) == 1


def test_invalid_auth_is_reported_with_its_fix(rig):
    """Slack rejecting the token fails the post with a sentence saying what to do, and nothing crashes."""
    rig.slack.inject("chat.postMessage", error="invalid_auth")
    rig.clock.advance(30 * 60)
    [outcome] = rig.poster.run_due()
    assert outcome.status == "failed"
    assert "reinstall the app and update SLACK_BOT_TOKEN" in outcome.detail
