"""The client against the sandbox over real HTTP: pagination, errors, retries, budget, single flight."""

from __future__ import annotations

import logging
import threading
from decimal import Decimal

import httpx
import pytest

from bot.katalo.budget import RequestBudget
from bot.katalo.cache import SingleFlightCache
from bot.katalo.client import EVENTS_PATH, SUMMARY_PATH, KataloClient
from bot.katalo.errors import (
    KataloBadResponse,
    KataloError,
    KataloNotFound,
    KataloServerError,
    KataloUnauthorized,
    KataloUnavailable,
    RequestBudgetExhausted,
)
from bot.katalo.models import BillingEvent
from bot.katalo.transport import RetryPolicy
from bot.sandbox import SANDBOX_API_KEY
from bot.sandbox.ledger import SandboxLedger
from tests.stand_ins.katalo import KataloDouble

FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05)


def connect(
    sandbox: KataloDouble,
    *,
    key: str = SANDBOX_API_KEY,
    per_minute: int = 1000,
    ttl: float = 60,
    retry: RetryPolicy = FAST_RETRY,
    timeout: httpx.Timeout | None = None,
) -> KataloClient:
    return KataloClient(
        sandbox.url,
        key,
        budget=RequestBudget(per_minute),
        cache=SingleFlightCache(ttl),
        retry=retry,
        **({"timeout": timeout} if timeout else {}),
    )


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_walk_returns_every_ledger_event_once_in_either_order(start_sandbox, order):
    """A full walk yields each event exactly once, in the served order, with exact money."""
    sandbox = start_sandbox(order=order)
    with connect(sandbox) as client:
        pages = list(client.iter_pages(limit=40))
    events = [event for page in pages for event in page.events]
    expected = [BillingEvent.model_validate(e) for e in sandbox.ledger.iter_events()]
    if order == "newest":
        expected.reverse()
    assert events == expected
    assert len(pages) == 6  # 237 events in pages of 40
    assert {page.order for page in pages[:-1]} == {f"{order}_first"}
    assert sum(e.amount_usd for e in events) == sum(
        Decimal(e["amount_usd"]) for e in sandbox.ledger.iter_events()
    )


@pytest.mark.parametrize(("wrapper", "money_as"), [("events", "number"), ("items", "string")])
def test_page_wrappers_and_numeric_money_read_the_same(start_sandbox, wrapper, money_as):
    """Whichever list key and money encoding Katalo uses, the events and amounts are the same."""
    sandbox = start_sandbox(wrapper=wrapper, money_as=money_as)
    with connect(sandbox) as client:
        page = client.events_page(limit=10).value
    newest = sandbox.ledger.event(sandbox.ledger.event_count - 1)
    assert page.events[0].event_id == newest["event_id"]
    assert page.events[0].amount_usd == Decimal(newest["amount_usd"])
    assert page.next_cursor is not None


@pytest.mark.parametrize("variant", ["www", "docs"])
def test_summary_matches_the_ledger_in_both_variants(start_sandbox, variant):
    """The summary reads access state from either variant, and its figures are the sandbox's."""
    sandbox = start_sandbox(summary_variant=variant)
    with connect(sandbox) as client:
        summary = client.usage_summary().value
    wire = sandbox.ledger.summary()
    assert summary.access is not None and summary.access.enabled is True
    assert summary.usage.consumed == wire["usage"]["consumed"]
    assert summary.usage.included == wire["usage"]["included"]
    assert summary.jobs.total == wire["jobs"]["total"]
    assert summary.billing_period is not None
    assert summary.billing_period.start_at.isoformat() == "2026-11-01T00:00:00+00:00"


def test_wrong_key_is_unauthorized(start_sandbox):
    """A key Katalo does not know gives the "ask an admin" error after one request."""
    sandbox = start_sandbox()
    with connect(sandbox, key="kat_live_pkX.revoked") as client, pytest.raises(KataloUnauthorized) as caught:
        client.usage_summary()
    assert "Ask an admin" in caught.value.user_message
    assert sandbox.request_count(SUMMARY_PATH) == 1


def test_429_is_waited_out_and_retried(start_sandbox):
    """A 429 with a short retry_after is retried once and the answer arrives."""
    sandbox = start_sandbox()
    sandbox.inject(SUMMARY_PATH, status=429, retry_after=0.05)
    with connect(sandbox) as client:
        assert client.usage_summary().value.usage.consumed > 0
    assert sandbox.request_count(SUMMARY_PATH) == 2


def test_persistent_500_is_tried_three_times(start_sandbox):
    """A Katalo that keeps failing is asked three times, then the user hears it."""
    sandbox = start_sandbox()
    sandbox.inject(SUMMARY_PATH, status=500, times=None)
    with connect(sandbox) as client, pytest.raises(KataloServerError):
        client.usage_summary()
    assert sandbox.request_count(SUMMARY_PATH) == 3


@pytest.mark.parametrize("status", [502, 503])
def test_gateway_errors_recover_on_retry(start_sandbox, status):
    """A passing 502/503 is retried and the user never sees it."""
    sandbox = start_sandbox()
    sandbox.inject(SUMMARY_PATH, status=status)
    with connect(sandbox) as client:
        client.usage_summary()
    assert sandbox.request_count(SUMMARY_PATH) == 2


def test_dropped_connection_is_unavailable(start_sandbox):
    """A connection closed without an answer counts as unreachable, after the retries."""
    sandbox = start_sandbox()
    sandbox.inject(SUMMARY_PATH, drop=True, times=None)
    with connect(sandbox) as client, pytest.raises(KataloUnavailable):
        client.usage_summary()
    assert sandbox.request_count(SUMMARY_PATH) == 3


def test_read_timeout_is_unavailable(start_sandbox):
    """A Katalo slower than the read timeout is reported unreachable, not waited on forever."""
    sandbox = start_sandbox()
    sandbox.latency = 0.5
    timeout = httpx.Timeout(connect=1.0, read=0.1, write=1.0, pool=1.0)
    client = connect(sandbox, timeout=timeout, retry=RetryPolicy(max_attempts=1))
    with client, pytest.raises(KataloUnavailable) as caught:
        client.usage_summary()
    assert caught.value.code == "timeout"


def test_connection_refused_is_unavailable():
    """Nothing listening at KATALO_API_URL: unreachable, not a crash."""
    client = KataloClient(
        "http://127.0.0.1:9",
        SANDBOX_API_KEY,
        budget=RequestBudget(100),
        cache=SingleFlightCache(60),
        retry=FAST_RETRY,
    )
    with client, pytest.raises(KataloUnavailable):
        client.usage_summary()


@pytest.mark.parametrize("body", [b"<html>oops</html>", b'{"usage": 5}'])
def test_garbage_body_is_a_bad_response(start_sandbox, body):
    """HTML or wrongly shaped JSON gives a bad-response error, not a crash."""
    sandbox = start_sandbox()
    sandbox.inject(SUMMARY_PATH, body=body)
    with connect(sandbox) as client, pytest.raises(KataloBadResponse):
        client.usage_summary()


def test_expired_cursor_is_not_found_mid_walk(start_sandbox):
    """A cursor that expires between pages surfaces as not-found, for the caller to restart the walk."""
    sandbox = start_sandbox()
    with connect(sandbox) as client:
        walk = client.iter_pages(limit=50)
        next(walk)
        sandbox.expire_cursors()
        with pytest.raises(KataloNotFound):
            next(walk)


def test_fifty_simultaneous_summaries_reach_the_sandbox_once(start_sandbox):
    """Single flight over HTTP: 50 threads asking at once cost one upstream request."""
    sandbox = start_sandbox()
    sandbox.latency = 0.3  # keep the first request in flight while the other 49 arrive
    barrier = threading.Barrier(50)
    results: list[Decimal] = []
    with connect(sandbox) as client:

        def ask() -> None:
            barrier.wait()
            results.append(client.usage_summary().value.usage.consumed)

        threads = [threading.Thread(target=ask) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sandbox.request_count(SUMMARY_PATH) == 1
    assert len(results) == 50
    assert len(set(results)) == 1


def test_budget_stops_requests_before_they_reach_katalo(start_sandbox):
    """With a budget of 5 a minute, the 6th distinct request is refused without touching Katalo."""
    sandbox = start_sandbox()
    with connect(sandbox, per_minute=5, retry=RetryPolicy(budget_wait=0)) as client:
        cursor = None
        for _ in range(5):
            cursor = client.events_page(cursor, limit=10).value.next_cursor
        with pytest.raises(RequestBudgetExhausted) as caught:
            client.events_page(cursor, limit=10)
    assert sandbox.request_count(EVENTS_PATH) == 5
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 60


def test_outage_serves_last_figures_marked_stale(start_sandbox):
    """When Katalo goes down, a refresh that allows it returns the last figures, marked stale."""
    sandbox = start_sandbox()
    with connect(sandbox) as client:
        fresh = client.usage_summary()
        sandbox.inject(SUMMARY_PATH, status=500, times=None)
        stale = client.usage_summary(refresh=True, allow_stale=True)
        with pytest.raises(KataloServerError):
            client.usage_summary(refresh=True)
    assert stale.stale is True
    assert stale.value == fresh.value
    assert stale.fetched_at == fresh.fetched_at


def test_the_key_is_in_no_log_line_or_error(start_sandbox, caplog):
    """Across successes and every failure, at DEBUG, no log record or error text holds the key."""
    key = "kat_live_pkLOGTEST.THISISTHESECRETPART"
    ledger = SandboxLedger(seed=3, events=120)
    sandbox = start_sandbox(ledger, api_key=key)
    caplog.set_level(logging.DEBUG)
    errors: list[KataloError] = []
    with connect(sandbox, key=key, ttl=0) as client:
        list(client.iter_pages())
        for fault in ({"status": 429, "retry_after": 0.01}, {"status": 500}, {"drop": True}, {"body": b"x"}):
            sandbox.inject(SUMMARY_PATH, times=None, **fault)
            try:
                client.usage_summary()
            except KataloError as exc:
                errors.append(exc)
            sandbox.clear_faults()
    with connect(sandbox, key="kat_live_pkLOGTEST.WRONGSECRETPART", ttl=0) as client:
        with pytest.raises(KataloUnauthorized) as caught:
            client.usage_summary()
        errors.append(caught.value)
    assert len(errors) == 5
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Katalo GET" in logged  # the transport did log its requests
    for secret in ("THISISTHESECRETPART", "WRONGSECRETPART"):
        assert secret not in logged
        assert all(secret not in f"{e} {e!r} {e.user_message} {e.detail}" for e in errors)
