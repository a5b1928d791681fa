"""The answer pool: a question starts now under its budget, or runs now with no time for Katalo."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.answer_pool import AnswerPool
from bot.katalo.budget import RequestBudget
from bot.katalo.cache import SingleFlightCache
from bot.katalo.client import KataloClient
from bot.katalo.deadline import current
from bot.katalo.errors import BotBusy
from bot.sandbox import SANDBOX_API_KEY

SAFETY = 30  # seconds a test waits for a result before calling it hung; never an expected duration


class Held:
    """A task that holds its thread until released: a stand-in for an answer stuck on Katalo."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()

    def __call__(self) -> None:
        self.started.set()
        self.release.wait()


@pytest.fixture
def held() -> Iterator[Held]:
    task = Held()
    yield task
    task.release.set()


def test_a_question_starts_with_the_question_budget_in_force():
    """A question that finds a free thread runs with a deadline of at most QUESTION_SECONDS."""
    pool = AnswerPool(2, question_seconds=5)
    deadline = pool.submit(current).result(SAFETY)
    assert deadline is not None and 0 < deadline.remaining() <= 5
    pool.shutdown()


def test_a_question_that_cannot_start_is_told_at_once_without_asking_katalo(start_sandbox, held):
    """Every thread busy: a usage question raises BotBusy at once, and Katalo is not asked."""
    sandbox = start_sandbox()
    cache = SingleFlightCache(60)
    client = KataloClient(sandbox.url, SANDBOX_API_KEY, budget=RequestBudget(100), cache=cache)
    pool = AnswerPool(1)
    pool.submit(held)
    held.started.wait(SAFETY)
    with pytest.raises(BotBusy) as caught:
        pool.submit(client.usage_summary).result(SAFETY)
    assert "too many questions" in caught.value.user_message
    assert sandbox.request_count() == 0
    held.release.set()
    pool.shutdown()
    client.close()


def test_an_answer_that_needs_no_katalo_is_not_stuck_behind_slow_ones(held):
    """Help (no Katalo) is answered while every answer thread is still held."""
    pool = AnswerPool(1)
    pool.submit(held)
    held.started.wait(SAFETY)
    assert pool.submit(lambda: "help").result(SAFETY) == "help"
    assert not held.release.is_set()
    held.release.set()
    pool.shutdown()


def test_a_thread_is_free_again_once_its_answer_is_done():
    """After a held answer ends, the next question gets the full budget again, not the busy lane."""
    pool = AnswerPool(1, question_seconds=5)
    task = Held()
    done = pool.submit(task)
    task.started.wait(SAFETY)
    task.release.set()
    done.result(SAFETY)
    deadline = pool.submit(current).result(SAFETY)
    assert deadline is not None and deadline.error is not BotBusy and deadline.remaining() > 0
    pool.shutdown()


def test_when_the_overflow_lane_is_full_too_the_question_is_dropped_not_queued():
    """A flood beyond both lanes is dropped (and logged): memory stays bounded."""
    answering, overflowing = Held(), Held()
    pool = AnswerPool(1, overflow_threads=1, overflow_waiting=0)
    try:
        pool.submit(answering)
        answering.started.wait(SAFETY)
        pool.submit(overflowing)
        overflowing.started.wait(SAFETY)
        assert pool.submit(lambda: "never run").cancelled()
    finally:
        answering.release.set()
        overflowing.release.set()
        pool.shutdown()


def test_drain_waits_for_the_answers_in_hand_on_both_lanes_and_says_how_many_are_left(held):
    """What a stopping `serve` relies on: drain returns when every started answer is done, and
    after its bound names how many are not (one on the answer lane, one on the overflow lane)."""
    pool = AnswerPool(1, overflow_threads=1)
    try:
        answered, busy = pool.submit(held), pool.submit(held)
        assert held.started.wait(SAFETY)
        assert pool.drain(0) == 2  # both still running: the bound has passed at once
        held.release.set()
        assert pool.drain(SAFETY) == 0
        assert answered.done() and busy.done()
    finally:
        pool.shutdown()
