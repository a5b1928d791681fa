"""A digest rig: the sandbox ledger, the Slack stand-in, a controllable clock and a real database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.config import load_settings
from bot.digest.deliver import DigestPoster
from bot.digest.store import DigestStore
from bot.katalo.budget import RequestBudget
from bot.katalo.cache import SingleFlightCache
from bot.katalo.client import KataloClient
from bot.ledger.mirror import LedgerMirror
from bot.sandbox import SANDBOX_API_KEY
from bot.sandbox.ledger import SandboxLedger
from bot.wiring.root import slack_client
from tests.fakes import FakeClock
from tests.ledger.helpers import TEST_RETRY
from tests.stand_ins.katalo import KataloDouble
from tests.stand_ins.slack import SlackDouble

TOKEN = "xoxb-digest-test"
CHANNEL = "C0DIGEST"
BERLIN = ZoneInfo("Europe/Berlin")
BEFORE_NINE_BERLIN = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)  # 08:30 in Berlin
LEDGER_NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # the sandbox ledger's newest moment


@dataclass
class Rig:
    engine: Engine
    katalo: KataloDouble
    slack: SlackDouble
    clock: FakeClock
    store: DigestStore
    poster: DigestPoster
    client: KataloClient
    mirror: LedgerMirror

    def another_poster(self, engine: Engine | None = None) -> DigestPoster:
        """A second runner (another clock process) on the same database and Slack."""
        return make_poster(engine or self.engine, self.katalo, self.slack, self.clock)[0]


def make_poster(
    engine: Engine, katalo: KataloDouble, slack: SlackDouble, clock: FakeClock
) -> tuple[DigestPoster, KataloClient, LedgerMirror]:
    client = KataloClient(
        katalo.url,
        SANDBOX_API_KEY,
        budget=RequestBudget(100_000),
        cache=SingleFlightCache(60, timer=clock.monotonic, now=clock.now),
        retry=TEST_RETRY,
    )
    mirror = LedgerMirror(engine, client, now=clock.now, page_limit=100, retry=TEST_RETRY)
    web = WebClient(
        token=TOKEN, base_url=slack.api_url, retry_handlers=slack_client(load_settings({})).retry_handlers
    )
    return DigestPoster(DigestStore(engine), client, mirror, web, now=clock.now), client, mirror


@pytest.fixture
def rig(engine, start_sandbox) -> Iterator[Rig]:
    # The ledger ends before the bot's clock starts, as a real one does: no event is dated after a fetch.
    katalo = start_sandbox(SandboxLedger(seed=3, events=2000, now=LEDGER_NOW))
    clock = FakeClock(start=BEFORE_NINE_BERLIN)
    with SlackDouble(token=TOKEN, ts_clock=clock.now) as slack:
        poster, client, mirror = make_poster(engine, katalo, slack, clock)
        poster.store.subscribe(CHANNEL, time(9), BERLIN, by="U0ALICE", now=clock.now())
        yield Rig(engine, katalo, slack, clock, poster.store, poster, client, mirror)
