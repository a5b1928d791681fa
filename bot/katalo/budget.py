"""The bot's own budget of Katalo requests, shared by everything in the process.

The organization's read limit (120 requests/minute) is shared with its other integrations, so the bot
spends at most `per_minute` requests in any sliding 60-second window: a burst of Slack users or a long
ledger sync then never takes the whole organization's limit. When Katalo answers 429, every caller
pauses until `retry_after` has passed (capped at 60 s: bot/katalo/envelope.py), since hammering a
limited API only extends the penalty.

This module also says who is asking: a user's question (`as_question()`, set by the answer pool) or
background work (sync, alerts, digests: everything else). The per-process RequestBudget serves both
alike; the budget shared by every process on one database (bot/katalo/shared_budget.py) keeps a
share of each minute for questions.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Protocol

from bot.katalo.errors import RequestBudgetExhausted

WINDOW_SECONDS = 60.0

# Each answer runs in its own thread, hence its own context: a question's mark never leaks to the clock.
_asking: ContextVar[bool] = ContextVar("katalo_question", default=False)


@contextlib.contextmanager
def as_question() -> Iterator[None]:
    """Run the block as a user's question: it may spend the share background work leaves alone."""
    token = _asking.set(True)
    try:
        yield
    finally:
        _asking.reset(token)


def is_question() -> bool:
    """Whether the running task is a user's question (else background work)."""
    return _asking.get()


class Budget(Protocol):
    """What the transport needs from a budget, per process or shared."""

    def acquire(self, max_wait: float) -> None: ...

    def pause_for(self, seconds: float) -> None: ...

    def remaining(self) -> int: ...


class RequestBudget:
    """At most `per_minute` acquisitions in any 60 s window, plus a shared pause after a 429."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._spent: deque[float] = deque()
        self._paused_until = 0.0

    def acquire(self, max_wait: float) -> None:
        """Take one request from the budget, waiting up to `max_wait` seconds for one to free up.

        Raises RequestBudgetExhausted, with the wait that would have been needed, when it cannot.
        """
        deadline = self._clock() + max_wait
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_needed(now)
                if wait <= 0:
                    self._spent.append(now)
                    return
            if now + wait > deadline:
                raise RequestBudgetExhausted(retry_after=wait)
            self._sleep(wait)

    def pause_for(self, seconds: float) -> None:
        """Katalo said 429: hold every caller back for `seconds`."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def remaining(self) -> int:
        """Requests that could start right now (for progress displays and benchmarks)."""
        with self._lock:
            now = self._clock()
            self._forget_before(now - WINDOW_SECONDS)
            return 0 if now < self._paused_until else self.per_minute - len(self._spent)

    def _wait_needed(self, now: float) -> float:
        self._forget_before(now - WINDOW_SECONDS)
        wait = self._paused_until - now
        if len(self._spent) >= self.per_minute:
            wait = max(wait, self._spent[0] + WINDOW_SECONDS - now)
        return wait

    def _forget_before(self, cutoff: float) -> None:
        while self._spent and self._spent[0] <= cutoff:
            self._spent.popleft()
