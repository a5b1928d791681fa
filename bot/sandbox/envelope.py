"""Katalo's error envelope as the sandbox answers it: the status → code table of katalo-api.md, and
`ApiError`, an error the handler turns into `{"error": {"code", "message", "retryable", "retry_after"}}`.
"""

from __future__ import annotations

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
