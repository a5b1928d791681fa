"""The one cache in front of Katalo: short TTL, single flight, stale fallback.

- Fresh values live `ttl` seconds (cachetools.TTLCache), so a burst of Slack users costs one request.
- Single flight: while one thread fetches a key, others asking for it wait for that same answer
  instead of sending their own request (50 simultaneous `/katalo usage` → 1 upstream request).
- Errors are never cached: the next call after a failure asks Katalo again.
- The last good value of each key is kept for `stale_for` seconds; when Katalo fails with a transient
  error, a caller that allows it gets that value back marked stale, with the error that made it so.
- Every value carries `fetched_at`, so messages can say "as of 14:02".
- A waiter waits no longer than its own deadline (bot/katalo/deadline.py), whoever leads the flight.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Generic, TypeVar

from cachetools import TTLCache

from bot.katalo import deadline as deadlines
from bot.katalo.errors import KataloError

T = TypeVar("T")

DEFAULT_STALE_FOR = 3600.0


@dataclass(frozen=True)
class Fetched(Generic[T]):
    """A value read from Katalo, when it was read, and whether it is a stale stand-in."""

    value: T
    fetched_at: datetime
    stale: bool = False
    error: KataloError | None = None  # why the value is stale

    def age_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.fetched_at).total_seconds())


class _Flight:
    """One fetch in progress that other threads can wait on."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self.result: Fetched[object] | BaseException | None = None

    def finish(self, result: Fetched[object] | BaseException) -> None:
        self.result = result
        self._done.set()

    def wait(self) -> Fetched[object] | BaseException:
        """The leader's result, or this task's deadline error if that passes first."""
        deadline = deadlines.current()
        if not self._done.wait(None if deadline is None else deadline.remaining()):
            assert deadline is not None  # an unbounded wait returns only once done
            return deadline.exceeded()
        assert self.result is not None
        return self.result


class SingleFlightCache:
    """A TTL cache whose misses are fetched once, however many threads ask at the same moment."""

    def __init__(
        self,
        ttl: float,
        *,
        stale_for: float = DEFAULT_STALE_FOR,
        maxsize: int = 256,
        timer: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.ttl = ttl
        self._fresh: TTLCache[Hashable, Fetched[object]] = TTLCache(maxsize, max(ttl, 1e-9), timer)
        self._last_good: TTLCache[Hashable, Fetched[object]] = TTLCache(maxsize, stale_for, timer)
        self._now = now
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}

    def get(
        self,
        key: Hashable,
        fetch: Callable[[], T],
        *,
        refresh: bool = False,
        allow_stale: bool = False,
    ) -> Fetched[T]:
        """The value for `key`: cached if fresh (unless `refresh`), else fetched once for all askers."""
        with self._lock:
            cached = None if refresh or self.ttl <= 0 else self._fresh.get(key)
            if cached is not None:
                return cached  # type: ignore[return-value]  # one cache, many value types: see _fresh
            flight = self._flights.get(key)
            leading = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        result = self._lead(key, flight, fetch) if leading else flight.wait()
        if isinstance(result, KataloError):
            return self._fall_back(key, result, allow_stale)
        if isinstance(result, BaseException):
            raise result
        return result  # type: ignore[return-value]  # stored as Fetched[object]; the key implies T

    def _lead(
        self, key: Hashable, flight: _Flight, fetch: Callable[[], T]
    ) -> Fetched[object] | BaseException:
        result: Fetched[object] | BaseException
        try:
            result = Fetched(fetch(), fetched_at=self._now())
        except BaseException as exc:  # noqa: BLE001 -- handed to every waiter, then re-raised by each
            result = exc
        with self._lock:
            if isinstance(result, Fetched):
                self._fresh[key] = result
                self._last_good[key] = result
            del self._flights[key]
        flight.finish(result)
        return result

    def _fall_back(self, key: Hashable, error: KataloError, allow_stale: bool) -> Fetched[T]:
        with self._lock:
            last_good = self._last_good.get(key) if allow_stale and error.retryable else None
        if last_good is None:
            raise error
        return replace(last_good, stale=True, error=error)  # type: ignore[return-value]  # as above

    def clear(self) -> None:
        with self._lock:
            self._fresh.clear()
            self._last_good.clear()
