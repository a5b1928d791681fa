"""`/katalo reconcile` counts both sides at the moment Katalo's summary was read, on both databases.

A sandbox Katalo over HTTP, a real mirror, and a fake clock that moves only when a test says so, so
that an event can be dated exactly between the mirror's last sync and the summary's fetch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.blocks.limits import displayed_texts
from bot.db.reconcile_checks import ReconcileChecks
from bot.katalo.budget import RequestBudget
from bot.katalo.cache import SingleFlightCache
from bot.katalo.client import KataloClient
from bot.ledger.mirror import LedgerMirror
from bot.sandbox import SANDBOX_API_KEY
from bot.sandbox.ledger import SandboxLedger
from bot.services.reconcile import Reconciler
from tests.conftest import NOW
from tests.fakes import FakeClock
from tests.ledger.helpers import TEST_RETRY
from tests.stand_ins.katalo import KataloDouble

SUMMARY = "/api/v1/usage/summary"
EVENTS = "/api/v1/billing/events"
START = NOW + timedelta(minutes=30)  # the bot's clock starts after the ledger's newest event


@dataclass
class Rig:
    engine: Engine
    katalo: KataloDouble
    clock: FakeClock
    mirror: LedgerMirror
    reconciler: Reconciler

    def reconcile(self) -> str:
        """The answer as Slack shows it."""
        message = self.reconciler.answer()
        return "\n".join(displayed_texts({"text": message["text"], "blocks": message["blocks"]}))

    def new_events_at(self, moment: datetime, count: int = 1) -> None:
        """Katalo records `count` new events dated `moment`, the last of them billable."""
        ledger = self.katalo.ledger
        first = ledger.event_count
        ledger.append(count)
        while not ledger.event(ledger.event_count - 1)["billable"]:
            ledger.append(1)
        for i in range(first, ledger.event_count):
            ledger.override(i, created_at=moment.isoformat().replace("+00:00", "Z"))

    def period_start(self) -> datetime:
        return datetime.fromisoformat(self.katalo.ledger.summary()["billing_period"]["start_at"])


@pytest.fixture
def rig(engine: Engine, start_sandbox) -> Rig:
    # Two days of events, so that even 250 appended ones keep the ledger's present in this billing period.
    katalo = start_sandbox(SandboxLedger(seed=7, events=237, now=NOW, days=2))
    clock = FakeClock(START)
    client = KataloClient(
        katalo.url,
        SANDBOX_API_KEY,
        budget=RequestBudget(100_000),
        cache=SingleFlightCache(60, timer=clock.monotonic, now=clock.now),
        retry=TEST_RETRY,
    )
    mirror = LedgerMirror(engine, client, now=clock.now, page_limit=100, retry=TEST_RETRY)
    assert mirror.run_sync().complete
    return Rig(engine, katalo, clock, mirror, Reconciler(client, mirror, now=clock.now))


def test_an_event_the_mirror_lacks_yet_is_counted_from_the_pages_read_again(rig):
    """Synced at 09:30:00; an event at 09:30:10; reconcile at 09:30:30: Katalo counts it, the mirror does
    not hold it yet, the newest pages do. The difference is unchanged, in the same three requests."""
    assert "The first check this period" in rig.reconcile()
    rig.new_events_at(START + timedelta(seconds=10))
    rig.clock.advance(30)
    rig.katalo.reset_requests()
    text = rig.reconcile()
    assert "The difference is unchanged since the check of" in text
    assert "1 billable event of them on the pages read again, not yet mirrored" in text
    assert "Difference: *0*" in text and "*changed*" not in text
    assert (rig.katalo.request_count(SUMMARY), rig.katalo.request_count(EVENTS)) == (1, 2)


def test_an_event_dated_when_katalo_answered_is_not_counted(rig):
    """Katalo's figure was read at 09:30:30; an event dated exactly then is after it, though the mirror
    already holds it: no change."""
    assert "The first check this period" in rig.reconcile()
    body = rig.katalo.ledger.summary()  # Katalo's figures before the new event
    rig.clock.advance(30)
    rig.new_events_at(rig.clock.now())
    assert rig.mirror.run_sync().complete
    rig.katalo.inject(SUMMARY, status=200, body=json.dumps(body).encode())
    text = rig.reconcile()
    assert "The difference is unchanged since the check of" in text and "Difference: *0*" in text
    assert "*changed*" not in text


def test_a_real_change_is_still_flagged(rig):
    """Katalo counts 7 more units with no new ledger event: the difference changed, and it is said."""
    rig.reconcile()
    body = rig.katalo.ledger.summary()
    body["usage"]["consumed"] += 7
    rig.katalo.inject(SUMMARY, status=200, body=json.dumps(body).encode())
    rig.clock.advance(60)
    text = rig.reconcile()
    assert "The difference *changed* since the check of" in text and "it was 0, it is 7." in text


def test_a_mirror_behind_the_pages_read_again_is_not_compared_and_nothing_is_recorded(rig):
    """250 events since the last sync: the two newest pages do not reach what the mirror holds, so the
    check says it waits for the mirror, names no difference, and leaves the last check as it was."""
    rig.reconcile()
    first = ReconcileChecks(rig.engine).last(rig.period_start())
    rig.new_events_at(START + timedelta(seconds=10), count=250)
    rig.clock.advance(30)
    message = rig.reconciler.answer()
    text = rig.reconcile()
    assert message["text"].endswith("The mirror is behind Katalo's figures: not compared yet.")
    assert "Not compared: the mirror's last sync ended 30 s before Katalo answered, and the newest" in text
    assert "Difference" not in text and "*changed*" not in text
    assert "Let the mirror catch up" in text
    assert ReconcileChecks(rig.engine).last(rig.period_start()) == first
