"""Sandbox failure modes: Katalo's error envelope, and the faults tests inject into the server.

Owns the status → code table of katalo-api.md, `ApiError` (an error the handler turns into an
envelope), and `FaultQueue`, the thread-safe FIFO of injected faults a request consumes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

# The documented codes (katalo-api.md, Errors); 502/503 are not documented, "unavailable" is ours.
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "bad_request",
    409: "idempotency_conflict",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "unavailable",
    503: "unavailable",
}
_RETRYABLE = {429, 500, 502, 503, 504}


class ApiError(Exception):
    """An error answer: the handler sends it as Katalo's envelope."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after

    def envelope(self) -> dict[str, Any]:
        """`{"error": {"code", "message", "retryable", "retry_after"}}` as katalo-api.md describes it."""
        code = ERROR_CODES.get(self.status, "internal_error" if self.status >= 500 else "bad_request")
        return {
            "error": {
                "code": code,
                "message": self.message,
                "retryable": self.status in _RETRYABLE,
                "retry_after": self.retry_after,
            }
        }


@dataclass
class Fault:
    """One injected fault for requests to `path`; `times` None means until cleared."""

    path: str
    status: int | None = None
    retry_after: float | None = None
    body: bytes | None = None
    delay: float = 0.0
    drop: bool = False
    times: int | None = 1

    def error(self) -> ApiError | None:
        """The error envelope this fault answers with, if it answers with one."""
        if self.status is None or self.body is not None:
            return None
        return ApiError(self.status, f"injected fault: HTTP {self.status}", self.retry_after)


class FaultQueue:
    """Injected faults, consumed first-in first-out by the requests whose path they name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault behind those already queued."""
        if fault.times is not None and fault.times < 1:
            raise ValueError("times must be >= 1 or None")
        with self._lock:
            self._faults.append(fault)

    def take(self, path: str) -> Fault | None:
        """The oldest fault for `path`, spending one of its uses; None if there is none."""
        with self._lock:
            for n, fault in enumerate(self._faults):
                if fault.path != path:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        del self._faults[n]
                return fault
        return None

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()
