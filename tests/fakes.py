"""Test doubles for time: a clock that only moves when told to, and a gate that holds a sleeper.

Tests prove order, not speed: instead of "Katalo takes 5 s, the ack took under 1 s", a sandbox's
`sleep` waits on a Gate the test opens once it has seen what must come first.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

HOLD_LIMIT = 20.0  # a gate never opened lets its sleepers go after this long, so a failure cannot hang


class FakeClock:
    """Monotonic seconds and wall time that advance only through `advance` or `sleep`."""

    def __init__(self, start: datetime = datetime(2026, 11, 24, 14, 2, tzinfo=UTC)) -> None:
        self._lock = threading.Lock()
        self.seconds = 1000.0
        self._start_wall = start
        self._start_seconds = self.seconds
        self.slept: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self.seconds

    def now(self) -> datetime:
        with self._lock:
            return self._start_wall + timedelta(seconds=self.seconds - self._start_seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.seconds += seconds

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
        self.advance(seconds)


class Gate:
    """A `sleep` that holds every caller until the test opens the gate.

    The first `free` calls pass at once (to let a walk get under way); the rest wait. `slept` records
    every requested duration, `held` counts callers waiting now, and `passed_unopened` counts callers
    that gave up waiting after HOLD_LIMIT: a test that sees it non-zero waited on something it
    should not have.
    """

    def __init__(self, *, free: int = 0) -> None:
        self._changed = threading.Condition()
        self._open = False
        self._free = free
        self.slept: list[float] = []
        self.held = 0
        self.passed_unopened = 0

    def sleep(self, seconds: float) -> None:
        with self._changed:
            self.slept.append(seconds)
            if self._open or len(self.slept) <= self._free:
                return
            self.held += 1
            self._changed.notify_all()
            opened = self._changed.wait_for(lambda: self._open, HOLD_LIMIT)
            self.held -= 1
            if not opened:
                self.passed_unopened += 1

    def wait_held(self, count: int = 1, timeout: float = 10.0) -> None:
        """Return once `count` callers are held; AssertionError after `timeout` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.held >= count, timeout):
                raise AssertionError(f"{self.held} held sleeper(s) after {timeout:g} s, expected {count}")

    def open(self) -> None:
        """Let every held caller go, and every later one pass at once."""
        with self._changed:
            self._open = True
            self._changed.notify_all()
