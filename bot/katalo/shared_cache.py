"""The Katalo cache shared by every process on one database: one fetch per key for all of them.

Each key has one row of `katalo_cache` (bot/db/schema.py): the last good value as text (the client's
codec writes and reads it), when it was fetched, when it was stored on the shared clock
(bot/db/clock.py), and a lease. A process that finds no fresh value takes the lease and fetches;
the others find the lease held and poll the row until the value is there. Rows are read and changed
in short transactions holding the row's lock (PostgreSQL `FOR UPDATE`, SQLite `BEGIN IMMEDIATE`),
so two processes never both take a lease; nobody sleeps or fetches while holding the lock.

- The lease lasts LEASE_SECONDS. A holder that dies (or takes longer) blocks the others no longer:
  the first to see the lease run out takes it over and fetches itself.
- A waiter also stops at its own deadline (bot/katalo/deadline.py), with that deadline's error; the
  cache in front of this one then answers stale if the caller allows it.
- Errors are never stored: a failed fetch gives the lease back and keeps the last good value, which
  serves as every process's stale fallback for up to `stale_for` seconds.
- `refresh` asks for a value stored after the question was asked: a fetch already under way
  elsewhere serves it, as a flight does within one process.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, select, update

from bot.db.claims import insert_if_absent
from bot.db.clock import database_time
from bot.db.schema import katalo_cache
from bot.katalo import deadline as deadlines

log = logging.getLogger(__name__)

# Longer than a healthy fetch (about 0.1 s), shorter than a question's 10 s: a question waiting on
# a holder that died still has half its time left to fetch for itself.
LEASE_SECONDS = 5.0
POLL_SECONDS = 0.02  # how often a waiter looks at the row: a fraction of a fetch


@dataclass(frozen=True)
class Entry:
    """A stored value: its text, when it was fetched, its age on the shared clock, and who fetched it."""

    text: str
    fetched_at: datetime
    age: float
    fetched_here: bool = False


Fetch = Callable[[], tuple[str, datetime]]


class SharedCache:
    """Values and fetch leases in the database, so processes on it fetch each key once between them."""

    def __init__(
        self,
        engine: Engine,
        *,
        lease_seconds: float = LEASE_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`clock` (epoch seconds) is the shared time; without one, the database's (bot/db/clock.py)."""
        self._engine = engine
        self._lease = lease_seconds
        self._poll = poll_seconds
        self._clock = clock
        self._sleep = sleep
        self._me = f"{socket.gethostname()[:30]}:{os.getpid()}"

    def get(self, key: str, fetch: Fetch, *, ttl: float, refresh: bool = False) -> Entry:
        """The value for `key` stored less than `ttl` s ago (after this call began, if `refresh`);
        else the one fetched by whoever holds the lease, by this caller once it is free or expired."""
        asked_at: float | None = None
        waited = False
        while True:
            with self._engine.begin() as connection:
                row, now = self._lock_row(connection, key)
                asked_at = now if asked_at is None else asked_at
                if row.stored_at is not None and _fresh(
                    row.stored_at, now, ttl, asked_at if refresh else None
                ):
                    return Entry(row.value, row.fetched_at, now - row.stored_at)
                if not _leased(row.lease_until, now, self._lease):  # free, or its holder died or overran
                    token = self._take_lease(connection, key, now)
                    break
                wait = min(self._poll, row.lease_until - now)
            if not waited:
                log.debug("waiting for another process's fetch of %s", key)
            waited = True
            self._wait(wait)
        return self._lead(key, fetch, token, now)

    def last_good(self, key: str, stale_for: float) -> Entry | None:
        """The last value any process fetched for `key`, if stored within `stale_for` s."""
        with self._engine.connect().execution_options(readonly=True) as connection:
            row = connection.execute(_select(key)).first()
            now = self._now(connection)
        if row is None or row.stored_at is None or now - row.stored_at > stale_for:
            return None
        return Entry(row.value, row.fetched_at, now - row.stored_at)

    def clear(self) -> None:
        """Forget every stored value (and lease), for every process."""
        with self._engine.begin() as connection:
            connection.execute(delete(katalo_cache))

    def _lead(self, key: str, fetch: Fetch, token: str, leased_at: float) -> Entry:
        try:
            text, fetched_at = fetch()
        except BaseException:
            self._release(key, token)  # errors are never stored: the next asker fetches again
            raise
        with self._engine.begin() as connection:
            row, now = self._lock_row(connection, key)
            values: dict[str, Any] = {"holder": None, "lease_until": 0.0} if row.holder == token else {}
            if row.stored_at is None or row.stored_at < leased_at:  # else a later fetch is already there
                values.update(value=text, fetched_at=fetched_at, stored_at=now)
            if values:
                connection.execute(update(katalo_cache).where(katalo_cache.c.key == key).values(**values))
        return Entry(text, fetched_at, 0.0, fetched_here=True)

    def _take_lease(self, connection: Connection, key: str, now: float) -> str:
        token = f"{self._me}:{uuid.uuid4().hex[:8]}"
        connection.execute(
            update(katalo_cache)
            .where(katalo_cache.c.key == key)
            .values(holder=token, lease_until=now + self._lease)
        )
        return token

    def _release(self, key: str, token: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(katalo_cache)
                .where(katalo_cache.c.key == key, katalo_cache.c.holder == token)
                .values(holder=None, lease_until=0.0)
            )

    def _wait(self, wait: float) -> None:
        """Sleep `wait` s for another process's fetch, or raise this task's deadline error first."""
        deadline = deadlines.current()
        if deadline is not None:
            if deadline.expired:
                raise deadline.exceeded()
            wait = min(wait, deadline.remaining())
        self._sleep(wait)

    def _lock_row(self, connection: Connection, key: str) -> tuple[Row[Any], float]:
        """The key's row (created if absent, locked until the transaction ends) and the shared time."""
        row = connection.execute(_select(key).with_for_update()).first()
        if row is None:
            insert_if_absent(connection, katalo_cache, key=key, lease_until=0.0)
            row = connection.execute(_select(key).with_for_update()).one()
        return row, self._now(connection)

    def _now(self, connection: Connection) -> float:
        return self._clock() if self._clock is not None else database_time(connection)


def _select(key: str) -> Any:
    return select(katalo_cache).where(katalo_cache.c.key == key)


def _fresh(stored_at: float, now: float, ttl: float, asked_at: float | None) -> bool:
    """Whether a value stored at `stored_at` may be served: stored since `asked_at` (a refresh), else
    less than `ttl` s ago (as cachetools' TTLCache, a value is gone at exactly `ttl`).

    A value stored "in the future" was stored before a clock was set back (SQLite: the machine's):
    it is not fresh, or it would be served for as long as the clock went back."""
    if asked_at is not None:
        return stored_at >= asked_at
    return 0 <= now - stored_at < ttl


def _leased(lease_until: float, now: float, lease_seconds: float) -> bool:
    """Whether someone holds the lease now. One ending later than a lease can last was taken before
    a clock was set back: it holds nobody up."""
    return now < lease_until <= now + lease_seconds
