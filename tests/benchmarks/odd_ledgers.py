"""Benchmark: `katalo-bot sync` against odd ledgers (issue 16), as an operator runs it.

    .venv/bin/python -m tests.benchmarks.odd_ledgers --events 100000 [--database-url URL]

The sandbox is served from this process; each sync is its own process with the request budget
lifted, on a fresh database. For each ledger it prints how long the sync ran, how many pages it read,
its exit status and its summary line: a clean ledger, one with 1 record in 1,000 poisoned (an amount
of 1e30), and the three ledgers that never end. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.sandbox.ledger import SandboxLedger
from bot.sandbox.pages import Oddity
from bot.sandbox.server import SandboxServer

CASES: list[tuple[str, Oddity | None, int]] = [
    ("clean ledger", None, 0),
    ("1 record in 1,000 with amount 1e30", None, 1000),
    ("the same page under fresh cursors", "repeat_pages", 0),
    ("empty pages with cursors after the end", "empty_pages", 0),
    ("pages going round the ledger again", "wrap_pages", 0),
]


def run_sync(sandbox: SandboxServer, database_url: str) -> tuple[float, int, str]:
    """(seconds, exit status, summary line) of one `katalo-bot sync`."""
    env = {
        **os.environ,
        "KATALO_API_URL": sandbox.url,
        "KATALO_REQUESTS_PER_MINUTE": "10000000",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "ERROR",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "sync"], env=env, capture_output=True, text=True, check=False
    )
    lines = done.stdout.strip().splitlines() or ["(no output)"]
    return time.perf_counter() - started, done.returncode, lines[-1]


def fresh_database(base: str | None, folder: Path) -> str:
    """A new SQLite file, or a new schema in the PostgreSQL database at `base`."""
    if base is None:
        return f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}"
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{base}?options=-csearch_path%3D{schema}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_037)  # not a whole number of pages
    parser.add_argument("--database-url", default=None, help="PostgreSQL base URL (default: SQLite files)")
    args = parser.parse_args()
    print(f"| ledger ({args.events:,} events) | seconds | pages | exit | summary |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        for name, oddity, poison_every in CASES:
            ledger = SandboxLedger(seed=3, events=args.events)
            for i in range(poison_every // 2, args.events, poison_every) if poison_every else ():
                ledger.override(i, amount_usd="1e30")
            with SandboxServer(ledger) as sandbox:
                sandbox.ledger_oddity = oddity
                seconds, status, summary = run_sync(sandbox, fresh_database(args.database_url, Path(folder)))
            found = re.search(r"in ([\d,]+) pages?", summary)
            pages = found.group(1) if found else "?"
            print(f"| {name} | {seconds:.1f} | {pages} | {status} | {summary[:160]} |")


if __name__ == "__main__":
    main()
