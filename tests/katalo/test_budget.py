"""The request budget caps the bot at N requests in any 60 s window and honours Katalo's 429 pauses."""

from __future__ import annotations

import threading

import pytest

from bot.katalo.budget import RequestBudget
from bot.katalo.errors import KataloRateLimited, RequestBudgetExhausted
from tests.fakes import FakeClock


def make_budget(per_minute: int) -> tuple[RequestBudget, FakeClock]:
    clock = FakeClock()
    return RequestBudget(per_minute, clock=clock.monotonic, sleep=clock.sleep), clock


def test_spends_up_to_the_limit_without_waiting():
    """N requests in a burst go straight through."""
    budget, clock = make_budget(5)
    for _ in range(5):
        budget.acquire(max_wait=0)
    assert clock.slept == []
    assert budget.remaining() == 0


def test_over_the_limit_the_caller_waits_for_the_window_to_slide():
    """The N+1th request waits until the oldest one is 60 s old, then goes."""
    budget, clock = make_budget(2)
    budget.acquire(max_wait=0)
    clock.advance(10)
    budget.acquire(max_wait=0)
    budget.acquire(max_wait=120)
    assert clock.slept == [pytest.approx(50)]


def test_refuses_with_retry_after_when_the_wait_is_too_long():
    """A caller that cannot wait that long gets a rate-limited error saying how long it would take."""
    budget, clock = make_budget(1)
    budget.acquire(max_wait=0)
    clock.advance(15)
    with pytest.raises(RequestBudgetExhausted) as caught:
        budget.acquire(max_wait=5)
    assert isinstance(caught.value, KataloRateLimited)
    assert caught.value.retry_after == pytest.approx(45)
    assert "Try again in 45 s" in caught.value.user_message


def test_window_frees_capacity_after_a_minute():
    """After 60 s the whole budget is available again."""
    budget, clock = make_budget(3)
    for _ in range(3):
        budget.acquire(max_wait=0)
    clock.advance(60.01)
    assert budget.remaining() == 3


def test_a_429_pauses_every_caller():
    """After Katalo's 429 with retry_after, the next request waits that long even with budget left."""
    budget, clock = make_budget(60)
    budget.pause_for(7)
    assert budget.remaining() == 0
    budget.acquire(max_wait=10)
    assert clock.slept == [pytest.approx(7)]


def test_threads_never_overspend():
    """200 threads racing for a budget of 50 get exactly 50 requests; the rest are refused."""
    budget, _ = make_budget(50)
    granted: list[int] = []
    refused: list[int] = []

    def take(i: int) -> None:
        try:
            budget.acquire(max_wait=0)
            granted.append(i)
        except RequestBudgetExhausted:
            refused.append(i)

    threads = [threading.Thread(target=take, args=(i,)) for i in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(granted), len(refused)) == (50, 150)
