"""Kinds turned off, snoozed or muted post nothing; an acknowledged alert keeps its mark when updated."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.blocks.limits import check_message
from tests.conftest import NOW
from tests.services.alert_rig import CHANNEL, burst_on, kinds_said, make_rig, said

__all__ = ["make_rig"]  # the fixture, imported for pytest
NOV_23_NOON = datetime(2026, 11, 23, 12, tzinfo=NOW.tzinfo)


def test_a_snoozed_kind_posts_nothing_until_it_wakes(make_rig):
    """A spike while spikes are snoozed for a day: nothing posted; after the snooze, the alert goes out."""
    ledger, rig = make_rig()
    burst_on(ledger, NOV_23_NOON)
    until = NOW + timedelta(hours=1)
    rig.store.silence(CHANNEL, "spike", mode="snooze", until=until, by_user="U0ALICE", at=NOW)
    outcomes = [o for o in rig.runner.check() if o.kind == "spike"]
    assert [(o.status, o.detail) for o in outcomes] == [("silenced", "snoozed until 2026-11-24 10:00 UTC")]
    assert not [m for m in rig.slack.messages(CHANNEL) if "spike" in m["text"]]
    rig.clock.advance(timedelta(hours=1).total_seconds())
    assert kinds_said(rig, "spike") == ["posted"]


def test_a_muted_kind_posts_nothing_while_other_kinds_do(make_rig):
    """Pace muted: the plan alert still goes out, the pace one does not."""
    _, rig = make_rig(included=1200)
    rig.store.silence(CHANNEL, "pace", mode="mute", until=NOW + timedelta(days=7), by_user="U0ALICE", at=NOW)
    outcomes = rig.runner.check()
    assert said(outcomes) == [(CHANNEL, "plan", "posted")]
    assert [o.status for o in outcomes if o.kind == "pace"] == ["silenced"]


def test_a_kind_turned_off_is_not_even_reported(make_rig):
    """Spikes off in the channel: no spike outcome at all."""
    ledger, rig = make_rig()
    burst_on(ledger, NOV_23_NOON)
    rig.store.set_enabled(CHANNEL, ["spike"], False, by_user="U0ALICE", at=NOW)
    assert [o for o in rig.runner.check() if o.kind == "spike"] == []


def test_a_channel_without_alerts_gets_none(make_rig):
    """No digest, no kind on, no budget: the check says nothing anywhere."""
    _, rig = make_rig(included=1200, subscribed=False)
    assert rig.runner.check() == []
    assert rig.slack.calls("chat.postMessage") == []


def test_an_acknowledged_alert_keeps_its_mark_when_it_is_updated(make_rig):
    """Acknowledged at 80%, then 100% crossed: the updated message still says who acknowledged it."""
    ledger, rig = make_rig(included=1100)  # 1,055 of 1,100: 95.9%
    rig.runner.check()
    plan = rig.store.last_alerts(CHANNEL)["plan"]
    rig.store.acknowledge(CHANNEL, plan.ts, by_user="U0ANA", at=NOW.replace(hour=10, minute=42))
    ledger.append(60)  # usage passes 1,100 within the day (a plan changed would start a new alert)
    rig.clock.advance((ledger.now - rig.clock.now()).total_seconds() + 60)
    assert kinds_said(rig, "plan") == ["updated"]
    [update] = [c for c in rig.slack.calls("chat.update") if c.params["ts"] == plan.ts]
    blocks = update.params["blocks"]
    assert "Acknowledged by <@U0ANA> at 10:42" in str(blocks)
    assert update.params["text"].startswith("100% reached")


def test_a_dry_run_composes_what_is_due_and_claims_nothing(make_rig):
    """Dry run: each due alert composed within Slack's limits, none posted; a real check then posts them."""
    ledger, rig = make_rig(included=1200)
    burst_on(ledger, NOV_23_NOON)
    dry = rig.runner.check(dry_run=True)
    assert sorted(o.kind for o in dry if o.status == "would_post") == ["pace", "plan", "spike"]
    for outcome in dry:
        assert outcome.message is not None
        check_message(outcome.message)
    assert rig.slack.calls("chat.postMessage") == []
    assert sorted(kind for _, kind, _ in said(rig.runner.check())) == ["pace", "plan", "spike"]
