"""The Katalo client: the two usage & billing reads, as typed models, through the one cache.

    client = KataloClient.from_settings(settings)
    summary = client.usage_summary()            # Fetched[UsageSummary], cached, single flight
    page = client.events_page(limit=20)         # Fetched[EventsPage], the newest (or oldest) page
    for page in client.iter_pages():            # the whole ledger, uncached, paced by the budget
        ...

It knows HTTP and Katalo and nothing about Slack. Errors are the `bot.katalo.errors` hierarchy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from bot import __version__
from bot.config import Settings
from bot.katalo.budget import Budget, RequestBudget
from bot.katalo.cache import Fetched, SingleFlightCache
from bot.katalo.codec import ModelCodec
from bot.katalo.errors import KataloBadResponse
from bot.katalo.models import BillingEvent, EventsPage, UsageSummary
from bot.katalo.shared_cache import SharedCache
from bot.katalo.transport import DEFAULT_TIMEOUT, RetryPolicy, Transport

SUMMARY_PATH = "/api/v1/usage/summary"
EVENTS_PATH = "/api/v1/billing/events"
CURSOR_PARAM = "cursor"  # undocumented; the one place it is named
MAX_PAGE_LIMIT = 100  # the docs' example; never ask for more
# A walk of the whole ledger may wait for the budget and sit out a 429, unlike a user's request;
# each page still ends within total_seconds (a capped 429 of 60 s, twice, plus the requests).
# The summary is shared with every process on the database when the cache is (bot/katalo/cache.py).
# Ledger pages are not: their raw records keep Katalo's numbers as Decimal, which no JSON round trip
# keeps exactly, and the one caller of events_page (reconcile) always refreshes anyway.
SUMMARY_CODEC = ModelCodec(UsageSummary)
WALK_RETRY = RetryPolicy(max_attempts=5, max_total_wait=180.0, budget_wait=120.0, total_seconds=300.0)

ModelT = TypeVar("ModelT", bound=BaseModel)


class KataloClient:
    """Reads the organization's usage summary and billing ledger from Katalo."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        budget: Budget,
        cache: SingleFlightCache,
        retry: RetryPolicy = RetryPolicy(),
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": f"katalo-bot/{__version__}"},
            timeout=timeout,
            transport=transport,
            # Many Slack users at once share this client: keep enough connections for them.
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )
        self._transport = Transport(self._http, budget, retry=retry, sleep=sleep, clock=clock)
        self.budget = budget
        self.cache = cache

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        budget: Budget | None = None,
        shared: SharedCache | None = None,
        **kwargs: Any,
    ) -> KataloClient:
        """A client for the settings' Katalo. `budget` and `shared` are the request budget and the cache
        every process on the database shares (bot/katalo/shared_budget.py, shared_cache.py: passed by
        the composition root); without them, this process keeps its own."""
        return cls(
            settings.katalo_api_url,
            settings.katalo_key(),
            budget=budget or RequestBudget(settings.katalo_requests_per_minute),
            cache=SingleFlightCache(settings.katalo_cache_ttl, shared=shared),
            **kwargs,
        )

    def usage_summary(self, *, refresh: bool = False, allow_stale: bool = False) -> Fetched[UsageSummary]:
        """The organization's usage summary, at most `KATALO_CACHE_TTL` seconds old unless `refresh`."""
        return self.cache.get(
            "summary",
            lambda: self._get(UsageSummary, SUMMARY_PATH),
            codec=SUMMARY_CODEC,
            refresh=refresh,
            allow_stale=allow_stale,
        )

    def events_page(
        self,
        cursor: str | None = None,
        *,
        limit: int = MAX_PAGE_LIMIT,
        refresh: bool = False,
        allow_stale: bool = False,
    ) -> Fetched[EventsPage]:
        """One page of the billing ledger, cached like the summary."""
        params = _page_params(cursor, limit)
        return self.cache.get(
            ("events", cursor, params["limit"]),
            lambda: self._get(EventsPage, EVENTS_PATH, params),
            refresh=refresh,
            allow_stale=allow_stale,
        )

    def iter_pages(
        self, cursor: str | None = None, *, limit: int = MAX_PAGE_LIMIT, retry: RetryPolicy = WALK_RETRY
    ) -> Iterator[EventsPage]:
        """Walk the ledger page by page from `cursor` (or the start), fresh from Katalo, never cached.

        Raises KataloBadResponse if Katalo hands back a cursor it already gave, instead of looping forever.
        """
        seen: set[str] = set()
        while True:
            page = self._get(EventsPage, EVENTS_PATH, _page_params(cursor, limit), retry=retry)
            yield page
            if page.next_cursor is None:
                return
            if page.next_cursor in seen:
                raise KataloBadResponse(status=200, code="cursor_loop")
            seen.add(page.next_cursor)
            cursor = page.next_cursor

    def iter_events(self, *, limit: int = MAX_PAGE_LIMIT) -> Iterator[BillingEvent]:
        """Every event of the ledger, in the order Katalo serves them."""
        for page in self.iter_pages(limit=limit):
            yield from page.events

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> KataloClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _get(
        self,
        model: type[ModelT],
        path: str,
        params: dict[str, str | int] | None = None,
        *,
        retry: RetryPolicy | None = None,
    ) -> ModelT:
        body = self._transport.get_json(path, params, retry=retry)
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            where = ".".join(str(part) for part in exc.errors()[0]["loc"]) or "body"
            raise KataloBadResponse(status=200, code="unexpected_shape", detail=f"{path}: {where}") from None


def _page_params(cursor: str | None, limit: int) -> dict[str, str | int]:
    params: dict[str, str | int] = {"limit": max(1, min(limit, MAX_PAGE_LIMIT))}
    if cursor is not None:
        params[CURSOR_PARAM] = cursor
    return params
