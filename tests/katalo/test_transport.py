"""Talking to Katalo over HTTP: every documented failure maps to its error, and only some are retried."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest

from bot.katalo.budget import RequestBudget
from bot.katalo.cache import SingleFlightCache
from bot.katalo.client import KataloClient
from bot.katalo.errors import (
    KataloBadResponse,
    KataloError,
    KataloForbidden,
    KataloNotFound,
    KataloRateLimited,
    KataloRejected,
    KataloServerError,
    KataloUnauthorized,
    KataloUnavailable,
)
from bot.katalo.transport import RetryPolicy
from tests.fakes import FakeClock

KEY = "kat_live_pkTEST.SUPERSECRETKEYVALUE"
SUMMARY = {"usage": {"included": 100, "consumed": 40}}


def envelope(status: int, code: str, retry_after: float | None = None, **headers: str) -> httpx.Response:
    body = {
        "error": {
            "code": code,
            "message": f"{code} (key {KEY})",
            "retryable": status >= 429,
            "retry_after": retry_after,
        }
    }
    return httpx.Response(status, json=body, headers=headers)


class Script:
    """A MockTransport handler that answers from a list, and records every request it saw."""

    def __init__(self, *answers: httpx.Response | Callable[[httpx.Request], httpx.Response]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer(request) if callable(answer) else answer


def make_client(script: Script, retry: RetryPolicy = RetryPolicy()) -> tuple[KataloClient, FakeClock]:
    clock = FakeClock()
    client = KataloClient(
        "https://katalo.test",
        KEY,
        budget=RequestBudget(1000, clock=clock.monotonic, sleep=clock.sleep),
        cache=SingleFlightCache(60, timer=clock.monotonic, now=clock.now),
        retry=retry,
        transport=httpx.MockTransport(script),
        sleep=clock.sleep,
    )
    return client, clock


def test_sends_the_bearer_key_and_parses_the_summary():
    """The key travels only in the Authorization header; the body becomes a model."""
    script = Script(httpx.Response(200, json=SUMMARY))
    client, _ = make_client(script)
    assert client.usage_summary().value.usage.consumed == 40
    request = script.requests[0]
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.url.path == "/api/v1/usage/summary"
    assert KEY not in str(request.url)


@pytest.mark.parametrize(
    ("rate_limits", "kept"),
    [
        ('{"reads_per_minute": 120, "burst": 0.5}', {"reads_per_minute": 120, "burst": Decimal("0.5")}),
        ('["120 a minute"]', None),
        ('"standard"', None),
    ],
)
def test_a_summary_with_odd_rate_limits_still_reads(rate_limits, kept):
    """`rate_limits` is shown only: a decimal in it, or a shape nobody documented, never loses the summary."""
    body = '{"usage": {"included": 100, "consumed": 40}, "rate_limits": ' + rate_limits + "}"
    client, _ = make_client(Script(httpx.Response(200, content=body.encode())))
    summary = client.usage_summary().value
    assert summary.usage.consumed == 40
    assert summary.rate_limits == kept


@pytest.mark.parametrize(
    ("status", "code", "error_type"),
    [
        (400, "bad_request", KataloRejected),
        (401, "unauthorized", KataloUnauthorized),
        (403, "forbidden", KataloForbidden),
        (404, "not_found", KataloNotFound),
        (409, "idempotency_conflict", KataloRejected),
        (422, "validation_error", KataloRejected),
    ],
)
def test_client_errors_map_to_their_type_and_are_not_retried(status, code, error_type):
    """Each documented 4xx raises its own error after exactly one request."""
    script = Script(envelope(status, code))
    client, clock = make_client(script)
    with pytest.raises(error_type) as caught:
        client.usage_summary()
    assert (caught.value.status, caught.value.code) == (status, code)
    assert len(script.requests) == 1 and clock.slept == []


def test_429_waits_retry_after_then_succeeds():
    """A 429 is retried after at least `retry_after` seconds."""
    script = Script(envelope(429, "rate_limited", retry_after=2), httpx.Response(200, json=SUMMARY))
    client, clock = make_client(script)
    assert client.usage_summary().value.usage.included == 100
    assert len(script.requests) == 2
    assert clock.slept[0] >= 2


def test_429_retry_after_header_is_used_when_the_envelope_has_none():
    """`Retry-After` in the header counts when the envelope's retry_after is null."""
    script = Script(
        envelope(429, "rate_limited", None, **{"Retry-After": "3"}), httpx.Response(200, json=SUMMARY)
    )
    client, clock = make_client(script)
    client.usage_summary()
    assert clock.slept[0] >= 3


def test_429_longer_than_the_wait_bound_is_raised_at_once():
    """A retry_after beyond the bounded total wait is not slept through: the user hears it now."""
    script = Script(envelope(429, "rate_limited", retry_after=45))
    client, clock = make_client(script)
    with pytest.raises(KataloRateLimited) as caught:
        client.usage_summary()
    assert caught.value.retry_after == 45
    assert "Try again in 45 s" in caught.value.user_message
    assert clock.slept == [] and len(script.requests) == 1


def test_429_pauses_the_shared_budget():
    """After a 429 with retry_after, the budget holds every caller back that long."""
    script = Script(envelope(429, "rate_limited", retry_after=30))
    client, _ = make_client(script)
    with pytest.raises(KataloRateLimited):
        client.usage_summary()
    assert client.budget.remaining() == 0


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_back_off_with_jitter_up_to_three_attempts(status):
    """5xx are tried three times in all, with growing, jittered waits, then raised."""
    script = Script(envelope(status, "internal_error"))
    client, clock = make_client(script)
    with pytest.raises(KataloServerError):
        client.usage_summary()
    assert len(script.requests) == 3
    assert len(clock.slept) == 2
    assert 0.25 <= clock.slept[0] <= 0.5 and 0.5 <= clock.slept[1] <= 1.0


def test_server_error_then_success_returns_the_value():
    """A transient 500 is invisible to the user when the retry succeeds."""
    script = Script(envelope(500, "internal_error"), httpx.Response(200, json=SUMMARY))
    client, _ = make_client(script)
    assert client.usage_summary().value.usage.consumed == 40


def test_total_wait_is_bounded():
    """Retries stop once the total wait would exceed the policy's bound."""
    script = Script(envelope(500, "internal_error"))
    client, clock = make_client(script, RetryPolicy(max_attempts=10, base_delay=4, max_total_wait=10))
    with pytest.raises(KataloServerError):
        client.usage_summary()
    assert sum(clock.slept) <= 10
    assert len(script.requests) < 10


def raise_(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (httpx.ConnectError("refused"), "ConnectError"),
        (httpx.ReadTimeout("slow"), "timeout"),
        (httpx.ConnectTimeout("slow"), "timeout"),
        (httpx.RemoteProtocolError("closed"), "RemoteProtocolError"),
    ],
)
def test_connection_failures_are_retried_then_reported_unavailable(exc, code):
    """Refused connections and timeouts are retried, then raised as "could not be reached"."""
    script = Script(raise_(exc))
    client, _ = make_client(script)
    with pytest.raises(KataloUnavailable) as caught:
        client.usage_summary()
    assert caught.value.code == code
    assert len(script.requests) == 3
    assert "could not be reached" in caught.value.user_message


@pytest.mark.parametrize(
    "body",
    [b"<html>502 Bad Gateway</html>", b"", b'{"usage": 5}', b"[1, 2]", b'{"usage": {"consumed": "lots"}}'],
)
def test_unreadable_or_misshapen_body_is_a_bad_response(body):
    """Garbage JSON or the wrong shape raise a bad-response error, not a crash, and are not retried."""
    script = Script(httpx.Response(200, content=body))
    client, _ = make_client(script)
    with pytest.raises(KataloBadResponse) as caught:
        client.usage_summary()
    assert "could not read" in caught.value.user_message
    assert len(script.requests) == 1


def test_error_without_an_envelope_still_maps_by_status():
    """A proxy's HTML 403 (no JSON envelope) is still "forbidden"."""
    script = Script(httpx.Response(403, content=b"<h1>Forbidden</h1>"))
    client, _ = make_client(script)
    with pytest.raises(KataloForbidden):
        client.usage_summary()


def test_the_key_never_appears_in_error_text():
    """Even when Katalo's own message echoes the key, no error's text, repr or user message holds it."""
    for status, code in [(401, "unauthorized"), (429, "rate_limited"), (500, "internal_error")]:
        client, _ = make_client(Script(envelope(status, code, retry_after=99)))
        with pytest.raises(KataloError) as caught:
            client.usage_summary()
        error = caught.value
        assert KEY not in f"{error} {error!r} {error.user_message} {error.args}"


def test_page_request_asks_for_at_most_100_and_passes_the_cursor():
    """A page request never asks for more than 100 events and names the cursor parameter."""
    script = Script(httpx.Response(200, json={"data": []}))
    client, _ = make_client(script)
    client.events_page("abc", limit=500)
    assert dict(script.requests[0].url.params) == {"limit": "100", "cursor": "abc"}


def test_walk_stops_on_a_repeated_cursor():
    """A ledger that hands back the same cursor forever ends the walk with a bad-response error."""
    page = {
        "data": [{"event_id": "e", "job_id": "j", "created_at": "2026-11-24T00:00:00Z"}],
        "next_cursor": "same",
    }
    script = Script(httpx.Response(200, content=json.dumps(page).encode()))
    client, _ = make_client(script)
    with pytest.raises(KataloBadResponse) as caught:
        list(client.iter_pages())
    assert caught.value.code == "cursor_loop"
    assert len(script.requests) == 2


def test_rate_limited_error_text_says_how_long_to_wait():
    """The rate-limited error's own text (as a log line would show it) gives the wait, not a generic line."""
    client, _ = make_client(Script(envelope(429, "rate_limited", retry_after=42)))
    with pytest.raises(KataloRateLimited) as caught:
        client.usage_summary()
    assert "Try again in 42 s" in str(caught.value)
    assert "Try again in 42 s" in repr(caught.value)
