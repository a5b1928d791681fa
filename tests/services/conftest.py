"""The services built by hand around a sandbox Katalo: a real client and mirror, a fixed "now".

Retries sleep on a FakeClock (recorded, not slept), so a Katalo that fails costs these tests nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.blocks.limits import displayed_texts
from bot.db.engine import open_database
from bot.katalo.budget import RequestBudget
from bot.katalo.cache import SingleFlightCache
from bot.katalo.client import KataloClient
from bot.ledger.mirror import LedgerMirror
from bot.sandbox import SANDBOX_API_KEY
from bot.sandbox.ledger import SandboxLedger
from bot.services.answers import Answers
from bot.services.spend import Spend
from tests.conftest import NOW
from tests.fakes import FakeClock
from tests.ledger.helpers import TEST_RETRY
from tests.stand_ins.katalo import KataloDouble


@dataclass
class Parts:
    katalo: KataloDouble
    client: KataloClient
    mirror: LedgerMirror
    clock: FakeClock

    def answers(self) -> Answers:
        return Answers(self.client, self.mirror, now=lambda: NOW)

    def spend(self, zone: Any = UTC) -> Spend:
        return Spend(self.client, self.mirror, zone=zone, now=lambda: NOW)

    def spent(self, start: datetime, end: datetime, **match: str) -> Decimal:
        """The sandbox's own sum over [start, end), computed here from its events."""
        total = Decimal("0.00")
        for event in self.katalo.ledger.iter_events():
            at = datetime.fromisoformat(event["created_at"].replace("Z", "+00:00"))
            if start <= at < end and all(event[k] == v for k, v in match.items()):
                total += Decimal(event["amount_usd"])
        return total


@pytest.fixture
def make_parts(tmp_path, start_sandbox) -> Callable[..., Parts]:
    def make(*, events: int = 237, api_key: str = SANDBOX_API_KEY, **sandbox_options: Any) -> Parts:
        katalo = start_sandbox(SandboxLedger(seed=7, events=events, now=NOW), **sandbox_options)
        clock = FakeClock(NOW)
        client = KataloClient(
            katalo.url,
            api_key,
            budget=RequestBudget(100_000),
            cache=SingleFlightCache(60, timer=clock.monotonic, now=clock.now),
            retry=TEST_RETRY,
            sleep=clock.sleep,
        )
        engine = open_database(f"sqlite:///{tmp_path / f'services-{events}.db'}")
        mirror = LedgerMirror(engine, client, now=lambda: max(datetime.now(UTC), NOW), retry=TEST_RETRY)
        return Parts(katalo, client, mirror, clock)

    return make


@pytest.fixture
def parts(make_parts) -> Parts:
    return make_parts()


def shown(message: dict[str, Any]) -> str:
    return "\n".join(displayed_texts({"text": message["text"], "blocks": message.get("blocks", [])}))
