"""The HTTP server of `katalo-bot serve`: waitress, with the limits in `bot.web.limits`.

Waitress reads each request on one event loop (poll) and hands it to a worker thread only once its
headers and body have arrived whole, so a peer that sends slowly holds a socket and a small buffer,
never a thread: /healthz and Slack's acks are answered while such peers stay connected. Waitress
already closes idle connections and refuses oversized headers and bodies (413 as soon as the
Content-Length or the chunked body passes the limit); what it lacks is a limit on how long one
request may take to arrive while it trickles in, which the channel and server below add.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer

from bot.config import ConfigError
from bot.web import limits
from bot.web.guard import WSGIApp

log = logging.getLogger(__name__)

# How long a stopping `serve` waits for answers already acknowledged. Heroku-style platforms send
# SIGKILL 30 s after SIGTERM; waitress takes up to 5 s for requests in hand, this comes after it.
DRAIN_SECONDS = 20


class _Channel(HTTPChannel):
    """A connection that notes when the request now arriving began."""

    request_started: float | None = None

    def received(self, data: bytes) -> bool:
        before = self.request
        result: bool = super().received(data)
        if self.request is None:  # nothing partial left: every request in `data` was whole
            self.request_started = None
        elif self.request is not before:  # a new request began in `data`
            self.request_started = time.monotonic()
        return result


class _Server(TcpWSGIServer):
    channel_class = _Channel

    def maintenance(self, now: float) -> None:
        """Close idle connections (waitress) and those whose request is taking too long to arrive."""
        super().maintenance(now)
        cutoff = time.monotonic() - limits.REQUEST_SECONDS
        slow = [
            channel
            for channel in self.active_channels.values()
            if not channel.requests and (getattr(channel, "request_started", None) or cutoff) < cutoff
        ]
        for channel in slow:
            channel.will_close = True
        if slow:
            log.info(
                "closed %d connection(s) whose request took over %d s to arrive",
                len(slow),
                limits.REQUEST_SECONDS,
            )


def options(threads: int = limits.THREADS) -> dict[str, Any]:
    """Waitress's settings for the limits (also used to serve the benchmark's bare Bolt app)."""
    return {
        "threads": threads,
        "connection_limit": limits.MAX_CONNECTIONS,
        "channel_timeout": limits.IDLE_SECONDS,
        "cleanup_interval": 1,  # how often the idle and slow-request limits are checked, in seconds
        "max_request_header_size": limits.MAX_HEADER_BYTES,
        "max_request_body_size": limits.MAX_BODY_BYTES,
        "inbuf_overflow": limits.IN_MEMORY_BODY_BYTES,
        "asyncore_use_poll": True,  # select() stops at 1,024 descriptors
        "ident": "katalo-bot",
        "expose_tracebacks": False,
    }


def bind(application: WSGIApp, host: str, port: int, *, threads: int = limits.THREADS) -> Any:
    """A server listening on host:port; ConfigError (naming PORT) when the port cannot be had."""
    try:
        return _Server(application, host=host, port=port, **options(threads))
    except OSError as error:
        raise ConfigError(f"PORT {port} cannot be used on {host} ({error.strerror or error})") from None


def run(server: Any, drain: Callable[[float], int] | None = None) -> None:
    """Serve until SIGTERM or SIGINT, then stop without a gap for the users already answered.

    At the signal the listening socket closes at once (a new connection is refused, so the platform's
    router sends it to the new instance), waitress finishes the requests in hand (up to 5 s: acks take
    milliseconds), and `drain` waits up to DRAIN_SECONDS for the answers those acks promised. Answers
    still running then are abandoned (logged, with how many): the platform's SIGKILL comes at 30 s.
    """

    def stop(signum: int, frame: object) -> None:
        # First refuse new connections: close the listening socket only. The server's own close()
        # also closes the trigger that worker threads still finishing a request pull (EBADF).
        wasyncore.dispatcher.close(server)
        log.info("stopping: no new connections; finishing the answers in hand (up to %d s)", DRAIN_SECONDS)
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.run()  # returns on SystemExit or KeyboardInterrupt, after waitress stopped its threads
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()
    left = drain(DRAIN_SECONDS) if drain else 0
    if left:
        # Their threads would keep the interpreter from exiting; the platform would kill it anyway.
        log.warning("stopped with %d answer(s) unfinished after %d s", left, DRAIN_SECONDS)
        logging.shutdown()
        os._exit(0)
    log.info("stopped: every answer in hand was sent")
