"""The Slack stand-in's wire formats, on top of httpd.py's server and request handler.

Owns parsing Web API parameters the ways slack_sdk sends them (form-encoded or JSON, plus the query
string), header names in one spelling, and Slack's answer bodies (JSON, or plain text for response
URLs) with Retry-After as Slack writes it. What to answer is slack.py's business.
"""

from __future__ import annotations

import contextlib
import json
import math
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from bot.sandbox.httpd import send_complete

# Slack sends these form fields as JSON text; decoded, a test compares them with the dicts it built.
JSON_FORM_FIELDS = frozenset({"blocks", "attachments", "metadata"})
MAX_BODY = 8 << 20  # far above any Slack message (40,000 characters of text, 50 blocks)


class BodyError(Exception):
    """A request body that is not what its Content-Type says; `error` is Slack's word for it."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def answer_error(request: BaseHTTPRequestHandler, status: int, message: str | None) -> None:
    """What http.server refuses by itself (a bad request line, oversized headers), in Slack's JSON shape."""
    send(request, status, json_body({"ok": False, "error": "invalid_request"}))


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
