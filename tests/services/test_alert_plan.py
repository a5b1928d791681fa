"""Plan threshold and access-off alerts: one alert per billing period, updated in place as it worsens."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient

from bot.db.alert_steps import AlertSteps
from bot.services.alerts.runner import AlertRules
from tests.fakes import FakeClock
from tests.services.alert_rig import CHANNEL, TOKEN, AlertRig, make_runner, said, subscribe
from tests.stand_ins.slack import SlackDouble, buttons

NOVEMBER = {"start_at": "2026-11-01T00:00:00Z", "end_at": "2026-12-01T00:00:00Z"}
DECEMBER = {"start_at": "2026-12-01T00:00:00Z", "end_at": "2027-01-01T00:00:00Z"}


class Katalo:
    """A Katalo whose usage summary the test sets, with an empty ledger, over httpx.MockTransport."""

    def __init__(self) -> None:
        self.body: dict[str, Any] = {}

    def set(
        self,
        consumed: int,
        period: dict[str, str] = NOVEMBER,
        enabled: bool = True,
        included: int | None = 1000,
    ) -> None:
        self.body = {
            "usage": {"included": included, "consumed": consumed},
            "billing_period": period,
            "access": {"enabled": enabled},
        }

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/billing/events"):
            return httpx.Response(200, json={"data": [], "next_cursor": None})
        return httpx.Response(200, json=self.body)


@pytest.fixture
def rig(engine) -> Iterator[tuple[Katalo, AlertRig]]:
    katalo = Katalo()
    clock = FakeClock()
    subscribe(engine, CHANNEL, clock)
    with SlackDouble(token=TOKEN, ts_clock=clock.now) as slack:
        transport = httpx.MockTransport(katalo.handler)
        client, runner = make_runner(
            engine, "https://katalo.test", slack, clock, rules=AlertRules(), transport=transport
        )
        yield katalo, AlertRig(engine, "https://katalo.test", slack, clock, runner.store, client, runner)


def texts(slack: SlackDouble) -> list[str]:
    return [m["text"] for m in slack.messages(CHANNEL)]


def test_no_alert_below_the_first_threshold(rig):
    """70% of the plan: nothing is said."""
    katalo, alerts = rig
    katalo.set(700)
    assert said(alerts.runner.check()) == []
    assert alerts.slack.calls("chat.postMessage") == []


def test_crossing_80_percent_alerts_once_not_on_every_check(rig):
    """The 80% alert goes out when consumption crosses it, with its figures and buttons, and not again."""
    katalo, alerts = rig
    katalo.set(850)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "posted")]
    katalo.set(870)
    assert said(alerts.runner.check()) == []
    [alert] = alerts.slack.messages(CHANNEL)
    assert "reached 80% of the plan: 85.0% used (850 of 1,000)" in alert["text"]
    assert list(buttons(alert)) == ["Acknowledge", "Snooze 1 day", "Snooze 1 week", "Mute for this period"]


def test_crossing_100_percent_later_updates_the_80_alert_and_replies_once(rig):
    """80% then 100%: the alert becomes "100% reached" in place, and one thread reply tells the channel."""
    katalo, alerts = rig
    katalo.set(850)
    alerts.runner.check()
    katalo.set(1020)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "updated")]
    assert said(alerts.runner.check()) == []
    [update] = alerts.slack.calls("chat.update")
    first, reply = alerts.slack.messages(CHANNEL)
    assert update.params["ts"] == reply["thread_ts"]
    assert first["text"].startswith("100% reached: Katalo usage has reached the whole plan: 102.0% used")
    assert reply["text"] == "Now 100% reached: 102.0% used (1,020 of 1,000)."


def test_jumping_past_both_thresholds_posts_only_the_highest(rig):
    """From 70% straight to 105%: one alert at 100%, and the 80% one is never said."""
    katalo, alerts = rig
    katalo.set(1050)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "posted")]
    assert said(alerts.runner.check()) == []
    assert [t[:12] for t in texts(alerts.slack)] == ["100% reached"]


def test_a_new_billing_period_clears_the_old_alert_and_re_arms(rig):
    """December: the November alert says in its thread that it is over; 86% alerts again."""
    katalo, alerts = rig
    katalo.set(850)
    alerts.runner.check()
    katalo.set(860, period=DECEMBER)
    assert sorted(said(alerts.runner.check())) == [(CHANNEL, "plan", "cleared"), (CHANNEL, "plan", "posted")]
    _, reply, december = alerts.slack.messages(CHANNEL)
    assert reply["text"].startswith("A new billing period began on Dec 1")
    assert "thread_ts" in reply and "thread_ts" not in december
    assert said(alerts.runner.check()) == []


def test_a_plan_upgraded_mid_period_clears_its_alert_and_alerts_at_the_new_thresholds(rig):
    """80% of 1,000 said; the plan grows to 2,000: cleared, saying so; 80% of 2,000 alerts again."""
    katalo, alerts = rig
    katalo.set(850)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "posted")]
    katalo.set(850, included=None)  # a summary that does not name the plan's size changes nothing
    assert said(alerts.runner.check()) == []
    katalo.set(850, included=2000)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "cleared")]
    assert texts(alerts.slack)[-1] == "The plan changed to 2,000 included units; alerts start again at 80%."
    katalo.set(1700, included=2000)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "posted")]
    assert said(alerts.runner.check()) == []
    assert texts(alerts.slack)[-1].startswith("Katalo usage has reached 80% of the plan:")
    assert "(1,700 of 2,000)" in texts(alerts.slack)[-1]


def test_the_share_shown_is_rounded_down_never_past_a_threshold_not_crossed(rig):
    """9,996 of 10,000: the 80% alert says 99.9% used, not 100.0%; all 10,000 then says 100.0%."""
    katalo, alerts = rig
    katalo.set(9996, included=10000)
    alerts.runner.check()
    assert "99.9% used (9,996 of 10,000)" in texts(alerts.slack)[-1]
    assert texts(alerts.slack)[-1].startswith("Katalo usage has reached 80% of the plan:")
    katalo.set(10000, included=10000)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "updated")]
    assert texts(alerts.slack)[-1] == "Now 100% reached: 100.0% used (10,000 of 10,000)."


def test_exactly_80_percent_is_crossed(rig):
    """800 of 1,000 is 80%: the boundary counts as crossed."""
    katalo, alerts = rig
    katalo.set(800)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "posted")]


def test_access_turning_off_alerts_once_and_clears_when_back_on(rig):
    """Access off: one alert; back on: one reply in its thread saying so."""
    katalo, alerts = rig
    katalo.set(100, enabled=False)
    assert said(alerts.runner.check()) == [(CHANNEL, "access", "posted")]
    assert said(alerts.runner.check()) == []
    katalo.set(100, enabled=True)
    assert said(alerts.runner.check()) == [(CHANNEL, "access", "cleared")]
    assert said(alerts.runner.check()) == []
    alert, reply = alerts.slack.messages(CHANNEL)
    assert "API access is off" in alert["text"] and "back on" in reply["text"]


def test_access_off_again_after_it_came_back_is_a_new_alert_said_once(rig):
    """Off, back on, off again in the same period: a second alert, posted once across two runners."""
    katalo, alerts = rig
    katalo.set(100, enabled=False)
    alerts.runner.check()
    katalo.set(100, enabled=True)
    alerts.runner.check()
    katalo.set(100, enabled=False)
    assert said(alerts.runner.check()) == [(CHANNEL, "access", "posted")]
    assert said(alerts.another_runner().check()) == []
    assert said(alerts.runner.check()) == []
    first, reply, second = alerts.slack.messages(CHANNEL)
    assert "API access is off" in first["text"] and "back on" in reply["text"]
    assert "API access is off" in second["text"] and not second.get("thread_ts")
    second_ts = alerts.slack.message_ts(CHANNEL)[2]
    shown = alerts.store.last_alerts(CHANNEL)["access"]
    assert (shown.ts, shown.cleared_at) == (second_ts, None)
    katalo.set(100, enabled=True)  # the second occurrence clears in its own thread
    assert said(alerts.runner.check()) == [(CHANNEL, "access", "cleared")]
    assert alerts.slack.messages(CHANNEL)[-1]["thread_ts"] == second_ts


def test_an_alert_slack_refused_is_sent_on_a_later_check(rig):
    """not_in_channel loses no alert: once the bot is back in the channel, a check 30 minutes on sends it
    (not every five minutes meanwhile: the channel needs someone to act first)."""
    katalo, alerts = rig
    katalo.set(850)
    alerts.slack.member_of = set()
    [failed] = [o for o in alerts.runner.check() if o.kind == "plan"]
    assert failed.status == "failed" and "not_in_channel" in (failed.detail or "")
    alerts.slack.member_of = None
    alerts.clock.advance(31 * 60)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "posted")]
    assert said(alerts.runner.check()) == []


def test_a_runner_that_died_after_posting_is_not_posted_twice(rig):
    """A claim left posting by a dead runner: the take-over finds its message by metadata and records it."""
    katalo, alerts = rig
    katalo.set(850)
    alerts.runner.check()
    # Make it look as if the poster died before recording: the step back to posting, the record gone.
    steps = AlertSteps(alerts.engine)
    with alerts.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alert_steps SET state = 'posting'")
        connection.exec_driver_sql("DELETE FROM alert_posts")
    assert steps.state(CHANNEL, "plan:2026-11-01T00:00:00+00:00:1000", "post") == "posting"
    alerts.clock.advance(6 * 60)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "found_posted")]
    assert len(alerts.slack.messages(CHANNEL)) == 1
    history = WebClient(token=TOKEN, base_url=alerts.slack.api_url).conversations_history(channel=CHANNEL)
    assert alerts.store.last_alerts(CHANNEL)["plan"].ts == history["messages"][0]["ts"]
