"""One Katalo cache for every process on a database: one fetch serves all, for the TTL and no longer.

Two clients, each with its own in-process cache and SharedCache on one engine, stand for two
processes (they share nothing but the database), on SQLite and PostgreSQL. Time is a FakeClock
shared by both, as the database's clock is. tests/e2e/test_processes_share_cache.py runs real ones.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine, update

from bot.db.schema import katalo_cache
from bot.katalo import deadline as deadlines
from bot.katalo.budget import RequestBudget
from bot.katalo.cache import SingleFlightCache
from bot.katalo.client import KataloClient
from bot.katalo.errors import KataloOutOfTime, KataloServerError
from bot.katalo.shared_cache import LEASE_SECONDS, SharedCache
from bot.katalo.transport import RetryPolicy
from tests.fakes import FakeClock

TTL = 60
# Katalo's numbers as JSON numbers (read as Decimal), a period start with an offset and microseconds.
SUMMARY = (
    '{"usage": {"included": 5000, "consumed": %s, "overage": 0.000001}, "billing_period": '
    '{"start_at": "2026-11-01T00:00:00.123456+01:00", "end_at": "2026-12-01T00:00:00Z"}}'
)


class Katalo:
    """A Katalo over httpx.MockTransport that counts summary requests and can fail or hold them."""

    def __init__(self) -> None:
        self.requests = 0
        self.failing = False
        self.consumed = "2750.50"
        self.hold: threading.Event | None = None
        self.held = threading.Event()

    def handle(self, _request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.hold is not None and not self.held.is_set():  # the first request after `hold` is set
            self.held.set()
            self.hold.wait(10)
        if self.failing:
            return httpx.Response(503, json={"error": {"code": "unavailable", "message": "down"}})
        return httpx.Response(200, content=(SUMMARY % self.consumed).encode())


def process(
    engine: Engine, katalo: Katalo, clock: FakeClock, *, sleep: Callable[[float], None] | None = None
) -> KataloClient:
    """A client as one `web` process builds it: its own in-process cache in front of the shared one.

    With `sleep`, the shared cache waits in real time on the database's clock instead of the fake one."""
    if sleep is None:
        shared = SharedCache(engine, clock=clock.monotonic, sleep=clock.sleep)
    else:
        shared = SharedCache(engine, sleep=sleep)
    return KataloClient(
        "https://katalo.test",
        "kat_live_pkTEST.KEY",
        budget=RequestBudget(1000),
        cache=SingleFlightCache(TTL, timer=clock.monotonic, now=clock.now, shared=shared),
        retry=RetryPolicy(max_attempts=1),
        transport=httpx.MockTransport(katalo.handle),
        sleep=clock.sleep,
        clock=clock.monotonic,
    )


@pytest.fixture
def katalo() -> Katalo:
    return Katalo()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_a_summary_fetched_by_one_process_serves_the_other_until_the_ttl(engine, katalo, clock):
    """A fetches; B, asked 59 s later, answers A's figures as of A's fetch; at 60 s B asks Katalo."""
    a, b = process(engine, katalo, clock), process(engine, katalo, clock)
    first = a.usage_summary()
    clock.advance(TTL - 1)
    second = b.usage_summary()
    assert katalo.requests == 1
    assert second.value == first.value
    assert second.fetched_at == first.fetched_at
    clock.advance(1)
    katalo.consumed = "2800"
    assert b.usage_summary().value.usage.consumed == Decimal("2800")
    assert katalo.requests == 2


def test_a_value_read_from_the_database_is_kept_only_for_what_is_left_of_its_ttl(engine, katalo, clock):
    """B reads A's 40 s old value: B's own copy then lasts 20 s, not 60, so nobody shows it older."""
    a, b = process(engine, katalo, clock), process(engine, katalo, clock)
    a.usage_summary()
    clock.advance(40)
    b.usage_summary()
    clock.advance(19.9)
    b.usage_summary()
    assert katalo.requests == 1
    clock.advance(0.1)
    assert b.usage_summary().age_seconds(clock.now()) == 0
    assert katalo.requests == 2


def test_money_and_times_read_back_exactly(engine, katalo, clock):
    """Decimal digits (trailing zeros, millionths), offsets and microseconds survive the database."""
    a, b = process(engine, katalo, clock), process(engine, katalo, clock)
    clock.advance(0.000123)
    mine = a.usage_summary()
    theirs = b.usage_summary()
    assert katalo.requests == 1
    assert str(theirs.value.usage.consumed) == "2750.50"
    assert str(theirs.value.usage.overage) == "0.000001"
    start = theirs.value.billing_period.start_at
    assert start == mine.value.billing_period.start_at
    assert (start.utcoffset(), start.microsecond) == (timedelta(hours=1), 123456)
    assert theirs.fetched_at == mine.fetched_at and theirs.fetched_at.microsecond == 123


def test_an_error_is_not_shared(engine, katalo, clock):
    """Katalo fails A; B, asked right after, asks Katalo itself and gets the figures."""
    a, b = process(engine, katalo, clock), process(engine, katalo, clock)
    katalo.failing = True
    with pytest.raises(KataloServerError):
        a.usage_summary()
    katalo.failing = False
    assert b.usage_summary().value.usage.consumed == Decimal("2750.50")
    assert katalo.requests == 2


def test_a_process_that_never_fetched_answers_stale_from_the_others_value(engine, katalo, clock):
    """A fetched at 14:02; at 14:05 Katalo is down: B (whose cache is empty) answers A's figures, stale."""
    a, b = process(engine, katalo, clock), process(engine, katalo, clock)
    first = a.usage_summary()
    clock.advance(180)
    katalo.failing = True
    stale = b.usage_summary(allow_stale=True)
    assert stale.stale and stale.fetched_at == first.fetched_at
    assert isinstance(stale.error, KataloServerError)
    with pytest.raises(KataloServerError):
        b.usage_summary()  # a caller that does not allow stale figures hears the error


def test_a_refresh_fetches_even_when_another_process_stored_a_fresh_value(engine, katalo, clock):
    """The Refresh button in B asks Katalo although A's value is 1 s old; A then sees B's."""
    a, b = process(engine, katalo, clock), process(engine, katalo, clock)
    a.usage_summary()
    clock.advance(1)
    katalo.consumed = "2760"
    assert b.usage_summary(refresh=True).value.usage.consumed == Decimal("2760")
    assert katalo.requests == 2


def in_thread(call: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    result: list[object] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def test_a_holder_that_never_returns_blocks_the_others_for_the_lease_only(engine, katalo, clock):
    """A's fetch hangs; B waits out A's lease (5 s of the shared clock), then fetches itself."""
    a, b = process(engine, katalo, clock), process(engine, katalo, clock)
    katalo.hold = threading.Event()
    hung, _ = in_thread(a.usage_summary)
    assert katalo.held.wait(10)
    waited_from = clock.monotonic()
    assert b.usage_summary().value.usage.consumed == Decimal("2750.50")
    assert clock.monotonic() - waited_from == pytest.approx(LEASE_SECONDS)
    assert katalo.requests == 2
    katalo.hold.set()
    hung.join(10)


def test_a_waiter_stops_at_its_own_deadline_and_may_answer_stale(engine, katalo, clock):
    """A holds the lease; B's question with 2 s left ends after 2 s, stale if it has a last good value."""
    a, b = process(engine, katalo, clock), process(engine, katalo, clock)
    b.usage_summary()
    clock.advance(TTL)
    katalo.hold = threading.Event()
    hung, _ = in_thread(lambda: a.usage_summary(refresh=True))
    assert katalo.held.wait(10)
    started = clock.monotonic()
    with deadlines.within(2.0, clock=clock.monotonic):
        stale = b.usage_summary(allow_stale=True)
    assert stale.stale and isinstance(stale.error, KataloOutOfTime)
    assert clock.monotonic() - started == pytest.approx(2.0)
    with deadlines.within(2.0, clock=clock.monotonic), pytest.raises(KataloOutOfTime):
        b.usage_summary()
    assert katalo.requests == 2  # B sent none: it waited for A's fetch
    katalo.hold.set()
    hung.join(10)


def test_a_waiter_gets_the_fetch_of_the_process_holding_the_lease(engine, katalo, clock):
    """A is fetching when B asks: B waits for A's answer instead of asking Katalo (real time)."""
    waiting = threading.Event()

    def sleep(seconds: float) -> None:
        waiting.set()
        time.sleep(seconds)

    a, b = process(engine, katalo, clock, sleep=time.sleep), process(engine, katalo, clock, sleep=sleep)
    katalo.hold = threading.Event()
    leader, led = in_thread(a.usage_summary)
    assert katalo.held.wait(10)
    waiter, waited = in_thread(b.usage_summary)
    assert waiting.wait(10)  # B found A's lease held
    katalo.hold.set()
    leader.join(10)
    waiter.join(10)
    assert katalo.requests == 1
    assert waited[0].value == led[0].value  # type: ignore[attr-defined]


def test_a_value_this_version_cannot_read_is_fetched_anew(engine, katalo, clock):
    """A row left by a bot whose models differ (mid-deploy): fetched again and replaced, not an error."""
    a, b = process(engine, katalo, clock), process(engine, katalo, clock)
    a.usage_summary()
    with engine.begin() as connection:
        connection.execute(update(katalo_cache).values(value='{"usage": "not a usage"}'))
    assert b.usage_summary().value.usage.consumed == Decimal("2750.50")
    assert katalo.requests == 2


def test_clearing_the_cache_forgets_the_value_for_every_process(engine, katalo, clock):
    """After A's clear(), B (whose own copy is gone too, never having one) asks Katalo again."""
    a, b = process(engine, katalo, clock), process(engine, katalo, clock)
    a.usage_summary()
    a.cache.clear()
    b.usage_summary()
    assert katalo.requests == 2


def test_a_clock_set_back_neither_keeps_a_value_fresh_nor_holds_a_lease(engine, katalo):
    """Value and lease written before the machine's clock went back an hour: the next asker fetches."""
    now = [5000.0]
    clock = FakeClock()

    def shared() -> SharedCache:
        return SharedCache(engine, clock=lambda: now[0], sleep=clock.sleep)

    stored = shared()
    stored.get("summary", lambda: ("old", clock.now()), ttl=TTL)
    with engine.begin() as connection:  # a holder fetching when the clock went back
        connection.execute(update(katalo_cache).values(holder="other:1:x", lease_until=now[0] + 3))
    now[0] -= 3600
    with deadlines.within(10, clock=clock.monotonic):  # a held lease would end this in KataloOutOfTime
        entry = shared().get("summary", lambda: ("new", clock.now()), ttl=TTL)
    assert (entry.text, entry.fetched_here) == ("new", True)
