"""The mirror as the rest of the bot sees it: queries, plus "sync first if it is stale".

    mirror = LedgerMirror(engine, client)
    freshness = mirror.ensure_fresh(max_age=60, time_limit=2.5)
    events = mirror.queries.events_of_job("job_01J...")
    # freshness.complete says whether the answer covers the ledger up to now

`ensure_fresh` never waits longer than its time limit, so a Slack reply stays quick; when another
sync is already running, it waits for that one instead of starting a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from bot.figures import Freshness
from bot.katalo.client import KataloClient
from bot.katalo.errors import KataloError
from bot.katalo.transport import RetryPolicy
from bot.ledger.queries import LedgerQueries
from bot.ledger.store import LedgerStore, SyncState
from bot.ledger.sync import LedgerSync, ProgressCallback, SyncReport

_POLL_SECONDS = 0.1


class LedgerMirror:
    def __init__(
        self,
        engine: Engine,
        client: KataloClient,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        **sync_options: Any,
    ) -> None:
        """`sync_options` go to LedgerSync (page_limit, retry); `monotonic` and `sleep` measure out
        time limits (a test passes a fake clock)."""
        self.store = LedgerStore(engine)
        self.queries = LedgerQueries(engine)
        self.sync = LedgerSync(client, self.store, now=now, monotonic=monotonic, **sync_options)
        self._now = now
        self._monotonic = monotonic
        self._sleep = sleep

    def state(self) -> SyncState:
        return self.store.state()

    def run_sync(
        self, *, deadline: float | None = None, progress: ProgressCallback | None = None
    ) -> SyncReport:
        """The clock's and `katalo-bot sync`'s sync, which also looks after the tables (LedgerSync.run)."""
        return self.sync.run(deadline=deadline, progress=progress, maintain=True)

    def ensure_fresh(self, max_age: float, time_limit: float) -> Freshness:
        """Sync first when the last complete sync is older than `max_age` s, within `time_limit` s."""
        asked_at = self._now()
        state = self.store.state()
        if _caught_up_since(state, asked_at.timestamp() - max_age):
            return _freshness(state, complete=True)
        deadline = self._monotonic() + time_limit
        # Each page's waits must fit the time limit too: the deadline is only checked between pages.
        retry = RetryPolicy(max_attempts=2, max_total_wait=time_limit / 2, budget_wait=time_limit / 4)
        report = self.sync.run(deadline=deadline, retry=retry)
        while report.skipped and self._monotonic() < deadline:
            # Another process is syncing: its result serves us too, so wait for it rather than race it,
            # then try once more (a quick incremental sync) in case it stopped short.
            self._sleep(_POLL_SECONDS)
            if _caught_up_since(self.store.state(), asked_at.timestamp()):
                break
            report = self.sync.run(deadline=deadline, retry=retry)
        state = self.store.state()
        complete = report.complete or _caught_up_since(state, asked_at.timestamp())
        return _freshness(state, complete=complete, error=report.error)


def _caught_up_since(state: SyncState, moment: float) -> bool:
    return state.last_success_at is not None and state.last_success_at.timestamp() >= moment


def _freshness(state: SyncState, *, complete: bool, error: KataloError | None = None) -> Freshness:
    return Freshness(complete, state.last_success_at, state.complete_through, error)
