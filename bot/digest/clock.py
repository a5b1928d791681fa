"""`katalo-bot clock`: the one process that runs schedules (digests, alerts, ledger sync).

Every minute it posts the digests that are due; every five minutes it checks alert thresholds and
brings the ledger mirror up to date. A failing step is logged and retried on its next turn: the loop
never dies of one error, and never spins. Several clocks at once are safe (the claims decide), only
wasteful.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.digest.alerts import AlertChecker
from bot.digest.deliver import DigestPoster
from bot.ledger.mirror import LedgerMirror

log = logging.getLogger(__name__)

TICK_SECONDS = 60.0
EVERY_SECONDS = 300.0  # alerts and ledger sync
SYNC_TIME_LIMIT = 50.0  # a sync turn ends before the next tick is due


@dataclass
class Clock:
    poster: DigestPoster
    alerts: AlertChecker
    mirror: LedgerMirror
    monotonic: Callable[[], float] = time.monotonic
    _last_periodic: float | None = field(default=None, init=False)

    def tick(self) -> None:
        """One turn: due digests, then (every five minutes) alerts and a ledger sync."""
        self._step("digests", self.poster.run_due)
        now = self.monotonic()
        if self._last_periodic is None or now - self._last_periodic >= EVERY_SECONDS:
            self._last_periodic = now
            self._step("alerts", self.alerts.check)
            self._step(
                "ledger sync", lambda: self.mirror.run_sync(deadline=self.monotonic() + SYNC_TIME_LIMIT)
            )

    def run(self, stop: threading.Event) -> None:
        log.info(
            "clock started: digests every minute, alerts and ledger sync every %d minutes",
            EVERY_SECONDS // 60,
        )
        while not stop.is_set():
            started = self.monotonic()
            self.tick()
            stop.wait(max(1.0, TICK_SECONDS - (self.monotonic() - started)))

    @staticmethod
    def _step(name: str, step: Callable[[], object]) -> None:
        try:
            step()
        except Exception:
            log.exception("clock: %s failed; retrying on the next turn", name)
