"""Benchmark of `/katalo export`: a period of N ledger events exported, gzipped and uploaded (issue 12).

    .venv/bin/python -m tests.benchmarks.export --events 1000000 [--database-url URL]

Builds the mirror as tests/benchmarks/ledger.py does (the sandbox served from this process, `katalo-bot
sync` as its own process), then runs the export service (bot.services.export: the mirror's freshness
check, the streamed query, the CSV, gzip, conversations.open and files_upload_v2 against the Slack
stand-in served from this process) in a child process, so its wall time and peak RSS (wait4) are the
export's own. Prints a table and writes it as JSON. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.sandbox import slack as slack_standin
from bot.sandbox.ledger import SandboxLedger
from tests.benchmarks.ledger import print_table, timed_sync
from tests.stand_ins.katalo import KataloDouble

USER = "U0BENCH"
PERIOD = "last 60 days"  # the sandbox's ledger spans the 40 days before now: every event


def child(database_url: str, katalo_url: str, slack_url: str) -> None:
    """The export as the bot runs it; prints the private answer and the seconds it took."""
    from slack_sdk import WebClient

    from bot.db import open_database
    from bot.katalo.budget import RequestBudget
    from bot.katalo.cache import SingleFlightCache
    from bot.katalo.client import KataloClient
    from bot.ledger.mirror import LedgerMirror
    from bot.parsing import ExportIntent, parse_command
    from bot.sandbox import SANDBOX_API_KEY
    from bot.services.export import LedgerExports

    intent = parse_command(f"export {PERIOD}")
    assert isinstance(intent, ExportIntent)
    budget, cache = RequestBudget(1000), SingleFlightCache(60)
    client = KataloClient(katalo_url, SANDBOX_API_KEY, budget=budget, cache=cache)
    exports = LedgerExports(
        client, LedgerMirror(open_database(database_url), client), WebClient(base_url=slack_url, timeout=300)
    )
    started = time.perf_counter()
    answer = exports.send(intent, USER)
    print(json.dumps({"seconds": time.perf_counter() - started, "answer": answer["text"]}))


def timed_export(database_url: str, katalo_url: str, slack_url: str) -> tuple[dict[str, Any], int]:
    """Run the export in its own process: (what it printed, peak RSS in MB)."""
    urls = [database_url, katalo_url, slack_url]
    command = [sys.executable, "-m", "tests.benchmarks.export", "--child", *urls]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env={**os.environ, "LOG_LEVEL": "WARNING"})
    _, status, usage = os.wait4(process.pid, 0)
    output = process.stdout.read().decode() if process.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"export failed: {output}")
    return json.loads(output.strip().splitlines()[-1]), usage.ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", default="bench-results/export.json")
    parser.add_argument("--child", nargs=3, metavar=("DATABASE_URL", "KATALO_URL", "SLACK_URL"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    workdir = Path(tempfile.mkdtemp(prefix="katalo-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    rows: dict[str, Any] = {"events": args.events, "database": database_url.split(":")[0]}
    # Slack takes files up to 1 GB; the stand-in's body limit is sized for messages, so lift it here.
    slack_standin.MAX_BODY = 1 << 30
    with KataloDouble(SandboxLedger(events=args.events)) as sandbox, slack_standin.SlackStandIn() as slack:
        seconds, _, line = timed_sync(sandbox.url, database_url)
        print(line, file=sys.stderr)
        rows["mirror_build_s"] = round(seconds, 1)
        result, rss = timed_export(database_url, sandbox.url, slack.api_url)
        [shared] = slack.uploads()
    csv_bytes = gzip.decompress(shared.data) if shared.filename.endswith(".gz") else shared.data
    rows.update(
        export_s=round(result["seconds"], 1),
        export_peak_rss_mb=rss,
        file=shared.filename,
        file_mb=round(len(shared.data) / 1e6, 1),
        csv_mb=round(len(csv_bytes) / 1e6, 1),
        csv_rows=csv_bytes.count(b"\r\n") - 1,
        comment=shared.initial_comment,
    )
    print_table(rows)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
