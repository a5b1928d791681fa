"""The one cache in front of Katalo: short TTL, single flight, stale fallback.

- Fresh values live `ttl` seconds (cachetools.TLRUCache), so a burst of Slack users costs one request.
- Single flight: while one thread fetches a key, others asking for it wait for that same answer
  instead of sending their own request (50 simultaneous `/katalo usage` → 1 upstream request).
- Errors are never cached: the next call after a failure asks Katalo again.
- The last good value of each key is kept for `stale_for` seconds; when Katalo fails with a transient
  error, a caller that allows it gets that value back marked stale, with the error that made it so.
- Every value carries `fetched_at`, so messages can say "as of 14:02".
- A waiter waits no longer than its own deadline (bot/katalo/deadline.py), whoever leads the flight.
- Shared (given a SharedCache and, per key, a codec): a miss here is looked up in the database
  before Katalo, and fetched once for every process on it (bot/katalo/shared_cache.py). A value
  read from there is kept here only for what is left of its TTL, counted from when it was stored,
  so no process ever serves a value older than `ttl` as fresh. The stale fallback is the newest of
  this process's last good value and the database's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from cachetools import TLRUCache, TTLCache

from bot.katalo import deadline as deadlines
from bot.katalo.codec import Codec
from bot.katalo.errors import KataloError
from bot.katalo.shared_cache import Entry, SharedCache

log = logging.getLogger(__name__)

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
    """A TTL cache whose misses are fetched once, however many threads (and processes) ask at once."""

    def __init__(
        self,
        ttl: float,
        *,
        stale_for: float = DEFAULT_STALE_FOR,
        maxsize: int = 256,
        timer: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        shared: SharedCache | None = None,
    ) -> None:
        self.ttl = ttl
        # Each value with how long it stays fresh here: the whole TTL, or what is left of it.
        self._fresh: TLRUCache[Hashable, tuple[Fetched[object], float]] = TLRUCache(
            maxsize, lambda _key, entry, at: at + entry[1], timer
        )
        self._last_good: TTLCache[Hashable, Fetched[object]] = TTLCache(maxsize, stale_for, timer)
        self._stale_for = stale_for
        self._now = now
        self._shared = shared
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}

    def get(
        self,
        key: Hashable,
        fetch: Callable[[], T],
        *,
        codec: Codec[T] | None = None,
        refresh: bool = False,
        allow_stale: bool = False,
    ) -> Fetched[T]:
        """The value for `key`: cached if fresh (unless `refresh`), else fetched once for all askers.

        With a `codec`, the key is shared with every process on the SharedCache's database."""
        shared = self._shared if codec is not None and self.ttl > 0 else None
        with self._lock:
            cached = None if refresh or self.ttl <= 0 else self._fresh.get(key)
            if cached is not None:
                return cached[0]  # type: ignore[return-value]  # one cache, many value types: see _fresh
            flight = self._flights.get(key)
            leading = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if leading:
            result = self._lead(key, flight, lambda: self._fetch(key, fetch, codec, shared, refresh))
        else:
            result = flight.wait()
        if isinstance(result, KataloError):
            return self._fall_back(key, result, allow_stale, codec, shared)
        if isinstance(result, BaseException):
            raise result
        return result  # type: ignore[return-value]  # stored as Fetched[object]; the key implies T

    def _lead(
        self, key: Hashable, flight: _Flight, fetch: Callable[[], tuple[Fetched[Any], float]]
    ) -> Fetched[object] | BaseException:
        result: Fetched[object] | BaseException
        try:
            result, fresh_for = fetch()
        except BaseException as exc:  # noqa: BLE001 -- handed to every waiter, then re-raised by each
            result = exc
        with self._lock:
            if isinstance(result, Fetched):
                if self.ttl > 0:
                    self._fresh[key] = (result, fresh_for)
                self._last_good[key] = result
            del self._flights[key]
        flight.finish(result)
        return result

    def _fetch(
        self,
        key: Hashable,
        fetch: Callable[[], T],
        codec: Codec[T] | None,
        shared: SharedCache | None,
        refresh: bool,
    ) -> tuple[Fetched[T], float]:
        """A value and how long it stays fresh here: from Katalo, or from the shared cache."""
        if shared is None or codec is None:
            return Fetched(fetch(), fetched_at=self._now()), self.ttl
        mine: list[Fetched[T]] = []

        def fetch_text() -> tuple[str, datetime]:
            mine.append(Fetched(fetch(), fetched_at=self._now()))
            return codec.dump(mine[0].value), mine[0].fetched_at

        entry = shared.get(_shared_key(key), fetch_text, ttl=self.ttl, refresh=refresh)
        fetched = mine[0] if entry.fetched_here else _decoded(entry, codec)
        if fetched is None:  # written by a version of the bot whose models differ: fetch anew
            entry = shared.get(_shared_key(key), fetch_text, ttl=self.ttl, refresh=True)
            fetched = mine[0] if entry.fetched_here else _decoded(entry, codec)
            if fetched is None:
                return Fetched(fetch(), fetched_at=self._now()), self.ttl
        return fetched, self.ttl - entry.age

    def _fall_back(
        self,
        key: Hashable,
        error: KataloError,
        allow_stale: bool,
        codec: Codec[T] | None,
        shared: SharedCache | None,
    ) -> Fetched[T]:
        if not (allow_stale and error.retryable):
            raise error
        with self._lock:
            candidates: list[Fetched[Any]] = [good] if (good := self._last_good.get(key)) else []
        if shared is not None and codec is not None:
            entry = shared.last_good(_shared_key(key), self._stale_for)
            if entry is not None and (theirs := _decoded(entry, codec)) is not None:
                candidates.append(theirs)
        if not candidates:
            raise error
        newest = max(candidates, key=lambda fetched: fetched.fetched_at)
        return replace(newest, stale=True, error=error)

    def clear(self) -> None:
        """Forget every value, here and (when shared) in the database."""
        with self._lock:
            self._fresh.clear()
            self._last_good.clear()
        if self._shared is not None:
            self._shared.clear()


def _shared_key(key: Hashable) -> str:
    return key if isinstance(key, str) else repr(key)


def _decoded(entry: Entry, codec: Codec[T]) -> Fetched[T] | None:
    """The stored value read back, or None (logged) when this version of the bot cannot read it."""
    try:
        return Fetched(codec.load(entry.text), fetched_at=entry.fetched_at)
    except ValueError:  # pydantic's ValidationError included
        log.warning("a shared cache value could not be read back; fetching it again")
        return None
