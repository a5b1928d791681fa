"""An alert rig: the runner as `build_deps` wires it, on a real database, Katalo and the Slack stand-in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.config import Allowlist, load_settings
from bot.db.alert_steps import AlertSteps
from bot.db.alert_store import AlertStore
from bot.digest.store import DigestStore
from bot.katalo.budget import RequestBudget
from bot.katalo.cache import SingleFlightCache
from bot.katalo.client import KataloClient
from bot.ledger.mirror import LedgerMirror
from bot.sandbox import SANDBOX_API_KEY, wire
from bot.sandbox.ledger import SandboxLedger
from bot.services.alerts.runner import AlertRules, AlertRunner
from bot.services.alerts.slack import AlertOutcome, AlertSlack
from bot.wiring.root import slack_client
from tests.conftest import NOW
from tests.fakes import FakeClock
from tests.ledger.helpers import TEST_RETRY
from tests.stand_ins.slack import SlackDouble

TOKEN = "xoxb-alert-test"
CHANNEL = "C0ALERTS"
UTC_ZONE = ZoneInfo("UTC")
DEFAULT_RULES = AlertRules()


@dataclass
class AlertRig:
    engine: Engine
    katalo_url: str
    slack: SlackDouble
    clock: FakeClock
    store: AlertStore
    client: KataloClient
    runner: AlertRunner
    katalo: Any = None  # the KataloDouble, where the rig started one

    def another_runner(self, engine: Engine | None = None) -> AlertRunner:
        """A second runner (another clock process) on the same database, Katalo and Slack."""
        return make_runner(engine or self.engine, self.katalo_url, self.slack, self.clock)[1]


def make_runner(
    engine: Engine,
    katalo_url: str,
    slack: SlackDouble,
    clock: FakeClock,
    *,
    rules: AlertRules = DEFAULT_RULES,
    zone: tzinfo = UTC_ZONE,
    allowlist: Allowlist = Allowlist(),
    transport: object | None = None,
    token: str = TOKEN,
) -> tuple[KataloClient, AlertRunner]:
    options = {} if transport is None else {"transport": transport}
    client = KataloClient(
        katalo_url,
        SANDBOX_API_KEY,
        budget=RequestBudget(100_000),
        cache=SingleFlightCache(60, timer=clock.monotonic, now=clock.now),
        retry=TEST_RETRY,
        **options,  # type: ignore[arg-type]
    )
    mirror = LedgerMirror(engine, client, now=clock.now, page_limit=500, retry=TEST_RETRY)
    web = WebClient(
        token=token, base_url=slack.api_url, retry_handlers=slack_client(load_settings({})).retry_handlers
    )
    store = AlertStore(engine)
    sayer = AlertSlack(store, AlertSteps(engine), web, now=clock.now)
    runner = AlertRunner(
        store, client, mirror, sayer, rules=rules, allowlist=allowlist, zone=zone, now=clock.now
    )
    return client, runner


def subscribe(engine: Engine, channel: str, clock: FakeClock) -> None:
    """A digest subscription: the channel then gets every kind of alert (the default)."""
    DigestStore(engine).subscribe(channel, time(9), UTC_ZONE, by="U0ALICE", now=clock.now())


def said(outcomes: list[AlertOutcome]) -> list[tuple[str, str, str]]:
    """(channel, kind, status) of each thing said in Slack by a check."""
    spoken = ("posted", "found_posted", "updated", "reposted", "cleared")
    return [(o.channel_id, o.kind, o.status) for o in outcomes if o.status in spoken]


BURST = "cfg_burst"


@pytest.fixture
def make_rig(engine, start_sandbox) -> Iterator[Callable[..., tuple[SandboxLedger, AlertRig]]]:
    """A subscribed channel, a sandbox ledger of 40 days to Tue Nov 24 09:00 UTC, and the runner."""
    stands: list[SlackDouble] = []

    def make(included: int | None = None, subscribed: bool = True) -> tuple[SandboxLedger, AlertRig]:
        ledger = SandboxLedger(seed=7, events=2000, now=NOW, included=included)
        katalo = start_sandbox(ledger)
        clock = FakeClock(start=NOW)
        slack = SlackDouble(token=TOKEN, ts_clock=clock.now).start()
        stands.append(slack)
        if subscribed:
            subscribe(engine, CHANNEL, clock)
        client, runner = make_runner(engine, katalo.url, slack, clock, rules=AlertRules())
        return ledger, AlertRig(engine, katalo.url, slack, clock, runner.store, client, runner, katalo)

    yield make
    for slack in stands:
        slack.stop()


def burst_on(ledger: SandboxLedger, at: datetime, amount: str = "60.00") -> None:
    """One upscale event of `amount` from a new config at `at`: a day's spend leaps."""
    index = ledger.index_at(wire.to_ms(at), ledger.event_count)
    ledger.override(
        index, amount_usd=amount, unit_price_usd=amount, usage_type="upscale", config_fingerprint=BURST
    )


def kinds_said(rig: AlertRig, kind: str) -> list[str]:
    return [status for channel, k, status in said(rig.runner.check()) if k == kind]
