"""SocketModeStandIn: Slack's Socket Mode endpoint on a local port, for `katalo-bot socket` under test.

Owns the WebSocket half of Socket Mode: URLs handed out one per `apps.connections.open` (which the
Slack stand-in answers, tests/stand_ins/slack.py), each good for one connection; `hello` once the app
has connected; the envelopes a test sends; the acks (`{"envelope_id": ...}`) the app sends back, to
wait on; and `disconnect`, after which the app is expected to ask for a new URL and move over.

Served as plain ws:// by the `websockets` library (its threaded, synchronous server): slack_sdk's
built-in client speaks TLS only to port 443 and plain TCP to any other port, as in its own tests.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
from collections.abc import Callable
from typing import Any, Self

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

APP_ID = "A0KATALO"
_PATH = "/link/"


class Link:
    """One WebSocket connection the app opened: send it envelopes, wait for their acks, ask it to move."""

    def __init__(self, connection: ServerConnection, number: int, changed: threading.Condition) -> None:
        self.number = number  # 1 for the first connection the stand-in accepted, and so on
        self._connection = connection
        self._changed = changed
        self._acks: dict[str, dict[str, Any]] = {}
        self._strays: list[str] = []  # what the app sent that is not an ack, for failure messages
        self._envelopes = itertools.count(1)
        self.closed = False

    def send_envelope(self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool) -> str:
        """Send an envelope of `kind` (slash_commands, events_api, interactive); its envelope_id."""
        envelope_id = f"env-{self.number}-{next(self._envelopes)}-{secrets.token_hex(4)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope |= {"retry_attempt": 0, "retry_reason": ""}
        self._connection.send(json.dumps(envelope))
        return envelope_id

    def ask_to_refresh(self) -> None:
        """Slack's notice that this connection will soon be closed: the app should open another."""
        notice = {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "standin"}}
        self._connection.send(json.dumps(notice))

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The app's ack of an envelope; AssertionError after `timeout` seconds without one."""
        return self._wait(lambda: self._acks.get(envelope_id), f"an ack of {envelope_id}", timeout)

    def wait_closed(self, timeout: float = 5.0) -> None:
        """Return once the app has closed this connection; AssertionError after `timeout` seconds."""
        self._wait(lambda: self.closed or None, "the app to close the connection", timeout)

    def _wait(self, found: Callable[[], Any], what: str, timeout: float) -> Any:
        with self._changed:
            if self._changed.wait_for(lambda: found() is not None, timeout):
                return found()
            acks, strays = sorted(self._acks), list(self._strays)
        raise AssertionError(
            f"waited {timeout:g} s for {what} on link {self.number}; acks: {acks or 'none'}"
            + (f"; not acks: {strays}" if strays else "")
        )

    def say_hello(self) -> None:
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": APP_ID}}
        self._connection.send(json.dumps(hello))

    def receive_acks(self) -> None:
        """Record what the app sends until it closes the connection."""
        try:
            for message in self._connection:
                ack = _ack(message)
                with self._changed:
                    if ack is None:
                        self._strays.append(str(message)[:200])
                    else:
                        self._acks[ack["envelope_id"]] = ack
                    self._changed.notify_all()
        except ConnectionClosed:
            pass  # the app dropped the TCP connection without a closing handshake, as it does on a refresh
        finally:
            with self._changed:
                self.closed = True
                self._changed.notify_all()


class SocketModeStandIn:
    """Socket Mode's WebSocket endpoint on 127.0.0.1; `with` starts and stops it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._changed = threading.Condition()
        self._tickets: set[str] = set()  # issued, not yet used
        self._links: list[Link] = []
        self._server: Server = serve(
            self._handle, host, port, process_request=self._check_ticket, compression=None
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="socket-mode")

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}"

    def new_url(self) -> str:
        """A URL for one connection, as `apps.connections.open` gives (Slack's carry a ticket, too)."""
        ticket = secrets.token_hex(8)
        with self._changed:
            self._tickets.add(ticket)
        return f"{self.url}{_PATH}?ticket={ticket}"

    def wait_for_link(self, number: int = 1, timeout: float = 10.0) -> Link:
        """The `number`-th connection (1-based) once the app has opened it and been said hello to."""
        with self._changed:
            if self._changed.wait_for(lambda: len(self._links) >= number, timeout):
                return self._links[number - 1]
            opened = len(self._links)
        raise AssertionError(f"waited {timeout:g} s for connection {number}; {opened} opened")

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()  # closes every open connection (1001 going away) and stops serving
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse a handshake whose URL was not issued, or was used already."""
        ticket = request.path.partition("?ticket=")[2]
        with self._changed:
            if request.path.startswith(_PATH) and ticket in self._tickets:
                self._tickets.discard(ticket)
                return None
        return connection.respond(403, "unknown or used Socket Mode URL\n")

    def _handle(self, connection: ServerConnection) -> None:
        """One connection: hello, then it is known to tests (whose envelopes thus follow the hello)."""
        with self._changed:
            link = Link(connection, len(self._links) + 1, self._changed)
        link.say_hello()
        with self._changed:
            self._links.append(link)
            self._changed.notify_all()
        link.receive_acks()


def _ack(message: str | bytes) -> dict[str, Any] | None:
    """`message` as an ack (a JSON object with an envelope_id); None for anything else."""
    try:
        decoded = json.loads(message)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) and isinstance(decoded.get("envelope_id"), str) else None
