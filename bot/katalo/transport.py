"""One GET to Katalo: budget, timeouts, retries with backoff, and the error envelope mapped to exceptions.

Retries follow Katalo's reliability page: 429 waits at least `retry_after`; 5xx and connection
failures back off exponentially with jitter; nothing else is retried. Attempts and the total time spent
waiting are both bounded, so an interactive caller learns of an outage in seconds, not minutes.
The key lives only in the httpx client's default headers: it is never logged and never put in an error.
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

from bot.katalo.budget import RequestBudget
from bot.katalo.errors import (
    KataloBadResponse,
    KataloError,
    KataloForbidden,
    KataloNotFound,
    KataloRateLimited,
    KataloRejected,
    KataloServerError,
    KataloUnauthorized,
    KataloUnavailable,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(connect=3.0, read=10.0, write=5.0, pool=5.0)
_ERROR_BY_STATUS: dict[int, type[KataloError]] = {
    401: KataloUnauthorized,
    403: KataloForbidden,
    404: KataloNotFound,
}


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay: float = 0.5  # first backoff, doubled each attempt
    max_delay: float = 8.0
    max_total_wait: float = 10.0  # seconds spent sleeping between attempts, all told
    budget_wait: float = 5.0  # how long a request may wait for the bot's own budget

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random, so retries spread out."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + rng() * ceiling / 2


class Transport:
    """Sends GETs to Katalo through the shared budget, retrying what Katalo says may be retried."""

    def __init__(
        self,
        http: httpx.Client,
        budget: RequestBudget,
        *,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._http = http
        self._budget = budget
        self.retry = retry
        self._sleep = sleep
        self._rng = rng

    def get_json(
        self, path: str, params: Mapping[str, str | int] | None = None, *, retry: RetryPolicy | None = None
    ) -> Any:
        """GET `path` and return its JSON body (floats parsed as Decimal), or raise a KataloError."""
        policy = retry or self.retry
        waited = 0.0
        for attempt in range(1, policy.max_attempts + 1):
            self._budget.acquire(max_wait=policy.budget_wait)
            try:
                return self._attempt(path, params)
            except KataloError as error:
                delay = self._delay_before_retry(error, attempt, policy)
                if delay is None or waited + delay > policy.max_total_wait:
                    raise
                log.warning("Katalo GET %s failed (%s); retry %d in %.1f s", path, error.code, attempt, delay)
                waited += delay
                self._sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _attempt(self, path: str, params: Mapping[str, str | int] | None) -> Any:
        started = time.perf_counter()
        try:
            response = self._http.get(path, params=params)
        except httpx.TimeoutException:
            raise KataloUnavailable(code="timeout") from None
        except httpx.TransportError as exc:
            raise KataloUnavailable(code=type(exc).__name__) from None
        log.debug(
            "Katalo GET %s → %d in %.0f ms",
            path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        if response.status_code != 200:
            error = error_from_response(response)
            if isinstance(error, KataloRateLimited) and error.retry_after:
                self._budget.pause_for(error.retry_after)
            raise error
        try:
            return json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise KataloBadResponse(status=200, code="not_json") from None

    def _delay_before_retry(self, error: KataloError, attempt: int, policy: RetryPolicy) -> float | None:
        if not error.retryable or attempt >= policy.max_attempts:
            return None
        backoff = policy.backoff(attempt, self._rng)
        if isinstance(error, KataloRateLimited) and error.retry_after is not None:
            return max(error.retry_after, backoff)
        return backoff


def error_from_response(response: httpx.Response) -> KataloError:
    """Map a non-200 response to its exception, reading the envelope where there is one."""
    envelope = _error_envelope(response)
    code = envelope.get("code") if isinstance(envelope.get("code"), str) else None
    detail = envelope.get("message") if isinstance(envelope.get("message"), str) else None
    status = response.status_code
    if status == 429:
        retry_after = _seconds(envelope.get("retry_after")) or _seconds(response.headers.get("Retry-After"))
        return KataloRateLimited(
            retry_after=retry_after, status=status, code=code or "rate_limited", detail=detail
        )
    if status >= 500:
        return KataloServerError(status=status, code=code or "internal_error", detail=detail)
    error_type = _ERROR_BY_STATUS.get(status, KataloRejected)
    return error_type(status=status, code=code, detail=detail)


def _error_envelope(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _seconds(value: object) -> float | None:
    """A non-negative number of seconds from a JSON number or a header string; None if unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]  # any object: what float() refuses is caught
    except (TypeError, ValueError):
        return None
    return seconds if 0 <= seconds < 86400 else None
