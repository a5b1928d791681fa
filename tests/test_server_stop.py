"""bot/web/server.py stopped by SIGTERM while a response is being made: it is still sent.

In-process, because the server's signal handler must run on the main thread (as in `serve`); the
request is a plain WSGI app held on an event, standing in for an ack caught mid-way by a deploy.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from typing import Any

import httpx

from bot.web import server

SAFETY = 10.0  # seconds before a wait is called hung; never an expected duration


def test_a_response_in_hand_at_sigterm_is_still_sent_and_new_connections_are_refused():
    """An ack caught mid-way by a deploy reaches Slack: waitress's worker thread sends it itself
    after the loop has stopped, and the port is closed before it is released."""
    entered, release = threading.Event(), threading.Event()

    def held_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        entered.set()
        release.wait(SAFETY)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"ack\n"]

    listening = server.bind(held_app, "127.0.0.1", 0)
    port = listening.effective_port
    got: dict[str, Any] = {}

    def client() -> None:
        try:
            got["response"] = httpx.post(f"http://127.0.0.1:{port}/slack/events", timeout=SAFETY)
        except httpx.HTTPError as error:
            got["error"] = error

    def deploy() -> None:
        assert entered.wait(SAFETY)
        os.kill(os.getpid(), signal.SIGTERM)
        got["refused"] = _refused_soon(port)
        release.set()  # the held request finishes only after the signal was handled

    threads = [threading.Thread(target=client), threading.Thread(target=deploy)]
    for thread in threads:
        thread.start()
    server.run(listening)
    for thread in threads:
        thread.join(SAFETY)
    assert got["refused"]
    assert "error" not in got, got.get("error")
    assert (got["response"].status_code, got["response"].text) == (200, "ack\n")


def _refused_soon(port: int) -> bool:
    """Whether a new connection to `port` is refused within SAFETY seconds."""
    cutoff = time.monotonic() + SAFETY
    while time.monotonic() < cutoff:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        time.sleep(0.01)
    return False
