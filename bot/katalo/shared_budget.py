"""The Katalo request budget shared by every process on one database (`web`, `clock`, replicas).

KATALO_REQUESTS_PER_MINUTE is the bot's total: each request takes its slot in the one row of
`katalo_budget` (bot/db/schema.py) in a short transaction that holds the row's lock, so two processes
never both take the last slot. PostgreSQL locks the row (`SELECT ... FOR UPDATE`) and reads the time
from its own clock, so machines whose clocks disagree still share one window; SQLite's `BEGIN
IMMEDIATE` (bot/db/engine.py) serializes the processes on one machine, which share its clock.

Questions come first. Background work (sync, alerts, digests: whatever is not `as_question()`) may
take a slot only while fewer than `per_minute - reserved` requests were made in the last 60 s, so
the last `reserved` slots of every window (a quarter, rounded down) are always left to users. A 429
seen by any process pauses them all until its `retry_after` has passed (capped by envelope.py).
Waiting happens outside the transaction: the lock is held for a read and a write, never a sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine, select, update

from bot.db.claims import insert_if_absent
from bot.db.clock import database_time
from bot.db.schema import katalo_budget
from bot.katalo.budget import WINDOW_SECONDS, is_question
from bot.katalo.envelope import MAX_RETRY_AFTER
from bot.katalo.errors import RequestBudgetExhausted

ROW = 1
RESERVED_SHARE = 4  # background leaves per_minute // 4 of each window to questions
# Katalo counts a request when it arrives, the budget when its slot is taken: between the two lie a
# commit, a connection and the machine's load (slot to arrival: p99 29 ms, but one request in 103
# arrived late enough that Katalo saw 61 in one minute, tests/benchmarks/instances.py). Each slot is
# therefore held 1 s past the minute, so Katalo's own count stays within the limit.
SLOT_SECONDS = WINDOW_SECONDS + 1.0


class SharedBudget:
    """At most `per_minute` requests in any 60 s across every process using `engine`'s database."""

    def __init__(
        self,
        engine: Engine,
        per_minute: int,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`clock` (seconds) is the shared time; without one, PostgreSQL's clock or this machine's."""
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self.reserved = per_minute // RESERVED_SHARE
        self._engine = engine
        self._clock = clock
        self._local = clock or time.monotonic  # how long this caller has waited
        self._sleep = sleep

    def acquire(self, max_wait: float) -> None:
        """Take one request, waiting up to `max_wait` s; else RequestBudgetExhausted with the wait needed."""
        deadline = self._local() + max_wait
        limit = self.per_minute if is_question() else self.per_minute - self.reserved
        while True:
            wait = self._try_take(limit)
            if wait <= 0:
                return
            if self._local() + wait > deadline:
                raise RequestBudgetExhausted(retry_after=wait)
            # Another process may take the slot meanwhile: then the loop waits for the next one.
            self._sleep(wait)

    def pause_for(self, seconds: float) -> None:
        """Katalo said 429: hold every caller of every process back for `seconds`."""
        with self._engine.begin() as connection:
            (_spent, paused_until), now = self._lock_row(connection)
            until = max(paused_until, now + seconds)  # a shorter pause never cuts a longer one short
            connection.execute(
                update(katalo_budget).where(katalo_budget.c.id == ROW).values(paused_until=until)
            )

    def remaining(self) -> int:
        """Requests a question could start right now, across every process."""
        with self._engine.begin() as connection:
            (spent, paused_until), now = self._lock_row(connection)
            return 0 if now < paused_until else self.per_minute - len(_recent(spent, now))

    def _try_take(self, limit: int) -> float:
        """Take a slot if fewer than `limit` were taken in the window: 0, else the seconds to wait."""
        with self._engine.begin() as connection:
            (spent, paused_until), now = self._lock_row(connection)
            recent = _recent(spent, now)
            wait = paused_until - now
            if wait > MAX_RETRY_AFTER:  # longer than any 429 may ask: a clock set back since; ignore it
                wait = 0.0
            if len(recent) >= limit:
                # The window must drop to limit - 1 requests: wait for the one that gets it there.
                wait = max(wait, recent[len(recent) - limit] + SLOT_SECONDS - now)
            if wait > 0:
                return wait
            recent.append(now)
            text = " ".join(f"{moment:.3f}" for moment in recent)
            connection.execute(update(katalo_budget).where(katalo_budget.c.id == ROW).values(spent=text))
            return 0.0

    def _lock_row(self, connection: Connection) -> tuple[tuple[str, float], float]:
        """The row (locked until the transaction ends) and the shared time now."""
        query = select(katalo_budget.c.spent, katalo_budget.c.paused_until).where(katalo_budget.c.id == ROW)
        row = connection.execute(query.with_for_update()).first()
        if row is None:  # a database emptied by hand: the first process to notice puts the row back
            insert_if_absent(connection, katalo_budget, id=ROW, spent="", paused_until=0.0)
            row = connection.execute(query.with_for_update()).one()
        return (row.spent, row.paused_until), self._now(connection)

    def _now(self, connection: Connection) -> float:
        return self._clock() if self._clock is not None else database_time(connection)


def _recent(spent: str, now: float) -> list[float]:
    """The slots still held at `now` (oldest first); a slot frees exactly SLOT_SECONDS (61 s) on.

    Times after `now` are dropped: only a clock set back writes them, and they would otherwise hold
    their slots for as long as it was set back, not 60 s.
    """
    return sorted(moment for moment in map(float, spent.split()) if now - SLOT_SECONDS < moment <= now)
