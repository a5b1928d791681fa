"""`/katalo budget`'s status from the sandbox Katalo and the mirror, on a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from slack_sdk import WebClient

from bot.db.alert_store import AlertStore
from bot.ledger.mirror import LedgerMirror
from bot.sandbox.ledger import SandboxLedger
from bot.services.budget_status import ChannelBudget
from tests.conftest import NOW
from tests.fakes import FakeClock
from tests.ledger.helpers import TEST_RETRY
from tests.services.alert_rig import CHANNEL, TOKEN, make_runner
from tests.stand_ins.slack import SlackDouble


def test_a_finished_period_from_a_stale_summary_is_not_shown_as_this_one(engine, start_sandbox):
    """Dec 1 00:10, Katalo failing, November's summary cached: the status says the period is not known."""
    katalo = start_sandbox(SandboxLedger(seed=7, events=300, now=NOW))  # Katalo names Nov 1 – Dec 1
    clock = FakeClock(start=datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    with SlackDouble(token=TOKEN, ts_clock=clock.now) as slack:
        client, _ = make_runner(engine, katalo.url, slack, clock)
        mirror = LedgerMirror(engine, client, now=clock.now, page_limit=500, retry=TEST_RETRY)
        store = AlertStore(engine)
        store.set_budget(CHANNEL, Decimal(500), "period", by_user="U0ALICE", at=NOW)
        web = WebClient(token=TOKEN, base_url=slack.api_url)
        budget = ChannelBudget(store, client, mirror, web, now=clock.now)
        assert "spent (10.4%) Sun 1 Nov – Mon 30 Nov 2026." in budget.status(CHANNEL)["text"]
        katalo.inject("/api/v1/usage/summary", status=503, times=None)
        clock.advance(timedelta(minutes=29, seconds=59).total_seconds())  # Nov 30, 23:59:59: still it
        assert "spent (10.4%) Sun 1 Nov – Mon 30 Nov 2026." in budget.status(CHANNEL)["text"]
        clock.advance(1)  # Dec 1, 00:00: November is over, and Katalo has not named December
        text = budget.status(CHANNEL)["text"]
        assert text.startswith("The billing period Katalo last named ended on Nov 30, and the current one")
        assert "Spent so far" not in text and "spent (" not in text
