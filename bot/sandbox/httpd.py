"""The sandbox's HTTP plumbing on the standard library: a quiet, keep-alive, closable server.

Owns what http.server gets wrong for a test double: it logs every request to stderr, answers its own
errors in HTML, looks up the host's name on bind, and leaves keep-alive connections open after
shutdown. Every method goes to one callback; what to answer is server.py's business.

Also owns what both test servers (server.py, slack.py) share around it: `HttpdLifecycle`, serving
one Httpd once from a thread or the caller's, and `send_complete`, the framing of an answer that
keeps a keep-alive connection usable.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self

log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the server's callback; speaks HTTP/1.1 so clients keep connections."""

    protocol_version = "HTTP/1.1"
    server_version = "katalo-sandbox"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection is closed after a minute
    # Headers and body go out in two writes; with Nagle on, the second waits ~40 ms for the client's
    # delayed ACK on every small response.
    disable_nagle_algorithm = True
    server: Httpd

    def _dispatch(self) -> None:
        self._discard_body()
        self.server.callback(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _dispatch

    def _discard_body(self) -> None:
        """Read a request body nobody wants, so the next request on the connection parses."""
        length = self.headers.get("Content-Length")
        # Chunked, unreadable or huge bodies are not read: closing the connection is simpler.
        if self.headers.get("Transfer-Encoding") or (
            length and not (length.isdigit() and int(length) < 1 << 20)
        ):
            self.close_connection = True
        elif length:
            self.rfile.read(int(length))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors http.server raises itself (bad request line, unknown method) as Katalo envelopes."""
        status = 405 if code == 501 else code  # 501 is http.server's word for an unknown method
        error = {"code": "bad_request", "message": message or "request not understood"}
        error |= {"retryable": False, "retry_after": None}
        self.close_connection = True
        Httpd.send_json(self, status, json.dumps({"error": error}).encode(), None)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the sandbox keeps test output clean, and a log line is one more place a key could leak."""


class Httpd(ThreadingHTTPServer):
    """A threading HTTP server that calls `callback(handler)` for every request."""

    daemon_threads = True
    request_queue_size = 128  # the default 5 refuses connections under benchmark bursts

    def __init__(self, address: tuple[str, int], callback: Callable[[BaseHTTPRequestHandler], None]) -> None:
        self.callback = callback
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._closed = False
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's getfqdn(), a reverse DNS lookup that can stall for seconds."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away is routine; anything else goes to logging, never to stderr."""
        log.debug("sandbox connection error", exc_info=True)

    def close(self) -> None:
        """Close the listening socket and cut open connections, so their threads end. Idempotent."""
        with self._connections_lock:
            if self._closed:
                return
            self._closed = True
            connections = list(self._connections)
        self.server_close()
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by its client
                connection.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def send_json(
        request: BaseHTTPRequestHandler,
        status: int,
        payload: bytes,
        retry_after: float | None,
        *,
        trickle: float = 0.0,
    ) -> None:
        """One complete Katalo JSON answer, never cached; Retry-After keeps fractions (see _seconds).

        `trickle` > 0 sends the body a byte at a time, that many seconds apart (see send_complete).
        """
        headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
        seconds = None if retry_after is None else _seconds(retry_after)
        send_complete(request, status, payload, headers, retry_after=seconds, trickle=trickle)


def send_complete(
    request: BaseHTTPRequestHandler,
    status: int,
    payload: bytes,
    headers: dict[str, str],
    *,
    retry_after: str | None,
    trickle: float = 0.0,
) -> None:
    """One complete response with Content-Length, so the connection stays usable.

    `headers` go out first, then Content-Length and `retry_after` (already in the API's own format:
    Katalo and Slack write Retry-After differently). A handler that is closing the connection says
    so, and HEAD gets the headers without the body. With `trickle` > 0 the headers go at once and
    the body a byte at a time, `trickle` seconds apart: every read a client makes succeeds within
    its timeout, yet the whole takes len(payload) * trickle seconds. A client that gives up closes
    the socket, the next write fails, and the handler's thread ends.
    """
    request.send_response(status)
    for name, value in headers.items():
        request.send_header(name, value)
    request.send_header("Content-Length", str(len(payload)))
    if retry_after is not None:
        request.send_header("Retry-After", retry_after)
    if request.close_connection:
        request.send_header("Connection", "close")
    request.end_headers()
    if request.command == "HEAD":
        return
    if trickle <= 0:
        request.wfile.write(payload)
        return
    request.wfile.flush()
    for byte in range(len(payload)):
        time.sleep(trickle)
        request.wfile.write(payload[byte : byte + 1])
        request.wfile.flush()


def _seconds(value: float) -> str:
    """Retry-After text: whole seconds as an integer; fractions kept so tests need not wait a second."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}" if math.isfinite(value) else "0"


class HttpdLifecycle:
    """Serves one Httpd once, from a daemon thread or the caller's, until stop(); usable in `with`.

    A subclass names its serving thread and what it is (for the started-twice error), and hands the
    Httpd it bound to __init__.
    """

    _thread_name: ClassVar[str]
    _kind: ClassVar[str]  # what the started-twice error calls it: "a <_kind> can be started only once"

    def __init__(self, httpd: Httpd) -> None:
        self._thread: threading.Thread | None = None
        self._used = False  # one server serves once: start() or serve_forever(), then stop()
        self._serving = False
        self._httpd = httpd

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`, the server's root: the base URL to give a client."""
        host, port = self._httpd.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"

    def start(self) -> Self:
        """Serve from a daemon thread; returns self."""
        self._claim()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=self._thread_name,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve from this thread until stop() is called elsewhere or the process is interrupted."""
        self._claim()
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._serving = False
            self._httpd.close()

    def stop(self) -> None:
        """Stop serving, close the port and cut every open connection. Idempotent."""
        if self._serving:
            self._serving = False
            self._httpd.shutdown()  # returns once the serve_forever loop, wherever it runs, has left
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd.close()

    def __enter__(self) -> Self:
        return self if self._used else self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def _claim(self) -> None:
        if self._used:
            raise RuntimeError(f"a {self._kind} can be started only once")
        self._used = self._serving = True
