"""An alert whose message is gone is posted anew once; a take-over after a crash says nothing twice.

The plan alert over the Slack stand-in (message ts on the test's clock, as Slack's follow its own):
a person deletes the alert, or a runner dies between the steps of an update; the next check (or the
runner that takes the claim over five minutes later) leaves one message for each thing said.
"""

from __future__ import annotations

from typing import Any

from tests.services.alert_rig import CHANNEL, AlertRig, said
from tests.services.test_alert_plan import DECEMBER, Katalo, rig

__all__ = ["rig"]  # the fixture, imported for pytest
KEY = "plan:2026-11-01T00:00:00+00:00:1000"


def top_level(alerts: AlertRig) -> list[dict[str, Any]]:
    return [m for m in alerts.slack.messages(CHANNEL) if "thread_ts" not in m]


def thread(alerts: AlertRig, ts: str) -> list[dict[str, Any]]:
    return [m for m in alerts.slack.messages(CHANNEL) if m.get("thread_ts") == ts]


def posted_at_80(rig: tuple[Katalo, AlertRig]) -> str:
    katalo, alerts = rig
    katalo.set(850)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "posted")]
    return alerts.store.last_alerts(CHANNEL)["plan"].ts


def test_a_deleted_alert_is_posted_anew_when_it_worsens_and_only_once(rig):
    """Deleted at 80%; at 100% chat.update answers message_not_found: a new alert, its ts recorded."""
    katalo, alerts = rig
    deleted = posted_at_80(rig)
    alerts.slack.delete_message(CHANNEL, deleted)
    katalo.set(1020)
    [outcome] = [o for o in alerts.runner.check() if o.kind == "plan"]
    assert (outcome.status, outcome.detail) == ("reposted", "its message was deleted")
    assert said(alerts.runner.check()) == []
    [alert] = top_level(alerts)
    assert alert["text"].startswith("100% reached")
    assert alert["metadata"]["event_payload"] == {"key": KEY, "level": "100"}
    moved = alerts.store.last_alerts(CHANNEL)["plan"]
    assert moved.ts != deleted and moved.ts == alerts.slack.message_ts(CHANNEL)[0] and moved.level == "100"
    katalo.set(10, period=DECEMBER)  # its later word goes into the new message's thread
    alerts.runner.check()
    [reply] = thread(alerts, moved.ts)
    assert reply["text"].startswith("A new billing period began")


def test_a_deleted_alert_clears_without_a_reply_and_is_not_tried_again(rig):
    """Deleted, then a new period: its thread is gone (thread_not_found), so it is cleared silently, once."""
    katalo, alerts = rig
    alerts.slack.delete_message(CHANNEL, posted_at_80(rig))
    katalo.set(10, period=DECEMBER)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "cleared")]
    assert said(alerts.runner.check()) == []
    assert alerts.slack.messages(CHANNEL) == []
    assert alerts.store.last_alerts(CHANNEL)["plan"].cleared_at is not None


def test_an_alert_slack_will_not_update_is_posted_anew(rig):
    """cant_update_message (the message cannot be edited any more) is treated as gone."""
    katalo, alerts = rig
    posted_at_80(rig)
    alerts.slack.inject("chat.update", error="cant_update_message")
    katalo.set(1020)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "reposted")]
    assert [m["text"][:12] for m in top_level(alerts)] == ["Katalo usage", "100% reached"]


def test_an_update_slack_refuses_otherwise_is_tried_again_not_reposted(rig):
    """A 500 on chat.update is not a deletion: nothing posted, and the next check updates in place."""
    katalo, alerts = rig
    first = posted_at_80(rig)
    alerts.slack.inject("chat.update", status=500, times=2)  # the client's one retry included
    katalo.set(1020)
    assert [o.status for o in alerts.runner.check() if o.kind == "plan"] == ["failed"]
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "updated")]
    assert len(top_level(alerts)) == 1 and len(thread(alerts, first)) == 1


def die_mid_step(alerts: AlertRig, ts: str) -> None:
    """As if the runner died before recording the update: its claim left posting, the alert as it was."""
    with alerts.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alert_steps SET state = 'posting' WHERE step = 'level:100'")
        connection.exec_driver_sql(f"UPDATE alert_posts SET level = '80', message_ts = '{ts}'")
    alerts.clock.advance(6 * 60)  # the claim is stale: another runner takes it over


def test_a_take_over_after_a_crash_past_the_repost_finds_it(rig):
    """Died after posting the alert anew: the take-over finds the new post by its metadata."""
    katalo, alerts = rig
    deleted = posted_at_80(rig)
    alerts.slack.delete_message(CHANNEL, deleted)
    katalo.set(1020)
    alerts.runner.check()
    die_mid_step(alerts, deleted)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "reposted")]
    [alert] = top_level(alerts)
    assert alerts.store.last_alerts(CHANNEL)["plan"].ts == alerts.slack.message_ts(CHANNEL)[0]
    assert alert["text"].startswith("100% reached")


def test_a_take_over_after_a_crash_past_the_thread_reply_does_not_reply_again(rig):
    """Died after the update and its reply: the take-over finds the reply in the thread (its metadata)."""
    katalo, alerts = rig
    ts = posted_at_80(rig)
    katalo.set(1020)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "updated")]
    die_mid_step(alerts, ts)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "updated")]
    [reply] = thread(alerts, ts)
    assert reply["metadata"]["event_payload"] == {"key": KEY, "step": "level:100"}
    assert [c.params["ts"] for c in alerts.slack.calls("conversations.replies")] == [ts]
    assert alerts.store.last_alerts(CHANNEL)["plan"].level == "100"


def test_a_take_over_after_a_crash_before_the_thread_reply_replies_once(rig):
    """Died after the update, before its reply: the take-over updates again and replies, once."""
    katalo, alerts = rig
    ts = posted_at_80(rig)
    katalo.set(1020)
    alerts.runner.check()
    [never_said] = thread(alerts, ts)
    alerts.slack.delete_message(CHANNEL, alerts.slack.message_ts(CHANNEL)[-1])  # the reply, unsaid
    die_mid_step(alerts, ts)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "updated")]
    [reply] = thread(alerts, ts)
    assert reply["text"] == never_said["text"]
    assert said(alerts.runner.check()) == []
