"""The serve benchmark's hostile-peers figures: slow clients connected, and a 100 MB unsigned body.

- slow peers: `katalo-bot serve` with `slow_peers` connections open (half sending their headers, half a
  body slower than its Content-Length promised, a byte every 0.5 s each), while one keep-alive client
  alternates GET /healthz and a signed `/katalo usage`, `probes` times 0.25 s apart (about 5 s, inside
  the 10 s a request may take to arrive). Latency of each answer; how many slow peers were still
  connected at the end (all of them: the answers did not wait for the server to cut them off).
  A probe that gets no answer within 5 s ends the run (the server is frozen).
- 100 MB body: an unsigned POST announcing and sending 100 MB in 1 MB pieces until the server answers
  or closes; what it answered, how much had been sent by then, and the server's peak RSS afterwards.
"""

from __future__ import annotations

import contextlib
import select
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.benchmarks.harness import Commander, Server, new_client, percentile
from tests.robustness.peers import connect, is_open, response_status, slow_peers

PROBE_TIMEOUT = 5.0
BIG_BODY = 100 * 1024 * 1024


def port_of(server: Server) -> int:
    return int(urlsplit(server.url).port or 0)


def probe_under_slow_peers(server: Server, commander: Commander, peers: int, probes: int) -> dict[str, Any]:
    health: list[float] = []
    acks: list[float] = []
    failures: list[str] = []
    with slow_peers(port_of(server), peers) as sockets, new_client() as client:
        for _ in range(probes):
            started = time.perf_counter()
            try:
                ok = client.get(server.url + "/healthz", timeout=PROBE_TIMEOUT).status_code == 200
            except httpx.HTTPError as error:
                failures.append(f"healthz: {type(error).__name__}")
                break
            health.append(time.perf_counter() - started)
            sent = commander.send(client, "usage", timeout=PROBE_TIMEOUT)
            if not ok or sent.status != 200:
                failures.append(f"ack: {sent.status or sent.error}")
                break
            acks.append(sent.ack_s)
            time.sleep(0.25)
        still_open = sum(is_open(sock) for sock in sockets)
    return {
        "probes": probes,
        "health_answered": len(health),
        "ack_answered": len(acks),
        "health_p50_ms": _ms(percentile(health, 50)),
        "health_max_ms": _ms(max(health, default=float("nan"))),
        "ack_p50_ms": _ms(percentile(acks, 50)),
        "ack_max_ms": _ms(max(acks, default=float("nan"))),
        "peers": peers,
        "peers_open_at_end": still_open,
        "failures": failures,
    }


def send_big_body(server: Server) -> dict[str, Any]:
    """POST 100 MB unsigned; stop sending as soon as the server has answered or closed."""
    piece = b"x" * (1024 * 1024)
    sent = 0
    with connect(port_of(server), timeout=30) as sock:
        head = (
            b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"X-Slack-Request-Timestamp: 1700000000\r\nX-Slack-Signature: v0=00\r\n"
            b"Content-Length: %d\r\n\r\n" % BIG_BODY
        )
        sock.sendall(head)
        with contextlib.suppress(OSError):  # the server closed: it has answered
            while sent < BIG_BODY and not select.select([sock], [], [], 0)[0]:
                sock.sendall(piece)
                sent += len(piece)
        try:
            status = response_status(sock)
        except (OSError, ValueError, IndexError):
            status = 0
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    return {"status": status, "sent_mb": round(sent / 1024 / 1024, 1), "peak_rss_mb": server.peak_rss_mb()}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)
