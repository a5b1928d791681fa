"""One GET to Katalo: budget, deadlines, retries with backoff, and the error envelope mapped to exceptions.

Retries follow Katalo's reliability page: 429 waits at least `retry_after`; 5xx and connection
failures back off exponentially with jitter; nothing else is retried. Every call has a total
deadline (RetryPolicy.total_seconds, and attempt_seconds for each request, connect to last byte),
cut further by the deadline of the task it runs in (bot/katalo/deadline.py): an interactive caller
learns of an outage, or of a Katalo trickling its answer, in seconds, never later than promised.

A 429 pauses the shared budget for its `retry_after`, capped (bot/katalo/envelope.py). The key lives
only in the httpx client's default headers: it is never logged and never put in an error.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from bot.katalo import deadline as deadlines
from bot.katalo.budget import Budget
from bot.katalo.deadline import Deadline
from bot.katalo.envelope import error_from_answer
from bot.katalo.errors import (
    KataloBadResponse,
    KataloError,
    KataloRateLimited,
    KataloUnavailable,
    RequestBudgetExhausted,
)
from bot.katalo.reading import get_within

log = logging.getLogger(__name__)

# Per phase; each is also cut to what remains of the call's deadline (bot/katalo/reading.py).
DEFAULT_TIMEOUT = httpx.Timeout(connect=3.0, read=10.0, write=5.0, pool=5.0)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay: float = 0.5  # first backoff, doubled each attempt
    max_delay: float = 8.0
    max_total_wait: float = 10.0  # seconds spent sleeping between attempts, all told
    budget_wait: float = 5.0  # how long a request may wait for the bot's own budget
    total_seconds: float = 10.0  # the whole call (budget, attempts, waits) ends within this
    attempt_seconds: float = 10.0  # one request, from connect to the body's last byte

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random, so retries spread out."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + rng() * ceiling / 2


class Transport:
    """Sends GETs to Katalo through the shared budget, retrying what Katalo says may be retried."""

    def __init__(
        self,
        http: httpx.Client,
        budget: Budget,
        *,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._budget = budget
        self.retry = retry
        self._sleep = sleep
        self._rng = rng
        self._clock = clock

    def get_json(
        self, path: str, params: Mapping[str, str | int] | None = None, *, retry: RetryPolicy | None = None
    ) -> Any:
        """GET `path` and return its JSON body (floats parsed as Decimal), or raise a KataloError."""
        policy = retry or self.retry
        call = self._deadline(policy.total_seconds).earlier(deadlines.current())
        waited = 0.0
        for attempt in range(1, policy.max_attempts + 1):
            if call.expired:
                raise call.exceeded()
            self._take_budget(policy, call)
            try:
                return self._attempt(path, params, self._deadline(policy.attempt_seconds).earlier(call))
            except KataloError as error:
                delay = self._delay_before_retry(error, attempt, policy)
                if delay is None or waited + delay > policy.max_total_wait or delay >= call.remaining():
                    raise
                log.warning("Katalo GET %s failed (%s); retry %d in %.1f s", path, error.code, attempt, delay)
                waited += delay
                self._sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _deadline(self, seconds: float) -> Deadline:
        # The call's own limits: running out of them means Katalo was too slow (retryable).
        return Deadline.after(seconds, clock=self._clock, error=KataloUnavailable)

    def _take_budget(self, policy: RetryPolicy, call: Deadline) -> None:
        """One request from the shared budget, waiting no longer than the policy and the deadline allow."""
        try:
            self._budget.acquire(max_wait=min(policy.budget_wait, call.remaining()))
        except RequestBudgetExhausted as exhausted:
            if exhausted.retry_after is not None and exhausted.retry_after <= policy.budget_wait:
                raise call.exceeded() from None  # the policy would have waited: the deadline did not
            raise

    def _attempt(self, path: str, params: Mapping[str, str | int] | None, deadline: Deadline) -> Any:
        started = time.perf_counter()
        answer = get_within(self._http, path, params, deadline)
        log.debug(
            "Katalo GET %s → %d in %.0f ms", path, answer.status, (time.perf_counter() - started) * 1000
        )
        if answer.status != 200:
            error = error_from_answer(answer)
            if isinstance(error, KataloRateLimited) and error.retry_after:
                self._budget.pause_for(error.retry_after)
            raise error
        try:
            return json.loads(answer.content, parse_float=Decimal)
        except ValueError:
            raise KataloBadResponse(status=200, code="not_json") from None

    def _delay_before_retry(self, error: KataloError, attempt: int, policy: RetryPolicy) -> float | None:
        if not error.retryable or attempt >= policy.max_attempts:
            return None
        backoff = policy.backoff(attempt, self._rng)
        if isinstance(error, KataloRateLimited) and error.retry_after is not None:
            return max(error.retry_after, backoff)
        return backoff
