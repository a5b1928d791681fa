"""The digest's Health section: ledger records the mirror could not store, and its reconcile line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.db.reconcile_checks import ReconcileChecks
from tests.digest.conftest import CHANNEL

SUMMARY = "/api/v1/usage/summary"
EVENTS = "/api/v1/billing/events"


def _health(message: dict[str, Any]) -> str:
    """The text of the digest's Health section ("" when the digest has none)."""
    for block in message["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        if text.startswith("*Health*"):
            return str(text)
    return ""


def test_poisoned_records_are_counted_with_what_to_do(rig):
    """Two records Katalo sent that the database cannot hold: the digest says how many and what to do."""
    ledger = rig.katalo.ledger
    ledger.override(ledger.event_count - 3, amount_usd="1e30")
    ledger.override(ledger.event_count - 40, job_id="job_\x00nul")
    rig.clock.advance(30 * 60)
    [outcome] = rig.poster.run_due()
    assert outcome.status == "posted"
    health = _health(rig.slack.messages(CHANNEL)[0])
    assert "2 ledger records could not be stored and are left out of these figures" in health
    assert "send the event ids to Katalo support" in health


def test_one_poisoned_record_is_said_in_the_singular(rig):
    ledger = rig.katalo.ledger
    ledger.override(ledger.event_count - 1, event_id=None)
    rig.clock.advance(30 * 60)
    rig.poster.run_due()
    assert "1 ledger record could not be stored and is left out" in _health(rig.slack.messages(CHANNEL)[0])


def test_a_clean_ledger_says_nothing_about_set_aside_records(rig):
    rig.clock.advance(30 * 60)
    rig.poster.run_due()
    assert "could not be stored" not in str(rig.slack.messages(CHANNEL)[0]["blocks"])


def _period_figures(rig) -> tuple[int, Decimal]:
    """Billable events and the amount of the sandbox's billing period, summed from its own events."""
    period = rig.katalo.ledger.summary()["billing_period"]
    start, end = (datetime.fromisoformat(period[k].replace("Z", "+00:00")) for k in ("start_at", "end_at"))
    billable, amount = 0, Decimal("0.00")
    for event in rig.katalo.ledger.iter_events():
        if start <= datetime.fromisoformat(event["created_at"].replace("Z", "+00:00")) < end:
            billable += bool(event["billable"])
            amount += Decimal(event["amount_usd"] or 0)
    return billable, amount


def test_the_health_section_says_the_mirror_and_katalo_agree(rig):
    """The summary's consumed units equal the mirror's billable events: one line saying so, with both."""
    rig.clock.advance(30 * 60)
    rig.poster.run_due()
    billable, amount = _period_figures(rig)
    assert rig.katalo.ledger.summary()["usage"]["consumed"] == billable
    assert (
        f":white_check_mark: Reconcile: the mirror and Katalo agree ({billable:,} billable events, "
        f"{billable:,} units consumed, ${amount:,.2f} this period)."
    ) in _health(rig.slack.messages(CHANNEL)[0])


def test_a_difference_that_moved_since_the_last_check_asks_for_reconcile(rig):
    """The last `/katalo reconcile` found them level; Katalo now counts 7 more units: flagged, what to do."""
    body = rig.katalo.ledger.summary()
    start = datetime.fromisoformat(body["billing_period"]["start_at"].replace("Z", "+00:00"))
    ReconcileChecks(rig.engine).swap(start, Decimal(0), datetime(2026, 11, 20, 14, 5, tzinfo=UTC))
    body["usage"]["consumed"] += 7
    rig.katalo.inject(SUMMARY, status=200, body=json.dumps(body).encode(), times=None)
    rig.clock.advance(30 * 60)
    rig.poster.run_due()
    billable, amount = _period_figures(rig)
    assert (
        f":warning: Reconcile: the mirror and Katalo differ by 7 units, 7 more than at the check of "
        f"Nov 20 15:05 CET ({billable:,} billable events, {billable + 7:,} units consumed, "
        f"${amount:,.2f} this period): run `/katalo reconcile`."
    ) in _health(rig.slack.messages(CHANNEL)[0])


def test_the_reconcile_line_reads_no_ledger_page_and_records_no_check(rig):
    """Its cost: the summary the digest reads anyway, and the database; the stored check is left as it was."""
    rig.clock.advance(30 * 60)
    assert rig.mirror.ensure_fresh(120, 60).complete  # fresh: the digest's own sync has nothing to read
    rig.katalo.reset_requests()
    rig.poster.run_due()
    assert "Reconcile: the mirror and Katalo agree" in _health(rig.slack.messages(CHANNEL)[0])
    assert (rig.katalo.request_count(SUMMARY), rig.katalo.request_count(EVENTS)) == (1, 0)
    body = rig.katalo.ledger.summary()
    start = datetime.fromisoformat(body["billing_period"]["start_at"].replace("Z", "+00:00"))
    assert ReconcileChecks(rig.engine).last(start) is None


def _record_level_check(rig) -> None:
    """A `/katalo reconcile` of the period found Katalo and the mirror level (difference 0)."""
    body = rig.katalo.ledger.summary()
    start = datetime.fromisoformat(body["billing_period"]["start_at"].replace("Z", "+00:00"))
    ReconcileChecks(rig.engine).swap(start, Decimal(0), datetime(2026, 11, 20, 14, 5, tzinfo=UTC))


def _new_events_at(rig, moment: datetime) -> int:
    """Katalo records new events dated `moment`, at least one billable; how many are billable."""
    ledger = rig.katalo.ledger
    first = ledger.event_count
    ledger.append(1)
    while not ledger.event(ledger.event_count - 1)["billable"]:
        ledger.append(1)
    stamp = moment.isoformat().replace("+00:00", "Z")
    for i in range(first, ledger.event_count):
        ledger.override(i, created_at=stamp)
    return sum(1 for i in range(first, ledger.event_count) if ledger.event(i)["billable"])


def test_an_event_made_right_after_katalos_figures_is_not_a_change(rig):
    """The summary was read (and cached) at 09:00:00; an event dated exactly then reached the mirror by
    its sync 20 s later: it is after Katalo's figure, so the line still agrees, with no call to reconcile."""
    _record_level_check(rig)
    rig.clock.advance(30 * 60)
    rig.client.usage_summary()  # read at 09:00:00 Berlin; the digest below gets this one from the cache
    _new_events_at(rig, rig.clock.now())
    rig.clock.advance(20)
    assert rig.mirror.run_sync().complete  # the mirror now holds the new events
    rig.poster.run_due()
    health = _health(rig.slack.messages(CHANNEL)[0])
    assert ":white_check_mark: Reconcile: the mirror and Katalo agree (" in health
    assert "run `/katalo reconcile`" not in health


def test_a_mirror_synced_just_before_katalos_figures_is_synced_again_and_judged(rig):
    """Synced at 09:00:00; an event at 09:00:10 that Katalo counts at 09:00:30. The mirror is only 30 s
    old, yet older than Katalo's figures: the digest syncs once more, so the event is on both sides."""
    _record_level_check(rig)
    rig.clock.advance(30 * 60)
    assert rig.mirror.ensure_fresh(120, 60).complete
    assert _new_events_at(rig, rig.clock.now() + timedelta(seconds=10)) >= 1
    rig.clock.advance(30)
    rig.katalo.reset_requests()
    rig.poster.run_due()
    health = _health(rig.slack.messages(CHANNEL)[0])
    assert ":white_check_mark: Reconcile: the mirror and Katalo agree (" in health
    assert (rig.katalo.request_count(SUMMARY), rig.katalo.request_count(EVENTS)) == (1, 1)


def test_a_mirror_that_cannot_sync_after_katalos_figures_waits_instead_of_flagging(rig):
    """The same, but the ledger answers 500 to the digest's sync: Health says the sync is behind and
    why, and the reconcile line waits instead of flagging the event the mirror lacks."""
    _record_level_check(rig)
    rig.clock.advance(30 * 60)
    assert rig.mirror.ensure_fresh(120, 60).complete
    assert _new_events_at(rig, rig.clock.now() + timedelta(seconds=10)) >= 1
    rig.clock.advance(30)
    rig.katalo.inject(EVENTS, status=500, times=None)
    rig.poster.run_due()
    health = _health(rig.slack.messages(CHANNEL)[0])
    assert "The ledger sync is behind (Katalo had an internal error." in health
    assert "Reconcile: not checked today, as the figures above are not current" in health
    assert "differ" not in health and "run `/katalo reconcile`" not in health


def test_a_stale_mirror_is_synced_after_the_summary_and_then_judged(rig):
    """The mirror is 5 minutes old: the digest reads the summary, then syncs, so the new events are on
    both sides and the line agrees."""
    _record_level_check(rig)
    rig.clock.advance(30 * 60 - 300)
    assert rig.mirror.ensure_fresh(120, 60).complete
    rig.clock.advance(290)
    _new_events_at(rig, rig.clock.now())
    rig.clock.advance(10)
    rig.poster.run_due()
    assert ":white_check_mark: Reconcile: the mirror and Katalo agree (" in _health(
        rig.slack.messages(CHANNEL)[0]
    )
