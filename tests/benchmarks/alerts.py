"""What one alert check costs on a large mirror: the clock runs it every five minutes.

    .venv/bin/python -m tests.benchmarks.alerts [--events 1000000] [--database-url URL] [--runs 10]

Serves the sandbox from this process (the ledger's now is the real now, so its days are the checks'
days), syncs it with `katalo-bot sync` (budget lifted), makes yesterday a spike (one event from a new
config worth about twice a day's spend), subscribes one channel, and times, with the Slack stand-in
in this process:
- the first check, which posts the alerts due (the spike, with its cause);
- a steady check, with nothing new to say (what the clock pays every five minutes), median of --runs;
- composing the spike alert alone (the cause: per-day breakdowns by type, config and job over 29 days).
Prints a table and writes bench-results/alerts.json. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.alerts.spike import SpikeParams
from bot.db import open_database
from bot.db.alert_steps import AlertSteps
from bot.db.alert_store import AlertStore
from bot.digest.store import DigestStore
from bot.katalo.budget import RequestBudget
from bot.katalo.cache import SingleFlightCache
from bot.katalo.client import KataloClient
from bot.ledger.mirror import LedgerMirror
from bot.ledger.spend import SpendQueries
from bot.sandbox import SANDBOX_API_KEY, wire
from bot.sandbox.ledger import SandboxLedger
from bot.services.alerts.runner import AlertRunner
from bot.services.alerts.slack import AlertSlack
from bot.services.alerts.spike import evaluate_spike
from tests.benchmarks.ledger import median_ms, timed_sync
from tests.stand_ins.katalo import KataloDouble
from tests.stand_ins.slack import SlackDouble

CHANNEL = "C0BENCH"
TOKEN = "xoxb-bench"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", default="bench-results/alerts.json")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="katalo-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    ledger = SandboxLedger(events=args.events, now=now)
    noon = datetime.combine(now.date() - timedelta(days=1), clock_time(12), UTC)
    index = ledger.index_at(wire.to_ms(noon), ledger.event_count)
    burst = f"{args.events / 40 * 0.3 * 2:.2f}"  # about twice a day's spend (~$0.30 an event, 40 days)
    ledger.override(index, amount_usd=burst, unit_price_usd=burst, config_fingerprint="cfg_burst")
    rows: dict[str, Any] = {"events": args.events, "database": database_url.split(":")[0]}
    with KataloDouble(ledger) as sandbox, SlackDouble(token=TOKEN) as slack:
        seconds, _, line = timed_sync(sandbox.url, database_url)
        print(line, file=sys.stderr)
        rows["sync_s"] = round(seconds, 1)
        engine = open_database(database_url)
        DigestStore(engine).subscribe(CHANNEL, clock_time(9), ZoneInfo("UTC"), by=None, now=now)
        client = KataloClient(
            sandbox.url, SANDBOX_API_KEY, budget=RequestBudget(100_000), cache=SingleFlightCache(0)
        )
        mirror = LedgerMirror(engine, client)
        store = AlertStore(engine)
        sayer = AlertSlack(
            store,
            AlertSteps(engine),
            WebClient(token=TOKEN, base_url=slack.api_url),
            now=lambda: datetime.now(UTC),
        )
        runner = AlertRunner(store, client, mirror, sayer)
        started = time.perf_counter()
        first = runner.check()
        rows["first_check_ms"] = round((time.perf_counter() - started) * 1000)
        rows["first_check_said"] = sorted(f"{o.kind}:{o.status}" for o in first)
        rows["steady_check_ms_p50"] = round(median_ms(runner.check, args.runs), 1)
        queries = SpendQueries(engine)
        spike = evaluate_spike(
            queries,
            backfilled=True,
            synced_at=datetime.now(UTC),
            params=SpikeParams(),
            now=datetime.now(UTC),
            zone=UTC,
        )
        rows["spike_evaluate_ms_p50"] = round(
            median_ms(
                lambda: evaluate_spike(
                    queries,
                    backfilled=True,
                    synced_at=datetime.now(UTC),
                    params=SpikeParams(),
                    now=datetime.now(UTC),
                    zone=UTC,
                ),
                args.runs,
            ),
            1,
        )
        rows["spike_compose_ms_p50"] = (
            round(median_ms(spike.conditions[0].compose, 3), 1) if spike.conditions else None
        )
        rows["day_events"] = args.events // 40
    for key, value in rows.items():
        print(f"{key:24} {value}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
