"""A Katalo that trickles its answers a byte at a time, over real HTTP: every limit still holds.

Each read arrives well within httpx's read timeout, so only deadlines end these calls. The tests
use small budgets so they are quick, and assert what the user or operator is told: the sentence,
the summary line, the digest's own note. None of them measures elapsed time.
"""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from bot import answer_pool
from bot.blocks.limits import displayed_texts
from bot.config import load_settings
from bot.digest import compose
from bot.digest.run import run_digest
from bot.katalo.client import EVENTS_PATH, SUMMARY_PATH
from bot.sandbox import SANDBOX_API_KEY, with_sandbox_key
from bot.wiring.root import build_deps
from tests.e2e import conftest as e2e

make_bot = e2e.make_bot  # the bot as deployed, talked to as Slack does, with its stand-ins
TRICKLE = 0.05  # seconds a byte: a summary takes over half a minute, a page of events far longer


def shown(message: dict) -> str:
    return "\n".join(displayed_texts(message))


def test_the_sandbox_trickles_the_whole_answer_a_byte_at_a_time(start_sandbox):
    """The trickle fault sends the same answer as usual, in many pieces rather than one."""
    sandbox = start_sandbox()
    headers = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
    with httpx.Client(base_url=sandbox.url, headers=headers) as client:
        whole = client.get(SUMMARY_PATH).content
        sandbox.inject(SUMMARY_PATH, trickle=0.002)
        with client.stream("GET", SUMMARY_PATH) as response:
            pieces = list(response.iter_raw())
    assert b"".join(pieces) == whole
    assert len(pieces) > 1


def test_usage_under_a_trickling_katalo_gets_a_sentence_within_the_question_budget(make_bot, monkeypatch):
    """`/katalo usage` while Katalo trickles: the answer is a sentence once the budget is spent."""
    monkeypatch.setattr(answer_pool, "QUESTION_SECONDS", 0.5)
    bot = make_bot()
    bot.katalo.inject(SUMMARY_PATH, trickle=TRICKLE, times=None)
    ack, url = bot.command("usage")
    assert ack.status_code == 200
    [reply] = bot.slack.wait_for_posts(url, timeout=15)
    assert "Katalo did not finish answering in time" in shown(reply)


def test_events_under_a_trickling_katalo_answer_from_the_mirror_and_say_why(make_bot, monkeypatch):
    """`/katalo events` while the ledger trickles: the mirror answers, saying its sync is still running."""
    monkeypatch.setattr(answer_pool, "QUESTION_SECONDS", 0.5)
    bot = make_bot()
    bot.katalo.inject(EVENTS_PATH, trickle=TRICKLE, times=None)
    _, url = bot.command("events")
    [reply] = bot.slack.wait_for_posts(url, timeout=15)
    assert "The ledger sync is still running" in shown(reply)


def test_a_question_that_cannot_start_says_so_at_once_and_help_still_answers(make_bot, monkeypatch):
    """With every answer thread waiting on a trickle, usage hears "too many questions" and help answers."""
    monkeypatch.setattr(answer_pool, "ANSWER_THREADS", 1)
    bot = make_bot()
    bot.katalo.inject(SUMMARY_PATH, trickle=TRICKLE, times=None)
    bot.command("usage")  # takes the one answer thread, waiting on the trickle for its 10 s
    bot.katalo.wait_for_requests(SUMMARY_PATH)  # it holds the thread (a loaded machine may be slow to)
    _, busy_url = bot.command("usage")
    _, help_url = bot.command("help")
    [busy] = bot.slack.wait_for_posts(busy_url)
    [helped] = bot.slack.wait_for_posts(help_url)
    assert "I'm answering too many questions right now; try again in a few seconds" in shown(busy)
    assert "/katalo usage" in shown(helped)
    assert bot.katalo.request_count(SUMMARY_PATH) == 1  # the busy answer did not ask Katalo


def test_sync_max_seconds_holds_under_a_trickling_katalo(tmp_path, start_sandbox):
    """`katalo-bot sync --max-seconds 0.5` against a trickling ledger stops at its limit and says so."""
    sandbox = start_sandbox()
    sandbox.inject(EVENTS_PATH, trickle=TRICKLE, times=None)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KATALO_", "DATABASE_"))},
        "KATALO_API_URL": sandbox.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sync", "--max-seconds", "0.5"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Read 0 events (0 new) in 0 pages" in result.stdout
    assert "Stopped at the time limit." in result.stdout


@pytest.mark.parametrize("trickled", [EVENTS_PATH])
def test_digest_dry_run_holds_its_mirror_limit_under_a_trickling_katalo(
    trickled, tmp_path, start_sandbox, monkeypatch, capsys
):
    """`katalo-bot digest --dry-run` prints the digest once its catch-up limit is spent, saying so."""
    monkeypatch.setattr(compose, "DIGEST_MIRROR_TIME_LIMIT", 0.5)
    sandbox = start_sandbox()
    sandbox.inject(trickled, trickle=TRICKLE, times=None)
    settings = load_settings(
        {"KATALO_API_URL": sandbox.url, "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"}
    )
    deps = build_deps(with_sandbox_key(settings))
    assert run_digest(deps, "C0DIGEST", dry_run=True, force=False) == 0
    printed = capsys.readouterr().out
    assert "Period to date" in printed
    assert "The ledger sync is behind (the sync did not finish)" in printed
