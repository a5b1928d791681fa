"""KataloDouble: the sandbox Katalo API (bot/sandbox/server.py) plus what tests set up and read back.

Faults to inject (statuses, bodies, delays, dropped connections), latency on every request, expired
cursors, and a log of the requests that reached the server.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.sandbox.httpd import Httpd
from bot.sandbox.server import SandboxServer
from tests.stand_ins.faults import Fault, FaultQueue

_REQUEST_LOG_SIZE = 100_000  # enough for any test


class KataloDouble(SandboxServer):
    """The sandbox Katalo API, with faults, latency and a request log a test controls."""

    def __init__(self, *args: Any, sleep: Callable[[float], None] = time.sleep, **kwargs: Any) -> None:
        """`sleep` acts out latency and delays; a test may pass a fake clock's, or one that waits on
        an event of its own (tests/fakes.py Gate)."""
        self.latency = 0.0  # seconds added to every request, for slow-Katalo tests
        self._sleep = sleep
        self._faults: FaultQueue[Fault] = FaultQueue(lambda fault: fault.path)
        self._log_lock = threading.Condition()  # notified as each request is logged
        self._log: deque[tuple[str, str, dict[str, str]]] = deque(maxlen=_REQUEST_LOG_SIZE)
        self._counts: Counter[str] = Counter()
        super().__init__(*args, **kwargs)

    def expire_cursors(self) -> None:
        """Make every cursor issued so far answer 404, as an expired cursor would."""
        self._generation += 1

    def inject(
        self,
        path: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        body: bytes | None = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int | None = 1,
        trickle: float = 0.0,
    ) -> None:
        """Queue a fault for requests to `path` (no query); see Fault and _apply_fault."""
        self._faults.add(Fault(path, status, retry_after, body, delay, drop, times, trickle=trickle))

    def clear_faults(self) -> None:
        """Forget every queued fault."""
        self._faults.clear()

    def request_count(self, path: str | None = None) -> int:
        """Requests that reached the handler, in all or to one path (query excluded)."""
        with self._log_lock:
            return self._counts.total() if path is None else self._counts[path]

    def wait_for_requests(self, path: str, count: int = 1, timeout: float = 10.0) -> None:
        """Return once `count` requests to `path` have reached the handler; AssertionError after `timeout`."""
        with self._log_lock:
            if not self._log_lock.wait_for(lambda: self._counts[path] >= count, timeout):
                raise AssertionError(f"waited {timeout:g} s for {count} request(s) to {path}")

    @property
    def requests(self) -> tuple[tuple[str, str, dict[str, str]], ...]:
        """(method, path, query) of recent requests, oldest first."""
        with self._log_lock:
            return tuple(self._log)

    def reset_requests(self) -> None:
        """Empty the request log and counts."""
        with self._log_lock:
            self._log.clear()
            self._counts.clear()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        """Log the request, apply latency and faults, then answer it as the sandbox does."""
        url = urlsplit(request.path)
        with self._log_lock:
            self._log.append((request.command, url.path, dict(parse_qsl(url.query, keep_blank_values=True))))
            self._counts[url.path] += 1
            self._log_lock.notify_all()
        if self.latency > 0:
            self._sleep(self.latency)
        fault = self._faults.take(url.path)
        if fault is not None and self._apply_fault(request, fault):
            return
        super()._handle(request, trickle=fault.trickle if fault else 0.0)

    def _apply_fault(self, request: BaseHTTPRequestHandler, fault: Fault) -> bool:
        """Act out a fault; True when it answered (or dropped) the request, False to go on normally."""
        if fault.delay > 0:
            self._sleep(fault.delay)
        if fault.drop:
            request.close_connection = True  # the server closes the socket without a byte sent
            return True
        if fault.body is not None:
            status = fault.status or 200
            Httpd.send_json(request, status, fault.body, fault.retry_after, trickle=fault.trickle)
            return True
        error = fault.error()
        if error is None:
            return False
        payload = json.dumps(error.envelope(), separators=(",", ":")).encode()
        Httpd.send_json(request, error.status, payload, error.retry_after, trickle=fault.trickle)
        return True
