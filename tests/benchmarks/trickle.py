"""Benchmark of the bot against a Katalo that trickles its answers (issue 16: deadlines, not timeouts).

    .venv/bin/python -m tests.benchmarks.trickle           # ~3 min
    .venv/bin/python -m tests.benchmarks.trickle --quick   # ~1.5 min: fewer questions, shorter sync

The bot runs as deployed (`katalo-bot serve`, waitress, defaults) against the sandbox, whose answers
go out a byte every 50 ms (a summary would take ~35 s, a page of events many minutes). Figures:

- `/katalo usage`, one at a time: seconds from sending until the user's sentence is posted.
- a burst of `--burst` `/katalo usage` (more than the answer pool's threads), then `/katalo help`:
  the acks' p99, how the answers split between "not in time" and "too many questions", how soon
  the busy ones and the help were posted.
- `katalo-bot sync --max-seconds N` and `katalo-bot digest --dry-run`: wall time and exit status.
- `Retry-After: 86399` on one answer: seconds until `/katalo usage` shows figures again.

Every wait is bounded; all traffic is to 127.0.0.1. Writes bench-results/trickle.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bot.answer_pool import ANSWER_THREADS
from bot.katalo.client import EVENTS_PATH, SUMMARY_PATH
from bot.sandbox.ledger import SandboxLedger
from tests.benchmarks.harness import (
    BOT_TOKEN,
    Commander,
    at_once,
    bot_command,
    clean_environment,
    new_client,
    percentile,
    start_bot,
)
from tests.stand_ins.katalo import KataloDouble
from tests.stand_ins.slack import SlackDouble

TRICKLE = 0.05
BUSY = "too many questions"
LATE = "did not finish answering in time"


def text_of(slack: SlackDouble, url: str) -> str:
    return " ".join(str(post.get("text", "")) for post in slack.posts(url))


def usage_sentence(katalo: KataloDouble, slack: SlackDouble, bot_url: str, runs: int) -> dict[str, Any]:
    katalo.inject(SUMMARY_PATH, trickle=TRICKLE, times=None)
    commander, seconds, texts = Commander(bot_url, slack), [], []
    with new_client() as client:
        for _ in range(runs):
            sent, waited = commander.send_and_wait(client, "usage", timeout=40)
            seconds.append(round(waited, 2))
            texts.append(text_of(slack, sent.response_url)[:80])
    katalo.clear_faults()
    return {"seconds": seconds, "texts": texts}


def burst(katalo: KataloDouble, slack: SlackDouble, bot_url: str, count: int) -> dict[str, Any]:
    """`count` questions at once fill the pool; then one more usage and a help, each timed to its post."""
    katalo.inject(SUMMARY_PATH, trickle=TRICKLE, times=None)
    commander = Commander(bot_url, slack)
    sent = at_once(count, lambda client, _: commander.send(client, "usage", timeout=15), timeout=30)
    with new_client() as client:
        probe, probe_s = commander.send_and_wait(client, "usage", timeout=15)
        helped, help_s = commander.send_and_wait(client, "help", timeout=15)
    for question in sent:  # every question is answered within its 10 s budget
        if question is not None:
            slack.wait_for_posts(question.response_url, 1, timeout=40)
    texts = [text_of(slack, s.response_url) for s in sent if s is not None]
    katalo.clear_faults()
    return {
        "questions": count,
        "ack_p99_ms": round(percentile([s.ack_s * 1000 for s in sent if s is not None], 99), 1),
        "acks_200": sum(1 for s in sent if s is not None and s.status == 200),
        "answered_late": sum(LATE in t for t in texts),
        "answered_busy": sum(BUSY in t for t in texts),
        "answers": dict(Counter(t[:60] for t in texts)),
        "one_more_usage_posted_ms": round(probe_s * 1000, 1),
        "one_more_usage_text": text_of(slack, probe.response_url)[:70],
        "help_posted_ms": round(help_s * 1000, 1),
        "help_text": text_of(slack, helped.response_url)[:40],
    }


def cli(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    result = subprocess.run(bot_command(*args), env=env, capture_output=True, text=True, timeout=300)
    return {
        "command": "katalo-bot " + " ".join(args),
        "seconds": round(time.perf_counter() - started, 2),
        "exit": result.returncode,
        "last_line": (result.stdout.strip().splitlines() or [""])[-1][:120],
    }


def retry_after(katalo: KataloDouble, slack: SlackDouble, bot_url: str) -> dict[str, Any]:
    katalo.inject(SUMMARY_PATH, status=429, retry_after=86399)
    commander, started, asked = Commander(bot_url, slack), time.perf_counter(), 0
    with new_client() as client:
        while time.perf_counter() - started < 180:
            sent, _ = commander.send_and_wait(client, "usage", timeout=15)
            asked += 1
            if "of plan used" in text_of(slack, sent.response_url):
                return {"seconds_until_figures": round(time.perf_counter() - started, 1), "questions": asked}
            time.sleep(5)
    return {"seconds_until_figures": None, "questions": asked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default="bench-results/trickle.json")
    args = parser.parse_args()
    runs, count, sync_s = (1, ANSWER_THREADS + 8, 3) if args.quick else (3, ANSWER_THREADS + 16, 5)
    workdir = Path(tempfile.mkdtemp(prefix="katalo-bench-trickle-"))
    figures: dict[str, Any] = {}
    with KataloDouble(SandboxLedger(events=2000)) as katalo, SlackDouble(token=BOT_TOKEN) as slack:
        database = f"sqlite:///{workdir / 'bot.db'}"
        bot = start_bot({}, workdir, slack, katalo.url, database)
        try:
            figures["usage"] = usage_sentence(katalo, slack, bot.url, runs)
            figures["burst"] = burst(katalo, slack, bot.url, count)
            time.sleep(12)  # the burst's answers end within their 10 s budget
            slack.reset()
            figures["retry_after"] = retry_after(katalo, slack, bot.url)
        finally:
            bot.stop()
        env = clean_environment(KATALO_API_URL=katalo.url, DATABASE_URL=f"sqlite:///{workdir / 'cli.db'}")
        katalo.inject(EVENTS_PATH, trickle=TRICKLE, times=None)
        figures["sync"] = cli(["sync", "--max-seconds", str(sync_s)], env)
        katalo.inject(SUMMARY_PATH, trickle=TRICKLE, times=None)
        figures["digest"] = cli(["digest", "--dry-run", "--channel", "C0BENCH"], env)
    print(json.dumps(figures, indent=2))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
