"""When Slack fails an alert: unreachable, a channel that takes no posts, a crash after posting."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fakes import FakeClock
from tests.services.alert_rig import CHANNEL, TOKEN, AlertRig, make_runner, said, subscribe
from tests.services.test_alert_plan import Katalo
from tests.stand_ins.slack import SlackDouble

OTHER = "C0OTHER"


@pytest.fixture
def rig(engine) -> Iterator[tuple[Katalo, AlertRig]]:
    katalo = Katalo()
    clock = FakeClock()
    subscribe(engine, CHANNEL, clock)
    with SlackDouble(token=TOKEN, ts_clock=clock.now) as slack:
        client, runner = make_runner(
            engine, "https://katalo.test", slack, clock, transport=httpx.MockTransport(katalo.handler)
        )
        yield katalo, AlertRig(engine, "https://katalo.test", slack, clock, runner.store, client, runner)


def test_slack_unreachable_is_an_outcome_not_a_crash_and_the_next_check_posts(rig):
    """A runner that cannot reach Slack reports the failure for the alert and gives its claim back."""
    katalo, alerts = rig
    katalo.set(850)
    with SlackDouble(token=TOKEN) as gone:
        pass  # stopped: its address now refuses connections
    transport = httpx.MockTransport(katalo.handler)
    cut_off = make_runner(alerts.engine, "https://katalo.test", gone, alerts.clock, transport=transport)[1]
    [failed] = [o for o in cut_off.check() if o.kind == "plan"]
    assert failed.status == "failed"
    assert failed.detail is not None and "could not be reached" in failed.detail
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "posted")]  # not held for 5 minutes


def test_an_archived_channel_is_tried_again_after_30_minutes_not_at_every_check(rig):
    """Slack's is_archived keeps the step failed: checks every 5 minutes say nothing to Slack, then it
    is tried again once the 30 minutes are up; another channel is not held up by it."""
    katalo, alerts = rig
    subscribe(alerts.engine, OTHER, alerts.clock)
    katalo.set(850)
    alerts.slack.inject("chat.postMessage", error="is_archived")
    outcomes = {o.channel_id: o for o in alerts.runner.check() if o.kind == "plan"}
    failed = [o for o in outcomes.values() if o.status == "failed"]
    assert len(failed) == 1 and "is_archived" in (failed[0].detail or "")
    assert len(alerts.slack.messages()) == 1  # the other channel got its alert
    archived = failed[0].channel_id
    for _ in range(5):
        alerts.clock.advance(5 * 60)
        [again] = [o for o in alerts.runner.check() if o.kind == "plan" and o.channel_id == archived]
        assert again.status == "failed" and "30 minutes" in (again.detail or "")
    assert len(alerts.slack.messages()) == 1
    alerts.clock.advance(6 * 60)
    assert said(alerts.runner.check()) == [(archived, "plan", "posted")]


def test_a_take_over_records_the_level_the_found_post_shows_and_updates_it_later(rig):
    """A runner died after posting the 80% alert; by the take-over usage is past 100%: the found post is
    recorded at 80%, so the next check updates it in place to 100% instead of calling it said."""
    katalo, alerts = rig
    katalo.set(850)
    alerts.runner.check()
    with alerts.engine.begin() as connection:  # the poster died before recording its post
        connection.exec_driver_sql("UPDATE alert_steps SET state = 'posting'")
        connection.exec_driver_sql("DELETE FROM alert_posts")
    katalo.set(1010)
    alerts.clock.advance(6 * 60)
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "found_posted")]
    assert said(alerts.runner.check()) == [(CHANNEL, "plan", "updated")]
    alert, reply = alerts.slack.messages(CHANNEL)
    assert "100%" in alert["text"] and "100%" in reply["text"]
