"""One GET to Katalo, from connect to the last byte of the body, ended by a deadline.

httpx's timeouts bound each connect and each read, not the whole: a body sent a byte at a time
passes every read timeout and can take for ever. So the response is streamed, and the deadline is
enforced three ways:

- every phase's timeout (connect, write, pool, read) is cut to what remains when the request starts;
- the deadline is checked after every chunk of the body, which ends a trickle;
- a watchdog (one thread for all requests) shuts the socket down when the deadline passes, which
  ends a read blocked on a server that went quiet mid-body (httpcore fixes a phase's read timeout
  when the phase begins, so a read can otherwise outlast the deadline by up to that timeout).

The headers are bounded by the read timeout cut to what remained at the start; a server trickling
its *headers* is bounded only by that per read (h11's header limit ends it eventually). Bodies, the
case seen in practice, are bounded strictly.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import httpx

from bot.katalo.deadline import Deadline
from bot.katalo.errors import KataloError, KataloUnavailable

MIN_TIMEOUT = 0.001  # a zero timeout means "non-blocking" to a socket, not "no time left"


@dataclass(frozen=True)
class Answer:
    """A response read whole: status, headers and body bytes (decoded from any content-encoding)."""

    status: int
    headers: httpx.Headers
    content: bytes


def get_within(
    http: httpx.Client, path: str, params: Mapping[str, str | int] | None, deadline: Deadline
) -> Answer:
    """GET `path` and read it whole by `deadline`, or raise: deadline.exceeded() once it has passed,
    KataloUnavailable for a connection that failed (or timed out) before then."""
    if deadline.expired:
        raise deadline.exceeded()
    timeout = _cut(http.timeout, deadline.remaining())
    watchdog = _Watchdog(deadline)
    try:
        with http.stream("GET", path, params=dict(params or {}), timeout=timeout) as response:
            with watchdog.guarding(response):
                content = b"".join(_chunks(response, deadline))
            return Answer(response.status_code, response.headers, content)
    except httpx.TimeoutException:
        raise _failed(deadline, watchdog, "timeout") from None
    except httpx.TransportError as exc:
        raise _failed(deadline, watchdog, type(exc).__name__) from None


def _chunks(response: httpx.Response, deadline: Deadline) -> Iterator[bytes]:
    for chunk in response.iter_bytes():
        if deadline.expired:
            raise deadline.exceeded()
        yield chunk


def _failed(deadline: Deadline, watchdog: _Watchdog, code: str) -> KataloError:
    # A failure at or after the deadline is the deadline's doing (the watchdog cut the socket, or a
    # read timeout cut to what remained ran out): say so, rather than "connection reset".
    if watchdog.fired or deadline.expired:
        return deadline.exceeded()
    return KataloUnavailable(code=code)


def _cut(timeout: httpx.Timeout, remaining: float) -> httpx.Timeout:
    """Each phase's timeout, at most what remains of the deadline."""
    left = max(MIN_TIMEOUT, remaining)

    def cut(value: float | None) -> float:
        return left if value is None else min(value, left)

    return httpx.Timeout(
        connect=cut(timeout.connect), read=cut(timeout.read), write=cut(timeout.write), pool=cut(timeout.pool)
    )


class _Watchdog:
    """Shuts the response's socket down at the deadline, so a blocked read returns at once."""

    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline
        self.fired = False

    @contextlib.contextmanager
    def guarding(self, response: httpx.Response) -> Iterator[None]:
        sock = _socket_of(response)
        if sock is None:  # not a real connection (httpx.MockTransport): the chunk checks suffice
            yield
            return
        watch = _REAPER.watch(time.monotonic() + self._deadline.remaining(), sock, self)
        try:
            yield
        finally:
            _REAPER.cancel(watch)


class _Watch:
    def __init__(self, sock: socket.socket, owner: _Watchdog) -> None:
        self.sock, self.owner, self.cancelled = sock, owner, False


class _Reaper:
    """One daemon thread for every watchdog: a thread per request would cost more than the request."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._due: list[tuple[float, int, _Watch]] = []  # a heap; cancelled entries leave at the top
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, at: float, sock: socket.socket, owner: _Watchdog) -> _Watch:
        watch = _Watch(sock, owner)
        with self._changed:
            heapq.heappush(self._due, (at, next(self._order), watch))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="katalo-deadlines", daemon=True)
                self._thread.start()
            self._changed.notify()
        return watch

    def cancel(self, watch: _Watch) -> None:
        with self._changed:  # after this, the socket is never shut down: it may go back to the pool
            watch.cancelled = True

    def _run(self) -> None:
        with self._changed:
            while True:
                while self._due and self._due[0][2].cancelled:
                    heapq.heappop(self._due)
                if not self._due:
                    self._changed.wait()
                    continue
                wait = self._due[0][0] - time.monotonic()
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                watch = heapq.heappop(self._due)[2]
                watch.owner.fired = True
                with contextlib.suppress(OSError):  # already closed: the read is over anyway
                    watch.sock.shutdown(socket.SHUT_RDWR)


_REAPER = _Reaper()


def _socket_of(response: httpx.Response) -> socket.socket | None:
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    return sock if isinstance(sock, socket.socket) else None
