"""Benchmark of the ledger mirror on a large sandbox ledger (issue: ledger mirror figures).

    .venv/bin/python -m tests.benchmarks.ledger --events 1000000 [--days 396] [--database-url URL]

Serves the sandbox from this process and runs `katalo-bot sync` as its own process (so the sync's
peak RSS is its own, measured by wait4), with the request budget lifted; then times the queries in
this process, and spend answers (`--spend`: every period x breakdown, with and without a filter, as
`/katalo spend` answers them, p50/p99 and Katalo requests per answer), and (`--share`) what Share adds
to a spend answer (its chart's figures in the same snapshot, and drawing it) and what the digest's
reconcile line costs. Prints a table and writes it as JSON. Not part of the test suite (pytest collects
only test_*.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.blocks.digest import build_digest
from bot.charts.daily import render_daily_spend
from bot.db import open_database
from bot.digest.compose import _ledger_check, compose_digest
from bot.katalo.budget import RequestBudget
from bot.katalo.cache import SingleFlightCache
from bot.katalo.client import KataloClient
from bot.ledger.mirror import LedgerMirror
from bot.ledger.queries import LedgerQueries
from bot.periods import PeriodSpec
from bot.sandbox import SANDBOX_API_KEY
from bot.sandbox.ledger import SandboxLedger
from bot.services.spend import Spend
from bot.spend_parsing import SpendQuestion
from tests.stand_ins.katalo import KataloDouble

SPEND_PERIODS = {
    "yesterday": PeriodSpec("yesterday"),
    "last week": PeriodSpec("last_week"),
    "last month": PeriodSpec("last_month"),
    "this period": PeriodSpec("this_period"),
    "last 400 days": PeriodSpec("last_days", days=400),
}
SPEND_BREAKDOWNS = ("type", "config", "job", "day")


def timed_sync(sandbox_url: str, database_url: str) -> tuple[float, int, str]:
    """Run `katalo-bot sync` once; (seconds, peak RSS in MB, summary line)."""
    env = {
        **os.environ,
        "KATALO_API_URL": sandbox_url,
        "KATALO_REQUESTS_PER_MINUTE": "10000000",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
    }
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bot", "sync"], env=env, stdout=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    output = process.stdout.read().decode() if process.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"sync failed: {output}")
    return seconds, usage.ru_maxrss // 1024, output.strip().splitlines()[-1]


def median_ms(action: Callable[[], Any], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--days", type=float, default=40.0, help="the span the events spread over")
    parser.add_argument("--spend", action="store_true", help="also time spend answers (slow)")
    parser.add_argument("--runs", type=int, default=25, help="answers timed per spend question")
    parser.add_argument("--share", action="store_true", help="also time a shared answer's chart")
    parser.add_argument("--json", default="bench-results/ledger.json")
    parser.add_argument("--now", type=datetime.fromisoformat, help="the sandbox's present (UTC ISO time)")
    parser.add_argument(
        "--existing",
        action="store_true",
        help="--database-url already holds this ledger (same --events, --days, --now): time only the queries",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="katalo-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    rows: dict[str, Any] = {"events": args.events, "database": database_url.split(":")[0]}
    now = args.now.replace(tzinfo=UTC) if args.now else None
    # The sandbox serves from this process; the sync runs as its own process, measured alone.
    with KataloDouble(SandboxLedger(events=args.events, days=args.days, now=now)) as sandbox:
        if args.existing:
            sandbox.ledger.append(1000)  # as the run that built it did, after its first two syncs
            rows.update(spend_figures(sandbox, database_url, args.runs) if args.spend else {})
            rows.update(share_figures(sandbox, database_url, args.runs) if args.share else {})
            print_table(rows)
            return
        seconds, rss, line = timed_sync(sandbox.url, database_url)
        print(line, file=sys.stderr)
        rows.update(initial_sync_s=round(seconds, 1), initial_events_per_s=round(args.events / seconds))
        rows.update(initial_sync_peak_rss_mb=rss)
        seconds, _, _ = timed_sync(sandbox.url, database_url)
        rows["no_change_sync_s"] = round(seconds, 2)
        sandbox.ledger.append(1000)
        sandbox.reset_requests()
        seconds, _, line = timed_sync(sandbox.url, database_url)
        rows.update(
            incremental_1000_sync_s=round(seconds, 2), incremental_1000_requests=sandbox.request_count()
        )
        print(line, file=sys.stderr)
        rows.update(digest_figures(sandbox, database_url))
        if args.spend:
            rows.update(spend_figures(sandbox, database_url, args.runs))
        if args.share:
            rows.update(share_figures(sandbox, database_url, args.runs))
    engine = open_database(database_url)
    queries = LedgerQueries(engine)
    with engine.connect() as connection:
        jobs = [row[0] for row in connection.exec_driver_sql("SELECT job_id FROM ledger_events LIMIT 5000")]
    picks = random.Random(1).choices(jobs, k=200)
    rows["job_lookup_ms_p50"] = round(median_ms(lambda: queries.events_of_job(picks.pop()), 200), 2)
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    rows["day_events"] = queries.totals(day, day + timedelta(days=1)).overall.events
    rows["day_totals_ms_p50"] = round(median_ms(lambda: queries.totals(day, day + timedelta(days=1)), 20), 1)
    rows["day_top_jobs_ms_p50"] = round(
        median_ms(lambda: queries.top_jobs(day, day + timedelta(days=1)), 20), 1
    )
    print_table(rows)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(rows, indent=2))


def digest_figures(sandbox: KataloDouble, database_url: str) -> dict[str, Any]:
    """Compose and build yesterday's digest on the synced mirror (the sandbox still serving): median ms."""
    engine = open_database(database_url)
    client = KataloClient(
        sandbox.url, SANDBOX_API_KEY, budget=RequestBudget(100_000), cache=SingleFlightCache(60)
    )
    mirror = LedgerMirror(engine, client)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)

    def build() -> None:
        figures = compose_digest(yesterday, UTC, client=client, mirror=mirror, now=datetime.now(UTC))
        build_digest(figures)

    return {"digest_build_ms_p50": round(median_ms(build, 5), 1)}


def spend_service(
    sandbox: KataloDouble, database_url: str
) -> tuple[Engine, KataloClient, LedgerMirror, Spend]:
    """The spend answers (Europe/Berlin) over the synced mirror, caught up by one answer not timed."""
    engine = open_database(database_url)
    client = KataloClient(
        sandbox.url, SANDBOX_API_KEY, budget=RequestBudget(100_000), cache=SingleFlightCache(60)
    )
    # The sandbox's appended events lie ahead of the wall clock: the mirror's clock is the sandbox's
    # present (as in tests/ledger/helpers.py), or every freshness check would re-read them.
    mirror = LedgerMirror(engine, client, now=lambda: max(datetime.now(UTC), sandbox.ledger.now))
    spend = Spend(client, mirror, zone=ZoneInfo("Europe/Berlin"))
    spend.answer(SpendQuestion())
    return engine, client, mirror, spend


def spend_figures(sandbox: KataloDouble, database_url: str, runs: int) -> dict[str, Any]:
    """p50/p99 ms of whole spend answers (Europe/Berlin), and the most Katalo requests one answer made."""
    engine, _, _, spend = spend_service(sandbox, database_url)
    figures: dict[str, Any] = {}
    most_requests = 0
    for name, spec in SPEND_PERIODS.items():
        for by in SPEND_BREAKDOWNS:
            for only in ((), ("upscale",)):
                question = SpendQuestion(period=spec, breakdown=by, types=only)
                samples = []
                for _ in range(runs):
                    sandbox.reset_requests()
                    started = time.perf_counter()
                    _, answered = spend.answer(question)
                    samples.append((time.perf_counter() - started) * 1000)
                    most_requests = max(most_requests, sandbox.request_count())
                    if not answered:
                        raise RuntimeError(f"spend {name} by {by} was refused")
                samples.sort()
                p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
                label = f"spend {name} by {by}{' type:upscale' if only else ''}"
                figures[label + " p50/p99 ms"] = f"{statistics.median(samples):.1f} / {p99:.1f}"
    figures["spend most Katalo requests per answer"] = most_requests
    engine.dispose()
    return figures


def share_figures(sandbox: KataloDouble, database_url: str, runs: int) -> dict[str, Any]:
    """Median ms of a spend answer, the same answer for Share (with its chart's figures), drawing the
    chart; and of the digest's reconcile line (the period's totals and the stored check)."""
    engine, client, mirror, spend = spend_service(sandbox, database_url)
    figures: dict[str, Any] = {}
    periods = {"last 7 days": 7, "last 31 days": 31, "last 62 days": 62, "last 400 days": 400}
    for name, days in periods.items():
        question = SpendQuestion(period=PeriodSpec("last_days", days=days))
        shared = spend.for_channel(question, shared_by="U0BENCH")
        if shared.chart is None:
            raise RuntimeError(f"no chart for {name}: {shared.no_chart}")
        chart = shared.chart
        private = median_ms(lambda q=question: spend.answer(q), runs)
        public = median_ms(lambda q=question: spend.for_channel(q, shared_by="U0BENCH"), runs)
        drawn = median_ms(lambda c=chart: render_daily_spend(c), runs)
        figures[f"share {name}: answer / answer with chart figures / draw ms p50"] = (
            f"{private:.1f} / {public:.1f} / {drawn:.1f}"
        )
    summary = client.usage_summary()
    synced_at = mirror.state().last_success_at
    figures["digest reconcile line ms p50"] = round(
        median_ms(lambda: _ledger_check(summary, synced_at, mirror), runs), 1
    )
    engine.dispose()
    return figures


def print_table(rows: dict[str, Any]) -> None:
    width = max(len(key) for key in rows)
    print(f"{'figure':<{width}}  value")
    for key, value in rows.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
