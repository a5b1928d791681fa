"""Deadlines for calls to Katalo: a moment on a monotonic clock, and the one in force for this task.

A timeout bounds one wait (one connect, one read); a server that trickles its body a byte at a
time defeats it, since every read returns just in time. A deadline bounds the whole. Each Katalo
call has its own (RetryPolicy.total_seconds, and attempt_seconds per request), and whoever owns a
larger budget sets one around its work, so every call underneath ends by then, however deep:

    with within(10.0):                 # a user's question (bot/pool.py)
        answers.answer(intent)         # cache → mirror → sync → transport: all end within 10 s

    with until(deadline):              # `sync --max-seconds`, a mirror catch-up (bot/ledger/mirror.py)

The earliest deadline in force wins. It is a context variable rather than a parameter because the
budget belongs to the task, not to one call: a question reaches Katalo through the cache, the
mirror and the sync, and a layer that forgot to pass it on would leave that path unbounded again.
Each thread (each answer) has its own context, so one task's deadline never reaches another's.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from bot.katalo.errors import KataloError, KataloOutOfTime

Clock = Callable[[], float]


@dataclass(frozen=True)
class Deadline:
    """The moment `at` on `clock` by which a task must be done, and the error that says it was not."""

    at: float
    clock: Clock = time.monotonic
    error: type[KataloError] = KataloOutOfTime

    @classmethod
    def after(
        cls, seconds: float, *, clock: Clock = time.monotonic, error: type[KataloError] = KataloOutOfTime
    ) -> Deadline:
        return cls(clock() + seconds, clock, error)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.at - self.clock())

    @property
    def expired(self) -> bool:
        return self.clock() >= self.at

    def exceeded(self) -> KataloError:
        """The error to raise once this deadline has passed (a sentence for the user, no detail)."""
        return self.error(code="deadline")

    def earlier(self, other: Deadline | None) -> Deadline:
        """Whichever of the two ends first (compared by what remains, so their clocks may differ)."""
        if other is None or self.remaining() <= other.remaining():
            return self
        return other


_current: ContextVar[Deadline | None] = ContextVar("katalo_deadline", default=None)


def current() -> Deadline | None:
    """The deadline in force for this task, if any."""
    return _current.get()


@contextlib.contextmanager
def scope(deadline: Deadline | None) -> Iterator[Deadline | None]:
    """Run the block under `deadline` as well as any already in force (the earlier wins)."""
    outer = _current.get()
    effective = outer if deadline is None else deadline.earlier(outer)
    token = _current.set(effective)
    try:
        yield effective
    finally:
        _current.reset(token)


def within(
    seconds: float, *, clock: Clock = time.monotonic, error: type[KataloError] = KataloOutOfTime
) -> contextlib.AbstractContextManager[Deadline | None]:
    """Run the block with at most `seconds` for Katalo, from now."""
    return scope(Deadline.after(seconds, clock=clock, error=error))


def until(
    at: float | None, *, clock: Clock = time.monotonic
) -> contextlib.AbstractContextManager[Deadline | None]:
    """Run the block with Katalo done by `at` (on `clock`); None adds no deadline."""
    return scope(None if at is None else Deadline(at, clock))
