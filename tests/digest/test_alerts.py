"""Threshold alerts: one per threshold per billing period, re-armed by a new period."""

from __future__ import annotations

from datetime import time
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient

from bot.digest.alerts import AlertChecker, AlertOutcome
from bot.digest.store import DigestStore
from bot.katalo.budget import RequestBudget
from bot.katalo.cache import SingleFlightCache
from bot.katalo.client import KataloClient
from tests.digest.conftest import BERLIN, CHANNEL, TOKEN
from tests.fakes import FakeClock
from tests.stand_ins.slack import SlackDouble

NOVEMBER = {"start_at": "2026-11-01T00:00:00Z", "end_at": "2026-12-01T00:00:00Z"}
DECEMBER = {"start_at": "2026-12-01T00:00:00Z", "end_at": "2027-01-01T00:00:00Z"}


class Katalo:
    """A Katalo whose usage summary the test sets, served over httpx.MockTransport."""

    def __init__(self) -> None:
        self.body: dict[str, Any] = {}

    def set(self, consumed: int, period: dict[str, str] = NOVEMBER, enabled: bool = True) -> None:
        self.body = {
            "usage": {"included": 1000, "consumed": consumed},
            "billing_period": period,
            "access": {"enabled": enabled},
        }

    def handler(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=self.body)


def posted(outcomes: list[AlertOutcome]) -> list[tuple[str, str]]:
    """(channel, kind) of each alert the check posted."""
    return [(o.channel_id, o.kind) for o in outcomes if o.status == "posted"]


@pytest.fixture
def alerts(engine):
    katalo = Katalo()
    clock = FakeClock()
    client = KataloClient(
        "https://katalo.test",
        "kat_live_pk.x",
        budget=RequestBudget(1000),
        cache=SingleFlightCache(60),
        transport=httpx.MockTransport(katalo.handler),
    )
    store = DigestStore(engine)
    store.subscribe(CHANNEL, time(9), BERLIN, by=None, now=clock.now())
    with SlackDouble(token=TOKEN) as slack:
        checker = AlertChecker(store, client, WebClient(token=TOKEN, base_url=slack.api_url), now=clock.now)
        yield katalo, checker, slack


def test_no_alert_below_the_first_threshold(alerts):
    katalo, checker, slack = alerts
    katalo.set(700)
    assert posted(checker.check()) == []
    assert slack.calls("chat.postMessage") == []


def test_crossing_80_percent_alerts_once_not_on_every_check(alerts):
    """The 80% alert goes out when consumption crosses it, and not again on later checks."""
    katalo, checker, slack = alerts
    katalo.set(850)
    assert posted(checker.check()) == [(CHANNEL, "threshold_80")]
    katalo.set(870)
    assert posted(checker.check()) == []
    assert posted(checker.check()) == []
    [alert] = slack.messages(CHANNEL)
    assert "reached 80% of the plan: 85.0% used (850 of 1,000)" in alert["text"]


def test_crossing_100_percent_later_alerts_again(alerts):
    """80% then 100%: two alerts, each once, with the figures that triggered them."""
    katalo, checker, slack = alerts
    katalo.set(850)
    checker.check()
    katalo.set(1020)
    assert posted(checker.check()) == [(CHANNEL, "threshold_100")]
    assert "reached the whole plan: 102.0% used (1,020 of 1,000)" in slack.messages(CHANNEL)[-1]["text"]


def test_jumping_past_both_thresholds_posts_only_the_highest(alerts):
    """From 70% straight to 105%: one alert (100%), and the 80% one is not sent afterwards."""
    katalo, checker, _ = alerts
    katalo.set(1050)
    assert posted(checker.check()) == [(CHANNEL, "threshold_100")]
    assert posted(checker.check()) == []


def test_a_new_billing_period_re_arms_the_alerts(alerts):
    """The same threshold in December alerts again: one per threshold per period."""
    katalo, checker, _ = alerts
    katalo.set(850)
    checker.check()
    katalo.set(860, period=DECEMBER)
    assert posted(checker.check()) == [(CHANNEL, "threshold_80")]


def test_access_turning_off_alerts_once(alerts):
    katalo, checker, slack = alerts
    katalo.set(100, enabled=False)
    assert posted(checker.check()) == [(CHANNEL, "access_off")]
    assert posted(checker.check()) == []
    assert "API access is off" in slack.messages(CHANNEL)[0]["text"]


def test_an_alert_slack_refused_is_sent_on_a_later_check(alerts):
    """not_in_channel loses no alert: the claim is given back, and the next check sends it."""
    katalo, checker, slack = alerts
    katalo.set(850)
    slack.member_of = set()
    assert posted(checker.check()) == []
    slack.member_of = None
    assert posted(checker.check()) == [(CHANNEL, "threshold_80")]
    assert posted(checker.check()) == []
