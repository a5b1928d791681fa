"""The faults tests inject into the stand-ins: Katalo's `Fault`, and `FaultQueue`.

`FaultQueue` is the thread-safe FIFO of injected faults a request consumes: one queue for both
stand-ins, keyed by the request path for Katalo (katalo.py) and by the Web API method for Slack
(slack.py), whose faults are its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from bot.sandbox.envelope import ApiError


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
    trickle: float = 0.0  # seconds between the body's bytes, sent one at a time (a trickling upstream)

    def error(self) -> ApiError | None:
        """The error envelope this fault answers with, if it answers with one."""
        if self.status is None or self.body is not None:
            return None
        return ApiError(self.status, f"injected fault: HTTP {self.status}", self.retry_after)


class Spendable(Protocol):
    """What FaultQueue needs of a fault: its uses left, None meaning until cleared."""

    times: int | None


FaultT = TypeVar("FaultT", bound=Spendable)


def check_times(times: int | None) -> None:
    """ValueError unless `times` is a number of uses a fault can have."""
    if times is not None and times < 1:
        raise ValueError("times must be >= 1 or None")


class FaultQueue(Generic[FaultT]):
    """Injected faults, consumed first-in first-out by the requests whose key they name.

    `key` says which requests a fault is for (a path, a method name): faults for one key are used in
    the order they were added, whatever was queued for other keys in between.
    """

    def __init__(self, key: Callable[[FaultT], str]) -> None:
        self._key = key
        self._lock = threading.Lock()
        self._faults: list[FaultT] = []

    def add(self, fault: FaultT) -> None:
        """Queue a fault behind those already queued."""
        check_times(fault.times)
        with self._lock:
            self._faults.append(fault)

    def take(self, key: str) -> FaultT | None:
        """The oldest fault for `key`, spending one of its uses; None if there is none."""
        with self._lock:
            for n, fault in enumerate(self._faults):
                if self._key(fault) != key:
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
