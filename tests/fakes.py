"""Test doubles for time: a clock that only moves when told to, or when something sleeps on it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


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
        self.slept.append(seconds)
        self.advance(seconds)
