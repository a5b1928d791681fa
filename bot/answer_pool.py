"""The pool that runs answers (Bolt's lazy listeners): bounded, never queued, one budget per question.

A question either starts at once on one of `workers` threads, with QUESTION_SECONDS for Katalo all
told (a deadline over every call it makes: bot/katalo/deadline.py), or it cannot be started and says
so at once. Such a question runs on a small overflow lane with no time at all for Katalo: whatever
needs Katalo answers "I'm answering too many questions right now" (BotBusy), while whatever needs
none is answered as usual (help, a summary still fresh in the cache, a fresh mirror, digest
settings). Nothing waits in a queue behind slow answers, so a trickling Katalo holds at most
`workers` threads, each for at most QUESTION_SECONDS, and `/katalo help` is never stuck behind them.

Bolt hands the executor an opaque callable (the lazy listener bound to its request), so the pool
cannot see what is asked: the deadline in force is how it tells the answer what it may spend. If
the overflow lane is full too (a flood, or Slack itself slow), the question is dropped and logged:
its ack has gone, and nothing else would bound the memory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, TypeVar

from bot.katalo.budget import as_question
from bot.katalo.deadline import Deadline, scope
from bot.katalo.errors import BotBusy

log = logging.getLogger(__name__)

T = TypeVar("T")

# Answers mostly wait (on Katalo, the mirror or Slack) and share single flights, so threads are
# cheap; 64 lets 50 users asking at the same moment all be answered from one upstream request.
ANSWER_THREADS = 64
QUESTION_SECONDS = 10.0  # the README's promise: at most 10 s of waiting on Katalo, then a sentence
OVERFLOW_THREADS = 2  # busy answers are quick: a sentence, or help, posted to Slack
OVERFLOW_WAITING = 256  # busy answers that may wait for an overflow thread; more are dropped


class AnswerPool(Executor):
    """An Executor for Bolt's `listener_executor`: start now under the question budget, or say busy now."""

    def __init__(
        self,
        workers: int | None = None,
        *,
        question_seconds: float | None = None,
        overflow_threads: int = OVERFLOW_THREADS,
        overflow_waiting: int = OVERFLOW_WAITING,
    ) -> None:
        workers = workers or ANSWER_THREADS
        self.question_seconds = QUESTION_SECONDS if question_seconds is None else question_seconds
        self._free = threading.BoundedSemaphore(workers)
        self._overflow_free = threading.BoundedSemaphore(overflow_threads + overflow_waiting)
        self._answers = ThreadPoolExecutor(workers, thread_name_prefix="katalo-answer")
        self._overflow = ThreadPoolExecutor(overflow_threads, thread_name_prefix="katalo-busy")
        self._running = 0  # answers started and not yet finished, on either lane
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Start `fn` now with the question budget, or on the overflow lane with none; never queue it."""
        if self._free.acquire(blocking=False):
            deadline = Deadline.after(self.question_seconds)
            return self._start(self._answers, fn, args, kwargs, deadline, self._free.release)
        if self._overflow_free.acquire(blocking=False):
            log.warning("every answer thread is busy: answering a question without asking Katalo")
            busy = Deadline.after(0.0, error=BotBusy)
            return self._start(self._overflow, fn, args, kwargs, busy, self._overflow_free.release)
        log.error("every answer thread and the overflow lane are busy: a question was dropped")
        dropped: Future[T] = Future()
        dropped.cancel()
        return dropped

    def drain(self, seconds: float) -> int:
        """Wait up to `seconds` for every answer started to finish (a deploy stopping the process);
        how many are still running then. Answers submitted meanwhile still run (an ack already sent
        may hand one over late); the caller has stopped taking requests, so none come after."""
        with self._idle:
            self._idle.wait_for(lambda: self._running == 0, seconds)
            return self._running

    def _start(
        self,
        lane: ThreadPoolExecutor,
        fn: Callable[..., T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        deadline: Deadline,
        release: Callable[[], None],
    ) -> Future[T]:
        with self._idle:
            self._running += 1

        def finished() -> None:
            release()
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

        return lane.submit(_run, fn, args, kwargs, deadline, finished)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._answers.shutdown(wait, cancel_futures=cancel_futures)
        self._overflow.shutdown(wait, cancel_futures=cancel_futures)


def _run(
    fn: Callable[..., T],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    deadline: Deadline,
    release: Callable[[], None],
) -> T:
    try:
        with scope(deadline), as_question():  # a question: first call on the shared Katalo budget
            return fn(*args, **kwargs)
    finally:
        release()
