"""One Katalo budget for every process on a database: the total holds, questions come first, 429s reach all.

Two SharedBudget objects on one engine stand for two processes (they share nothing but the database);
one test runs two real processes. Time is a FakeClock shared by both, as the database's clock is.
"""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from bot.answer_pool import AnswerPool
from bot.katalo.budget import as_question, is_question
from bot.katalo.cache import SingleFlightCache
from bot.katalo.client import WALK_RETRY, KataloClient
from bot.katalo.errors import KataloRateLimited, RequestBudgetExhausted
from bot.katalo.shared_budget import SharedBudget
from bot.katalo.transport import RetryPolicy
from tests.fakes import FakeClock

SUMMARY = {"usage": {"included": 100, "consumed": 40}}


def two_processes(engine: Engine, per_minute: int) -> tuple[SharedBudget, SharedBudget, FakeClock]:
    clock = FakeClock()
    return (
        SharedBudget(engine, per_minute, clock=clock.monotonic, sleep=clock.sleep),
        SharedBudget(engine, per_minute, clock=clock.monotonic, sleep=clock.sleep),
        clock,
    )


def take(budget: SharedBudget, *, question: bool, max_wait: float = 0) -> bool:
    """One acquisition as a question or as background work; False when the budget refused it."""
    try:
        if question:
            with as_question():
                budget.acquire(max_wait=max_wait)
        else:
            budget.acquire(max_wait=max_wait)
    except RequestBudgetExhausted:
        return False
    return True


def test_two_processes_never_exceed_the_total_in_any_minute(engine):
    """300 random acquisitions by two processes: no 60 s window holds more than the limit, yet it fills."""
    first, second, clock = two_processes(engine, 10)
    rng = random.Random(14)
    granted: list[float] = []
    for _ in range(300):
        clock.advance(rng.uniform(0, 2.5))
        if take(rng.choice([first, second]), question=rng.random() < 0.5):
            granted.append(clock.monotonic())
    busiest = max(sum(1 for other in granted if moment - 60 < other <= moment) for moment in granted)
    assert busiest == 10


def test_a_slot_frees_exactly_sixty_one_seconds_after_it_was_taken(engine):
    """At 60.9 s the other process is refused with the 0.1 s it must wait; at 61 s it gets the slot.

    The second past the minute is for the request's way to Katalo (SLOT_SECONDS)."""
    first, second, clock = two_processes(engine, 1)
    assert take(first, question=True)
    clock.advance(60.9)
    with pytest.raises(RequestBudgetExhausted) as refused, as_question():
        second.acquire(max_wait=0)
    assert refused.value.retry_after == pytest.approx(0.1)
    clock.advance(0.1)
    assert second.remaining() == 1
    assert take(second, question=True)


def test_background_leaves_a_quarter_of_each_minute_to_questions(engine):
    """A sync in one process takes 6 of 8 slots and then waits; the other process's questions get the 2."""
    web, clock_process, _clock = two_processes(engine, 8)
    background = [take(clock_process, question=False) for _ in range(10)]
    assert background.count(True) == 6
    questions = [take(web, question=True) for _ in range(3)]
    assert questions == [True, True, False]


def test_background_waits_for_the_window_to_drop_below_its_share(engine):
    """With the window full of questions, background work waits until it is down to its share minus one."""
    web, clock_process, clock = two_processes(engine, 4)  # background may use 3
    for _ in range(4):
        assert take(web, question=True)
        clock.advance(1)
    clock_process.acquire(max_wait=120)  # the oldest two must leave: the second was taken at +1 s
    assert clock.slept == [pytest.approx(58)]  # it leaves at 1 + 61 s; the clock is at 4 s


def test_answers_are_questions_and_everything_else_is_background():
    """The answer pool runs every answer as a question; the clock and the CLI, outside it, are background."""
    pool = AnswerPool(workers=1)
    try:
        assert pool.submit(is_question).result() is True
    finally:
        pool.shutdown()
    assert is_question() is False


def test_a_clock_set_back_an_hour_does_not_hold_the_budget_for_an_hour(engine):
    """Slots and a 429 pause written before the machine's clock went back an hour stop counting."""
    now = [5000.0]
    budget = SharedBudget(engine, 1, clock=lambda: now[0], sleep=lambda _s: None)
    budget.acquire(max_wait=0)
    budget.pause_for(30)
    now[0] -= 3600
    with as_question():
        budget.acquire(max_wait=0)
        assert budget.remaining() == 0


def sandbox_client(budget: SharedBudget, clock: FakeClock, handler, retry: RetryPolicy) -> KataloClient:
    return KataloClient(
        "https://katalo.test",
        "kat_live_pkTEST.KEY",
        budget=budget,
        cache=SingleFlightCache(0),
        retry=retry,
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        clock=clock.monotonic,
    )


def test_a_question_waits_at_most_five_seconds_then_hears_when_to_try_again(engine):
    """Budget spent by another process: a 4 s wait is sat out, a 30 s one is refused with its sentence."""
    other, mine, clock = two_processes(engine, 3)
    client = sandbox_client(mine, clock, lambda _r: httpx.Response(200, json=SUMMARY), RetryPolicy())
    for _ in range(3):
        assert take(other, question=True)
    clock.advance(57)  # the slots free at 61 s
    with as_question():
        assert client.usage_summary().value.usage.consumed == 40
    assert clock.slept == [pytest.approx(4)]
    for _ in range(2):
        assert take(other, question=True)  # the window is full again, its oldest slot 30 s away
    clock.advance(31)
    with pytest.raises(RequestBudgetExhausted) as refused, as_question():
        client.usage_summary()
    assert clock.slept == [pytest.approx(4)]
    assert "Try again in 30 s" in refused.value.user_message


def test_a_429_seen_by_one_process_pauses_the_other(engine):
    """Katalo's 429 (retry_after 500, capped at 60) to one process: the other's sync sits out 60 s."""
    web, clock_process, clock = two_processes(engine, 60)
    limited = {"error": {"code": "rate_limited", "message": "slow down", "retry_after": 500}}
    web_client = sandbox_client(
        web, clock, lambda _r: httpx.Response(429, json=limited), RetryPolicy(max_attempts=1)
    )
    served: list[float] = []

    def serve(_request: httpx.Request) -> httpx.Response:
        served.append(clock.monotonic())
        return httpx.Response(200, json=SUMMARY)

    sync_client = sandbox_client(clock_process, clock, serve, WALK_RETRY)
    with pytest.raises(KataloRateLimited), as_question():
        web_client.usage_summary()
    paused_at = clock.monotonic()
    with as_question():
        assert web.remaining() == 0
    sync_client.usage_summary()
    assert served == [pytest.approx(paused_at + 60)]


WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from bot.db.engine import make_engine
    from bot.katalo.budget import as_question
    from bot.katalo.errors import RequestBudgetExhausted
    from bot.katalo.shared_budget import SharedBudget

    url, ready, other = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    budget = SharedBudget(make_engine(url), 20, clock=lambda: 1000.0)  # time stands still: one window
    ready.touch()
    while not other.exists():  # start together, so the two really race for the row
        time.sleep(0.01)
    granted = 0
    with as_question():
        for _ in range(40):
            try:
                budget.acquire(max_wait=0)
                granted += 1
            except RequestBudgetExhausted:
                pass
    print(granted)
    """
)


def test_two_real_processes_share_one_budget(engine, database_url, tmp_path: Path):
    """Two OS processes, 40 attempts each within one minute on a budget of 20: 20 granted in all."""
    root = Path(__file__).resolve().parents[2]
    marks = [tmp_path / "a.ready", tmp_path / "b.ready"]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, database_url, str(mine), str(theirs)],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        for mine, theirs in (marks, marks[::-1])
    ]
    counts = [int(worker.communicate(timeout=120)[0]) for worker in workers]
    assert sum(counts) == 20
