"""Only a correctly signed request reaches Bolt; everything else gets 401 (or 4xx) and costs little.

Bolt parses a request (headers, form, JSON) before it checks the signature, so a malformed unsigned
request could make it fail with a 500 and a traceback, and it logs a rejected body whole. Here the
raw bytes are verified first with Slack's own `SignatureVerifier`, after cheap checks that keep it
from raising (a timestamp that is not a number, a signature that is not ASCII), and a refusal is
logged as one line with a short, escaped excerpt: newlines and other bytes an attacker sends cannot
forge log lines.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_sdk.signature import Clock, SignatureVerifier

from bot.web.limits import MAX_BODY_BYTES

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
EXCERPT_BYTES = 64  # enough to recognise what was sent, never a whole payload
_JSON = [("Content-Type", "application/json")]


def signed_only(app: WSGIApp, signing_secret: str, *, clock: Clock | None = None) -> WSGIApp:
    """`app`, reached only by requests whose body is at most MAX_BODY_BYTES and signed by Slack."""
    verifier = SignatureVerifier(signing_secret, clock or Clock())

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = _content_length(environ)
        if length is None:
            return _refuse(start_response, "400 Bad Request", "bad content length", b"")
        if length > MAX_BODY_BYTES:
            return _refuse(start_response, "413 Content Too Large", "body too large", b"")
        body = environ["wsgi.input"].read(length) if length else b""
        reason = _unsigned(verifier, environ, body)
        if reason is not None:
            return _refuse(start_response, "401 Unauthorized", reason, body)
        # Bolt reads the body again: hand it the bytes that were verified.
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return app(environ, start_response)

    return guarded


def _content_length(environ: dict[str, Any]) -> int | None:
    text = str(environ.get("CONTENT_LENGTH") or "0").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def _unsigned(verifier: SignatureVerifier, environ: dict[str, Any], body: bytes) -> str | None:
    """Why the request is not Slack's (None when it is). Never raises, whatever the headers hold."""
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if not timestamp or not signature:
        return "no signature"
    # SignatureVerifier calls int() on the timestamp and compare_digest() on the signature: both raise
    # on input an attacker chooses (letters, non-ASCII), so that input is refused here.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return "malformed timestamp"
    if not signature.isascii():
        return "malformed signature"
    if not verifier.is_valid(body, timestamp, signature):
        return "bad or stale signature"
    return None


def _refuse(start_response: Callable[..., Any], status: str, reason: str, body: bytes) -> Iterable[bytes]:
    log.info("refused a request (%s): %d body bytes, starting %s", reason, len(body), excerpt(body))
    payload = b'{"error":"invalid request"}'
    start_response(status, [*_JSON, ("Content-Length", str(len(payload)))])
    return [payload]


def excerpt(data: bytes, limit: int = EXCERPT_BYTES) -> str:
    """The first `limit` bytes as printable ASCII: newlines, quotes and other bytes are escaped."""
    shown = repr(data[:limit])[2:-1]  # bytes' repr escapes \n, \r, \x1b, non-ASCII ...
    return shown + ("..." if len(data) > limit else "")
