"""Katalo's error answers read: status and envelope to the matching KataloError, Retry-After capped.

A `Retry-After` header or `retry_after` field longer than MAX_RETRY_AFTER is logged and cut to it.
Katalo's read limits are per minute (120 requests/minute), so a longer pause is a mistake or an
outage; asking once more a minute later costs 1/120 of the organization's limit and finds out. A
longer wait, taken at its word, would silence every answer and sync for that long (86,399 s: a day).
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from bot.katalo.errors import (
    KataloError,
    KataloForbidden,
    KataloNotFound,
    KataloRateLimited,
    KataloRejected,
    KataloServerError,
    KataloUnauthorized,
)
from bot.katalo.reading import Answer

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 60.0  # seconds; see the module docstring
_ERROR_BY_STATUS: dict[int, type[KataloError]] = {
    401: KataloUnauthorized,
    403: KataloForbidden,
    404: KataloNotFound,
}


def error_from_answer(answer: Answer) -> KataloError:
    """Map a non-200 answer to its exception, reading the envelope where there is one."""
    envelope = _error_envelope(answer.content)
    code = envelope.get("code") if isinstance(envelope.get("code"), str) else None
    detail = envelope.get("message") if isinstance(envelope.get("message"), str) else None
    status = answer.status
    if status == 429:
        retry_after = _seconds(envelope.get("retry_after"))
        if retry_after is None:
            retry_after = _seconds(answer.headers.get("Retry-After"))
        return KataloRateLimited(
            retry_after=_capped(retry_after), status=status, code=code or "rate_limited", detail=detail
        )
    if status >= 500:
        return KataloServerError(status=status, code=code or "internal_error", detail=detail)
    error_type = _ERROR_BY_STATUS.get(status, KataloRejected)
    return error_type(status=status, code=code, detail=detail)


def _error_envelope(content: bytes) -> dict[str, Any]:
    try:
        body = json.loads(content)
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _seconds(value: object) -> float | None:
    """A non-negative, finite number of seconds from a JSON number or a header string; None if unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]  # any object: what float() refuses is caught
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 and math.isfinite(seconds) else None


def _capped(retry_after: float | None) -> float | None:
    """`retry_after` cut to MAX_RETRY_AFTER; a longer one is logged (only the number: no upstream text)."""
    if retry_after is None or retry_after <= MAX_RETRY_AFTER:
        return retry_after
    log.warning(
        "Katalo asked to wait %.0f s (Retry-After); waiting at most %.0f s, then asking again",
        retry_after,
        MAX_RETRY_AFTER,
    )
    return MAX_RETRY_AFTER
