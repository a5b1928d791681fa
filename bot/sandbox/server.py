"""The sandbox Katalo API over real HTTP, for the demo, the tests and the benchmarks.

Owns the wire: routing, bearer-key auth, Katalo's error envelope, keep-alive HTTP/1.1 responses, the
injected faults and the request log. Data comes from a SandboxLedger (ledger.py), pages and cursors
from pages.py. Nothing is logged per request, and the presented key is never echoed or stored.

    with SandboxServer(SandboxLedger()) as api:
        httpx.get(api.url + "/api/v1/usage/summary", headers={"Authorization": "Bearer " + SANDBOX_API_KEY})
"""

from __future__ import annotations

import hmac
import json
import logging
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, urlsplit

from bot.sandbox import SANDBOX_API_KEY
from bot.sandbox.envelope import ApiError
from bot.sandbox.httpd import Httpd, HttpdLifecycle
from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.pages import MoneyAs, Oddity, Order, Wrapper, events_page
from bot.sandbox.summary import docs_variant

log = logging.getLogger(__name__)

SUMMARY_PATH = "/api/v1/usage/summary"
EVENTS_PATH = "/api/v1/billing/events"
SummaryVariant = Literal["www", "docs"]
_MAX_BODY = (1 << 20) - 1  # Katalo's GETs carry no body; a larger one is left unread, the connection closed


class SandboxServer(HttpdLifecycle):
    """A deterministic, offline Katalo API on a local port (faults and a request log: tests/stand_ins).

    start() / serve_forever() / stop(), `with` and `url` come from HttpdLifecycle.
    """

    _thread_name = "katalo-sandbox"
    _kind = "sandbox server"

    def __init__(
        self,
        ledger: SandboxLedger,
        *,
        api_key: str = SANDBOX_API_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        order: Order = "newest",
        wrapper: Wrapper = "data",
        money_as: MoneyAs = "string",
        summary_variant: SummaryVariant = "www",
    ) -> None:
        for value, allowed in ((order, Order), (wrapper, Wrapper), (money_as, MoneyAs)):
            if value not in get_args(allowed):
                raise ValueError(f"{value!r} is not one of {get_args(allowed)}")
        if summary_variant not in get_args(SummaryVariant):
            raise ValueError(f"summary_variant must be one of {get_args(SummaryVariant)}")
        self.ledger = ledger
        self.order: Order = order
        self.wrapper: Wrapper = wrapper
        self.money_as: MoneyAs = money_as
        self.summary_variant: SummaryVariant = summary_variant
        self.ledger_oddity: Oddity | None = None  # a ledger that never ends (see pages.Oddity)
        self.cursor_length = 0  # pad every cursor to this many characters, for long-cursor tests
        self._api_key = api_key.encode()
        self._generation = 0
        # Bound now (as http.server does) so `url` is known before serving starts.
        httpd = Httpd(
            (host, port),
            self._handle,
            answer_error=_answer_error,
            software="katalo-sandbox",
            max_body=_MAX_BODY,
        )
        super().__init__(httpd)

    # --- requests --------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, *, trickle: float = 0.0) -> None:
        """Answer one request: route it, and send its body or Katalo's error envelope.

        `trickle` > 0 sends the body a byte at a time, that many seconds apart (a trickling upstream).
        """
        url = urlsplit(request.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        authorization = request.headers.get("Authorization")
        try:
            status, body = 200, self._route(request.command, url.path, query, authorization)
        except ApiError as error:
            status, body = error.status, error.envelope()
        except Exception:  # a sandbox bug must still answer like Katalo would, and be visible in logs
            log.exception("sandbox handler failed")
            status, body = 500, ApiError(500, "internal error").envelope()
        retry_after = body["error"]["retry_after"] if status >= 400 else None
        payload = json.dumps(body, separators=(",", ":")).encode()
        Httpd.send_json(request, status, payload, retry_after, trickle=trickle)

    def _route(
        self, method: str, path: str, query: dict[str, str], authorization: str | None
    ) -> dict[str, Any]:
        """The body of a successful answer; ApiError for everything else."""
        if not path.startswith("/api/v1/"):
            raise ApiError(404, "no such endpoint")
        self._authorize(authorization)
        if path not in (SUMMARY_PATH, EVENTS_PATH):
            raise ApiError(404, "no such endpoint")
        if method != "GET":
            raise ApiError(405, f"method {method} is not allowed here; use GET")
        if path == SUMMARY_PATH:
            body = self.ledger.summary()
            return docs_variant(body) if self.summary_variant == "docs" else body
        return events_page(
            self.ledger,
            query,
            generation=self._generation,
            order=self.order,
            wrapper=self.wrapper,
            money_as=self.money_as,
            oddity=self.ledger_oddity,
            cursor_length=self.cursor_length,
        )

    def _authorize(self, authorization: str | None) -> None:
        """ApiError 401 unless the header is `Bearer <the sandbox key>`; messages never quote the key."""
        if authorization is None:
            raise ApiError(401, "missing API key: send Authorization: Bearer <key>")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "malformed Authorization header: expected Bearer <key>")
        if not hmac.compare_digest(token.strip().encode(), self._api_key):
            raise ApiError(401, "API key is missing, malformed or revoked")


def _answer_error(request: BaseHTTPRequestHandler, code: int, message: str | None) -> None:
    """What http.server refuses by itself (a bad request line, an unknown method), as Katalo's envelope."""
    status = 405 if code == 501 else code  # 501 is http.server's word for an unknown method
    error: dict[str, object] = {"code": "bad_request", "message": message or "request not understood"}
    error |= {"retryable": False, "retry_after": None}
    Httpd.send_json(request, status, json.dumps({"error": error}).encode(), None)
