"""The guard in front of Bolt, called as a WSGI app (no server): what passes, what is refused, and how.

A fake clock stands in for time, so the 5-minute replay window is tested at its edges.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from slack_sdk.signature import Clock, SignatureVerifier

from bot.web.guard import EXCERPT_BYTES, signed_only
from bot.web.limits import MAX_BODY_BYTES

SECRET = "guard-test-secret"
NOW = 1_800_000_000


class FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self.at = now

    def now(self) -> float:
        return self.at


def call(body: bytes, headers: dict[str, str], *, now: float = NOW) -> tuple[str, list[bytes]]:
    """Run one request through the guard; the status, and the bodies the app behind it received."""
    received: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        received.append(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
        start_response("200 OK", [])
        return [b""]

    statuses: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
    }
    signed_only(app, SECRET, clock=FixedClock(now))(environ, lambda status, _: statuses.append(status))
    return statuses[0], received


def signed(body: bytes, timestamp: int = NOW) -> dict[str, str]:
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=str(timestamp), body=body)
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": str(signature)}


def test_a_signed_request_reaches_the_app_with_its_bytes_intact():
    body = "command=%2Fkatalo&text=caf\u00e9".encode()
    assert call(body, signed(body)) == ("200 OK", [body])


@pytest.mark.parametrize(("age", "passes"), [(300, True), (301, False), (-300, True), (-301, False)])
def test_the_replay_window_is_five_minutes_either_way(age, passes):
    body = b"command=%2Fkatalo"
    status, received = call(body, signed(body, NOW - age))
    assert (status == "200 OK") is passes
    assert bool(received) is passes


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": str(NOW)},
        {"X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "\u0661\u0662", "X-Slack-Signature": "v0=00"},  # Arabic digits
        {"X-Slack-Request-Timestamp": str(NOW), "X-Slack-Signature": "v0=\u00e9"},
    ],
)
def test_requests_without_a_usable_signature_get_401_and_never_reach_the_app(headers):
    assert call(b"command=%2Fkatalo", headers) == ("401 Unauthorized", [])


def test_a_body_signed_for_other_bytes_is_refused():
    assert call(b"text=usage", signed(b"text=help")) == ("401 Unauthorized", [])


def test_a_body_over_the_limit_is_refused_unread():
    body = b"x" * (MAX_BODY_BYTES + 1)
    assert call(body, signed(body)) == ("413 Content Too Large", [])


def test_a_refusal_is_logged_as_one_short_escaped_line(caplog):
    body = b"a\nFORGED\r\x1b[31m" + b"z" * 10_000
    with caplog.at_level(logging.INFO, logger="bot.web.guard"):
        call(body, {"X-Slack-Request-Timestamp": str(NOW), "X-Slack-Signature": "v0=00"})
    [record] = caplog.records
    line = record.getMessage()
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert "a\\nFORGED\\r\\x1b[31m" in line
    assert len(line) < 100 + 4 * EXCERPT_BYTES
