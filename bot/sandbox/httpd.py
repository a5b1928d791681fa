"""The sandbox's HTTP plumbing on the standard library: a quiet, keep-alive, closable server.

Owns what http.server gets wrong for a test double: it logs every request to stderr, answers its own
errors in HTML, looks up the host's name on bind, and leaves keep-alive connections open after
shutdown. One request handler serves both stand-ins: it reads the body and hands every method to
one callback; what to answer is the server's business (server.py for Katalo, slack.py for Slack).

Also owns what both servers share around it: `HttpdLifecycle`, serving
one Httpd once from a thread or the caller's, and `send_complete`, the framing of an answer that
keeps a keep-alive connection usable.
"""

from __future__ import annotations

import contextlib
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


class Request(BaseHTTPRequestHandler):
    """One request, its body read into `body`, handed to the server's callback; HTTP/1.1 keep-alive.

    A body that cannot be read safely (chunked, a malformed length, or past the server's `max_body`)
    is left unread: `body_unread` says so, and the connection closes after the answer, since skipping
    an unread body would desynchronise it. What to answer, then, is the server's business.
    """

    protocol_version = "HTTP/1.1"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection is closed after a minute
    # Headers and body go out in two writes; with Nagle on, the second waits ~40 ms for the client's
    # delayed ACK on every small response.
    disable_nagle_algorithm = True
    server: Httpd
    body: bytes = b""
    body_unread = False

    def _dispatch(self) -> None:
        length = self.headers.get("Content-Length") or "0"
        if (
            self.headers.get("Transfer-Encoding")
            or not length.isdigit()
            or int(length) > self.server.max_body
        ):
            self.close_connection = self.body_unread = True
        else:
            self.body = self.rfile.read(int(length))
        self.server.callback(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _dispatch

    def version_string(self) -> str:
        """The Server header: which stand-in answered."""
        return self.server.software

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors http.server raises itself (a bad request line, an unknown method), in the server's shape."""
        self.close_connection = True
        self.server.answer_error(self, code, message)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: test output stays clean, and a log line is one more place a key or token could leak."""


class Httpd(ThreadingHTTPServer):
    """A threading HTTP server that calls `callback(request)` for every request.

    `answer_error(request, status, message)` answers what http.server refuses by itself, in the API's
    own error shape; `software` is the Server header; bodies over `max_body` bytes are left unread.
    """

    daemon_threads = True
    request_queue_size = 128  # the default 5 refuses connections under benchmark bursts

    def __init__(
        self,
        address: tuple[str, int],
        callback: Callable[[Request], None],
        *,
        answer_error: Callable[[Request, int, str | None], None],
        software: str,
        max_body: int,
    ) -> None:
        self.callback = callback
        self.answer_error = answer_error
        self.software = software
        self.max_body = max_body
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._closed = False
        super().__init__(address, Request)

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
        host, port = self._httpd.server_name, self._httpd.server_port  # as server_bind recorded them
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

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
