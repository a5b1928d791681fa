"""Progress of a ledger sync: a tqdm bar on a terminal, a log line every few seconds elsewhere.

The ledger's size is not known before the walk ends, so the bar counts events and pages with the
rate, and shows how far back (or forward) in time the walk has reached. An ETA is given for
oldest-first walks, whose remaining span (from the event reached to now) is known.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from tqdm import tqdm

from bot.formatting import plural
from bot.ledger.records import describe
from bot.ledger.sync import SyncReport

log = logging.getLogger(__name__)
LOG_EVERY_SECONDS = 10.0


class SyncProgress:
    """A progress callback for LedgerSync.run; `close()` when the sync is over."""

    def __init__(self, stream: TextIO, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._now = now
        self._started = time.monotonic()
        self._last_log = self._started
        self._first_reached: datetime | None = None
        interactive = stream.isatty()
        self._bar = (
            tqdm(file=stream, unit=" events", unit_scale=True, dynamic_ncols=True) if interactive else None
        )

    def __call__(self, report: SyncReport) -> None:
        if self._first_reached is None:
            self._first_reached = report.reached
        details = self._details(report)
        if self._bar is not None:
            self._bar.update(report.events_seen - self._bar.n)
            self._bar.set_postfix_str(details, refresh=False)
        elif time.monotonic() - self._last_log >= LOG_EVERY_SECONDS:
            self._last_log = time.monotonic()
            log.info("ledger sync: %s events so far, %s", f"{report.events_seen:,}", details)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def _details(self, report: SyncReport) -> str:
        parts = [plural(report.pages, "page"), f"{report.events_new:,} new"]
        if report.reached is not None:
            parts.append(f"at {report.reached:%Y-%m-%d %H:%M}")
        eta = self._eta(report)
        if eta is not None:
            parts.append(f"ETA {eta:.0f} s")
        return ", ".join(parts)

    def _eta(self, report: SyncReport) -> float | None:
        """Seconds left, when the walk moves forward in time towards now (oldest-first)."""
        first, reached = self._first_reached, report.reached
        if first is None or reached is None or reached <= first:
            return None
        covered = (reached - first).total_seconds()
        remaining = (self._now() - reached).total_seconds()
        return (time.monotonic() - self._started) * remaining / covered


def summary_line(report: SyncReport) -> str:
    """One line at the end of `katalo-bot sync`."""
    if report.skipped:
        return f"Nothing done: {report.skipped}."
    rate = report.events_seen / report.seconds if report.seconds > 0 else 0.0
    events, pages = plural(report.events_seen, "event"), plural(report.pages, "page")
    line = (
        f"Read {events} ({report.events_new:,} new) in {pages}, {report.seconds:.1f} s ({rate:,.0f} events/s)"
    )
    if report.restarts:
        line += f"; walk restarted {report.restarts}× after an expired cursor"
    if report.future_dated:
        future = plural(report.future_dated, "event")
        line += f"; {future} dated in the future (stored, not trusted as a watermark)"
    if report.set_aside:
        line += f"; {describe(report.set_aside, report.set_aside_examples)}"
    if report.error is not None:
        return f"{line}. Stopped: {report.error.user_message}"
    return f"{line}. " + ("The mirror is up to date." if report.complete else "Stopped at the time limit.")
