"""HTTP peers that do not behave: slow senders and raw requests, over plain sockets.

Used by tests/robustness/test_http_peers.py and the serve benchmark's hostile-peers figure.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

PARTIAL_HEADERS = b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Slack-Request-Timestamp: 1"
SLOW_BODY = (
    b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"X-Slack-Request-Timestamp: 1\r\nX-Slack-Signature: v0=00\r\nContent-Length: 4096\r\n\r\ntext="
)


def connect(port: int, timeout: float = 30.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def response_status(sock: socket.socket) -> int:
    """The status of the first response on `sock` (0 if it closed without one)."""
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            return 0
        head += chunk
    return int(head.split(b" ", 2)[1])


def is_open(sock: socket.socket) -> bool:
    """True if the server has neither closed `sock` nor answered on it (never waits)."""
    readable, _, _ = select.select([sock], [], [], 0)
    return not readable  # readable: closed (EOF) or answered


@contextmanager
def slow_peers(port: int, count: int, *, every: float = 0.5) -> Iterator[list[socket.socket]]:
    """`count` connections sending a request a byte at a time: half stuck in their headers, half in a
    body slower than its Content-Length promised. A byte every `every` seconds keeps each one active."""
    peers = [connect(port) for _ in range(count)]
    for i, sock in enumerate(peers):
        sock.sendall(PARTIAL_HEADERS if i % 2 else SLOW_BODY)
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(every):
            for sock in peers:
                with contextlib.suppress(OSError):  # closed by the server: is_open() reports it
                    sock.send(b"1")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        yield peers
    finally:
        stop.set()
        thread.join()
        for sock in peers:
            sock.close()
