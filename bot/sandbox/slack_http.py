"""The Slack stand-in's HTTP plumbing: a request handler that keeps the body, and Slack's body formats.

Owns reading a request body (Httpd's own handler throws bodies away, as the Katalo sandbox needs no
body), parsing Web API parameters the ways slack_sdk sends them (form-encoded or JSON, plus the query
string), header names in one spelling, and writing complete HTTP/1.1 answers. What to answer is
slack.py's business.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from bot.sandbox.httpd import Httpd, send_complete

# Slack sends these form fields as JSON text; decoded, a test compares them with the dicts it built.
JSON_FORM_FIELDS = frozenset({"blocks", "attachments", "metadata"})
_MAX_BODY = 8 << 20  # far above any Slack message (40,000 characters of text, 50 blocks)


class BodyError(Exception):
    """A request body that is not what its Content-Type says; `error` is Slack's word for it."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class SlackRequest(BaseHTTPRequestHandler):
    """Reads the whole body into `body`, then hands the request to the server's callback."""

    protocol_version = "HTTP/1.1"  # keep-alive: slack_sdk opens a connection per call, Bolt's tests many
    server_version = "katalo-slack-standin"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection is closed after a minute
    # Headers and body go out in two writes; with Nagle on, the second waits ~40 ms for the client's
    # delayed ACK on every small response.
    disable_nagle_algorithm = True
    server: SlackHttpd
    body: bytes = b""

    def _dispatch(self) -> None:
        length = self.headers.get("Content-Length") or "0"
        # Chunked or oversized bodies are refused and the connection closed: neither slack_sdk client
        # sends them, and skipping a body we did not read would desynchronise the connection.
        if self.headers.get("Transfer-Encoding") or not length.isdigit() or int(length) > _MAX_BODY:
            self.close_connection = True
            send(self, 413, json_body({"ok": False, "error": "request_too_large"}))
            return
        self.body = self.rfile.read(int(length))
        self.server.callback(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _dispatch

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors http.server raises itself (bad request line, oversized headers) in Slack's JSON shape."""
        self.close_connection = True
        send(self, code, json_body({"ok": False, "error": "invalid_request"}))

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: test output stays clean, and a log line is one more place a token could leak."""


class SlackHttpd(Httpd):
    """Httpd (quiet, no reverse DNS on bind, closable with its keep-alive connections) with SlackRequest."""

    def __init__(self, address: tuple[str, int], callback: Callable[[SlackRequest], None]) -> None:
        super().__init__(address, callback)  # type: ignore[arg-type]  # it is only ever given SlackRequests
        # socketserver builds each request's handler from this attribute; Httpd's handler drops bodies.
        self.RequestHandlerClass = SlackRequest


def json_body(payload: dict[str, Any]) -> tuple[bytes, str]:
    """A JSON answer body and its Content-Type, as Slack's Web API sends them."""
    return json.dumps(payload, separators=(",", ":")).encode(), "application/json; charset=utf-8"


def text_body(text: str) -> tuple[bytes, str]:
    """A plain-text answer body, as Slack's response_url endpoint sends them (`ok`, `used_url`, ...)."""
    return text.encode(), "text/plain; charset=utf-8"


def send(
    request: BaseHTTPRequestHandler,
    status: int,
    body: tuple[bytes, str],
    *,
    retry_after: float | None = None,
) -> None:
    """One complete answer (see send_complete); Retry-After in whole seconds, as Slack sends it."""
    payload, content_type = body
    seconds = None if retry_after is None else retry_after_header(retry_after)
    send_complete(request, status, payload, {"Content-Type": content_type}, retry_after=seconds)


def retry_after_header(seconds: float) -> str:
    """Whole seconds, rounded up: slack_sdk's RateLimitErrorRetryHandler does int() on the header."""
    return str(max(0, math.ceil(seconds))) if math.isfinite(seconds) else "1"


def header_dict(request: BaseHTTPRequestHandler) -> dict[str, str]:
    """Request headers keyed in one spelling (`Content-Type`): urllib sends `Content-type`."""
    return {
        "-".join(part.capitalize() for part in name.split("-")): value
        for name, value in request.headers.items()
    }


def parse_params(body: bytes, content_type: str | None, query: str) -> dict[str, Any]:
    """Web API arguments from the query string and a form-encoded or JSON body (the body wins).

    Raises BodyError("invalid_json") for a JSON body that is not a JSON object, as Slack answers.
    Form values stay strings, except the JSON-carrying fields, which are decoded when they parse.
    """
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        try:
            decoded = json.loads(body or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BodyError("invalid_json") from None
        if not isinstance(decoded, dict):
            raise BodyError("invalid_json")
        return params | decoded
    if media_type in ("", "application/x-www-form-urlencoded"):
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        params |= form
        for field in JSON_FORM_FIELDS & form.keys():
            # Undecodable text stays text: the method then answers invalid_blocks_format, as Slack does.
            with contextlib.suppress(json.JSONDecodeError):
                params[field] = json.loads(form[field])
    # Anything else (multipart file uploads) carries no arguments the stand-in's methods read.
    return params
