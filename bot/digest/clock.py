"""`katalo-bot clock`: the one process that runs schedules (digests, alerts, ledger sync).

Every minute it posts the digests that are due; every five minutes it runs every alert check
(bot/services/alerts/runner.py, the same as `katalo-bot alerts`) and brings the ledger mirror up to
date. A failing step is logged and retried on its next turn: the loop never dies of one error, and
never spins. Several clocks at once are safe (the claims decide), only
wasteful.

It logs each digest and alert it posts, and why it skipped one (not due yet, already posted, the
channel failing and when it is retried, not allowed). A skip is logged when its reason changes, not on
every tick: one line a day per channel, not 1,440.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.blocks.digest import digest_of
from bot.digest.deliver import DigestPoster, Outcome
from bot.digest.store import RETRY_FAILED_AFTER
from bot.ledger.mirror import LedgerMirror
from bot.services.alerts.runner import AlertRunner
from bot.services.alerts.slack import AlertOutcome

log = logging.getLogger(__name__)

TICK_SECONDS = 60.0
EVERY_SECONDS = 300.0  # alerts and ledger sync
# A sync turn ends before the next tick is due, and within the 30 s a platform gives a stopping
# process (SIGTERM, then SIGKILL): the sync resumes where it stopped on the next turn.
SYNC_TIME_LIMIT = 25.0
_SAID = {
    "posted": "posted",
    "found_posted": "found (posted before a crash, now recorded)",
    "updated": "updated in place (and replied in its thread)",
    "reposted": "posted anew (its message was gone)",
    "cleared": "said in its thread that it cleared:",
}


@dataclass
class Clock:
    poster: DigestPoster
    alerts: AlertRunner
    mirror: LedgerMirror
    monotonic: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _last_periodic: float | None = field(default=None, init=False)
    _said: dict[tuple[str, ...], str] = field(default_factory=dict, init=False)  # last reason logged

    def tick(self, stop: threading.Event | None = None) -> None:
        """One turn: due digests, then (every five minutes) alerts and a ledger sync.

        A stop asked for (SIGTERM) during the digests ends the turn after them: a digest being posted
        is finished and its claim marked, but alerts and a sync (up to SYNC_TIME_LIMIT) are not begun:
        they would eat into the platform's 30 s before SIGKILL, and the next clock does them first.
        A stop during a sync ends the process within SYNC_TIME_LIMIT (the sync resumes next time).
        """
        self._step("digests", self._run_digests)
        if stop is not None and stop.is_set():
            return
        now = self.monotonic()
        if self._last_periodic is None or now - self._last_periodic >= EVERY_SECONDS:
            self._last_periodic = now
            self._step("alerts", self._check_alerts)
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
            self.tick(stop)
            stop.wait(max(1.0, TICK_SECONDS - (self.monotonic() - started)))
        log.info("clock stopped")

    def _run_digests(self) -> None:
        for outcome in self.poster.run_due():
            self._log_digest(outcome)

    def _check_alerts(self) -> None:
        for outcome in self.alerts.check():
            self._log_alert(outcome)

    def _log_digest(self, outcome: Outcome) -> None:
        what, channel, day = digest_of(outcome.local_date), outcome.channel_id, outcome.local_date
        if outcome.status in ("posted", "found_posted"):
            found = " (found there after a crash, and recorded)" if outcome.status == "found_posted" else ""
            log.info("clock: posted %s to %s%s", what, channel, found)
            self._said[("digest", channel)] = f"already_posted {day}"  # so the next ticks' skip goes unsaid
        elif outcome.status == "failed":
            retry = f"{self.now() + RETRY_FAILED_AFTER:%H:%M} UTC"
            log.warning(
                "clock: could not post %s to %s: %s; retried after %s", what, channel, outcome.detail, retry
            )
            self._said[("digest", channel)] = f"retry_later {day}"
        else:
            self._skipped(
                ("digest", channel), f"{outcome.status} {day}", f"{what} for {channel}", outcome.detail
            )

    def _log_alert(self, outcome: AlertOutcome) -> None:
        what = f"the {outcome.kind} alert {outcome.key or ''}".rstrip() if outcome.kind != "all" else "alerts"
        channel = outcome.channel_id
        key = ("alert", channel, outcome.kind, outcome.key or "")
        if outcome.status in _SAID:
            log.info("clock: %s %s in %s", _SAID[outcome.status], what, channel)
            self._said[key] = "already_posted"
        elif outcome.status == "failed":
            log.warning("clock: could not say %s in %s: %s", what, channel, outcome.detail)
        else:
            self._skipped(key, outcome.status, f"{what} for {channel}", outcome.detail)

    def _skipped(self, key: tuple[str, ...], reason: str, what: str, detail: str | None) -> None:
        """Log a skip once per reason: a digest not due yet is said at the first tick, not every minute."""
        if self._said.get(key) != reason:
            self._said[key] = reason
            log.info("clock: skipped %s: %s", what, detail or reason)

    @staticmethod
    def _step(name: str, step: Callable[[], object]) -> None:
        try:
            step()
        except Exception:
            log.exception("clock: %s failed; retrying on the next turn", name)
