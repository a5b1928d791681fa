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
import threading
import time
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, urlsplit

from bot.sandbox import SANDBOX_API_KEY
from bot.sandbox.faults import ApiError, Fault, FaultQueue
from bot.sandbox.httpd import Httpd, HttpdLifecycle
from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.pages import MoneyAs, Order, Wrapper, events_page
from bot.sandbox.summary import docs_variant

log = logging.getLogger(__name__)

SUMMARY_PATH = "/api/v1/usage/summary"
EVENTS_PATH = "/api/v1/billing/events"
SummaryVariant = Literal["www", "docs"]
_REQUEST_LOG_SIZE = 100_000  # enough for any test; bounded so a long demo cannot grow without end


class SandboxServer(HttpdLifecycle):
    """A deterministic, offline Katalo API on a local port, with faults to inject.

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
        self.latency = 0.0  # seconds added to every request, for slow-Katalo tests
        self._api_key = api_key.encode()
        self._generation = 0
        self._faults: FaultQueue[Fault] = FaultQueue(lambda fault: fault.path)
        self._log_lock = threading.Lock()
        self._log: deque[tuple[str, str, dict[str, str]]] = deque(maxlen=_REQUEST_LOG_SIZE)
        self._counts: Counter[str] = Counter()
        # Bound now (as http.server does) so `url` is known before serving starts.
        super().__init__(Httpd((host, port), self._handle))

    # --- test controls ---------------------------------------------------------------------------

    def expire_cursors(self) -> None:
        """Make every cursor issued so far answer 404, as an expired cursor would."""
        self._generation += 1

    def inject(
        self,
        path: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        body: bytes | None = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int | None = 1,
        trickle: float = 0.0,
    ) -> None:
        """Queue a fault for requests to `path` (no query); see Fault and _apply_fault."""
        self._faults.add(Fault(path, status, retry_after, body, delay, drop, times, trickle=trickle))

    def clear_faults(self) -> None:
        """Forget every queued fault."""
        self._faults.clear()

    def request_count(self, path: str | None = None) -> int:
        """Requests that reached the handler, in all or to one path (query excluded)."""
        with self._log_lock:
            return self._counts.total() if path is None else self._counts[path]

    @property
    def requests(self) -> tuple[tuple[str, str, dict[str, str]], ...]:
        """(method, path, query) of recent requests, oldest first."""
        with self._log_lock:
            return tuple(self._log)

    def reset_requests(self) -> None:
        """Empty the request log and counts."""
        with self._log_lock:
            self._log.clear()
            self._counts.clear()

    # --- requests --------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        """Answer one request: log it, apply latency and faults, then route it."""
        url = urlsplit(request.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        with self._log_lock:
            self._log.append((request.command, url.path, query))
            self._counts[url.path] += 1
        if self.latency > 0:
            time.sleep(self.latency)
        fault = self._faults.take(url.path)
        if fault is not None and self._apply_fault(request, fault):
            return
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
        Httpd.send_json(request, status, payload, retry_after, trickle=fault.trickle if fault else 0.0)

    def _apply_fault(self, request: BaseHTTPRequestHandler, fault: Fault) -> bool:
        """Act out a fault; True when it answered (or dropped) the request, False to go on normally."""
        if fault.delay > 0:
            time.sleep(fault.delay)
        if fault.drop:
            request.close_connection = True  # the server closes the socket without a byte sent
            return True
        if fault.body is not None:
            status = fault.status or 200
            Httpd.send_json(request, status, fault.body, fault.retry_after, trickle=fault.trickle)
            return True
        error = fault.error()
        if error is None:
            return False
        payload = json.dumps(error.envelope(), separators=(",", ":")).encode()
        Httpd.send_json(request, error.status, payload, error.retry_after, trickle=fault.trickle)
        return True

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
