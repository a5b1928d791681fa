"""Deadlines, not timeouts: a Katalo call ends by its deadline however slowly Katalo answers."""

from __future__ import annotations

import json
import logging
import socket
import threading

import httpx
import pytest

from bot.katalo.budget import RequestBudget
from bot.katalo.cache import SingleFlightCache
from bot.katalo.client import SUMMARY_PATH, KataloClient
from bot.katalo.deadline import Deadline, current, scope, within
from bot.katalo.envelope import MAX_RETRY_AFTER
from bot.katalo.errors import KataloOutOfTime, KataloRateLimited, KataloUnavailable
from bot.katalo.reading import _Watchdog
from bot.katalo.transport import RetryPolicy
from bot.sandbox import SANDBOX_API_KEY
from bot.sandbox.server import SandboxServer
from tests.fakes import FakeClock
from tests.katalo.test_transport import KEY, SUMMARY, Script, envelope, make_client

TRICKLE = 0.05  # seconds a byte: the sandbox's summary (~700 bytes) would take over half a minute


def sandbox_client(sandbox: SandboxServer, retry: RetryPolicy) -> KataloClient:
    return KataloClient(
        sandbox.url, SANDBOX_API_KEY, budget=RequestBudget(1000), cache=SingleFlightCache(0), retry=retry
    )


def test_a_trickled_body_ends_at_the_calls_own_deadline(start_sandbox):
    """Each read arrives well within the read timeout, yet the call ends at its total and says so."""
    sandbox = start_sandbox()
    sandbox.inject(SUMMARY_PATH, trickle=TRICKLE, times=None)
    policy = RetryPolicy(max_attempts=1, total_seconds=0.5)
    with sandbox_client(sandbox, policy) as client, pytest.raises(KataloUnavailable) as caught:
        client.usage_summary()
    assert caught.value.code == "deadline"
    assert "could not be reached" in caught.value.user_message


def test_a_tasks_deadline_ends_a_trickle_and_is_not_retried(start_sandbox):
    """Under `within(0.5)`, a trickling Katalo gets one request and the caller hears "not in time"."""
    sandbox = start_sandbox()
    sandbox.inject(SUMMARY_PATH, trickle=TRICKLE, times=None)
    client = sandbox_client(sandbox, RetryPolicy())
    with client, within(0.5), pytest.raises(KataloOutOfTime) as caught:
        client.usage_summary()
    assert "did not finish answering in time" in caught.value.user_message
    assert sandbox.request_count(SUMMARY_PATH) == 1


def test_a_healthy_answer_within_the_deadline_is_read_whole(start_sandbox):
    """A deadline that is not reached changes nothing: the summary is parsed as usual."""
    sandbox = start_sandbox()
    with sandbox_client(sandbox, RetryPolicy()) as client, within(30):
        summary = client.usage_summary().value
    assert summary.usage.consumed == sandbox.ledger.summary()["usage"]["consumed"]


def test_the_earlier_of_two_deadlines_is_in_force():
    """A nested scope can shorten the deadline in force, never lengthen it."""
    clock = FakeClock()
    near, far = Deadline.after(5, clock=clock.monotonic), Deadline.after(50, clock=clock.monotonic)
    with scope(near), scope(far):
        assert current() is near
    with scope(far):
        with scope(near):
            assert current() is near
        assert current() is far
    assert current() is None


def test_waiting_on_another_threads_fetch_ends_at_the_waiters_deadline():
    """A waiter does not inherit the leader's patience: it gives up at its own deadline."""
    cache = SingleFlightCache(60)
    started, release = threading.Event(), threading.Event()

    def slow_fetch() -> str:
        started.set()
        release.wait()
        return "late"

    leader = threading.Thread(target=cache.get, args=("summary", slow_fetch))
    leader.start()
    started.wait()
    try:
        with within(0.2), pytest.raises(KataloOutOfTime):
            cache.get("summary", lambda: "never asked")
    finally:
        release.set()
        leader.join()
    assert cache.get("summary", lambda: "never asked").value == "late"


def test_a_budget_wait_longer_than_the_deadline_is_out_of_time():
    """Waiting for the bot's own budget never runs past the task's deadline."""
    script = Script(httpx.Response(200, json=SUMMARY))
    clock = FakeClock()
    client = KataloClient(
        "https://katalo.test",
        KEY,
        budget=RequestBudget(1, clock=clock.monotonic, sleep=clock.sleep),
        cache=SingleFlightCache(0, timer=clock.monotonic, now=clock.now),
        retry=RetryPolicy(budget_wait=120, total_seconds=300),
        transport=httpx.MockTransport(script),
        sleep=clock.sleep,
        clock=clock.monotonic,
    )
    client.usage_summary()  # spends the one request of this minute
    with within(10, clock=clock.monotonic), pytest.raises(KataloOutOfTime):
        client.usage_summary()
    assert len(script.requests) == 1 and clock.slept == []


@pytest.mark.parametrize("where", ["header", "envelope"])
def test_a_day_long_retry_after_is_capped_and_katalo_asked_again_a_minute_later(where, caplog):
    """`Retry-After: 86399` pauses the bot for MAX_RETRY_AFTER, logged, and then Katalo is asked again."""
    limited = (
        envelope(429, "rate_limited", None, **{"Retry-After": "86399"})
        if where == "header"
        else envelope(429, "rate_limited", retry_after=86399)
    )
    script = Script(limited, httpx.Response(200, json=SUMMARY))
    client, clock = make_client(script)
    with caplog.at_level(logging.WARNING), pytest.raises(KataloRateLimited) as caught:
        client.usage_summary()
    assert caught.value.retry_after == MAX_RETRY_AFTER == 60
    assert "Try again in 60 s" in caught.value.user_message
    assert "86399 s" in caplog.text and "at most 60 s" in caplog.text
    assert KEY not in caplog.text
    clock.advance(MAX_RETRY_AFTER)
    assert client.usage_summary(refresh=True).value.usage.consumed == 40
    assert len(script.requests) == 2


def test_a_retry_after_within_the_cap_is_kept_and_not_logged(caplog):
    """A `retry_after` Katalo may mean (30 s) is honoured as given."""
    client, _ = make_client(Script(envelope(429, "rate_limited", retry_after=30)))
    with caplog.at_level(logging.WARNING), pytest.raises(KataloRateLimited) as caught:
        client.usage_summary()
    assert caught.value.retry_after == 30
    assert "Retry-After" not in caplog.text


def test_the_watchdog_ends_a_read_blocked_past_the_deadline():
    """A read that began before the deadline and would block on is cut when the deadline passes."""

    class Stream:
        def __init__(self, sock: socket.socket) -> None:
            self.sock = sock

        def get_extra_info(self, name: str) -> socket.socket | None:
            return self.sock if name == "socket" else None

    ours, theirs = socket.socketpair()
    with ours, theirs:
        response = httpx.Response(200, extensions={"network_stream": Stream(ours)})
        watchdog = _Watchdog(Deadline.after(0.1))
        with watchdog.guarding(response):
            assert ours.recv(1) == b""  # "theirs" never writes: only the watchdog ends this read
    assert watchdog.fired


def test_a_body_arriving_in_pieces_is_checked_against_the_deadline_after_each_piece():
    """On an injected clock: a body a byte per 0.1 s stops being read once the call's 5 s are spent."""
    clock = FakeClock()
    served: list[bytes] = []

    class Trickle(httpx.SyncByteStream):
        def __iter__(self):
            for byte in json.dumps(SUMMARY).encode() * 20:
                clock.advance(0.1)
                served.append(bytes([byte]))
                yield served[-1]

    client = KataloClient(
        "https://katalo.test",
        KEY,
        budget=RequestBudget(1000, clock=clock.monotonic, sleep=clock.sleep),
        cache=SingleFlightCache(0, timer=clock.monotonic, now=clock.now),
        retry=RetryPolicy(max_attempts=1, total_seconds=5),
        transport=httpx.MockTransport(lambda request: httpx.Response(200, stream=Trickle())),
        sleep=clock.sleep,
        clock=clock.monotonic,
    )
    with pytest.raises(KataloUnavailable) as caught:
        client.usage_summary()
    assert caught.value.code == "deadline"
    assert len(served) == 50  # 5 s at 0.1 s a byte, then no more is read
