"""All benchmarks, one after the other: `.venv/bin/python -m tests.benchmarks [--quick]`.

Each suite runs in its own process (so one's memory does not weigh on the other's figures), prints
its table and writes its JSON under bench-results/.
"""

from __future__ import annotations

import subprocess
import sys

SUITES = [
    ["tests.benchmarks.serve"],
    ["tests.benchmarks.ledger", "--events", "1000000", "--json", "bench-results/ledger-sqlite.json"],
    ["tests.benchmarks.charts", "--candidates"],  # candidates that are not installed are skipped
    ["tests.benchmarks.backtest", "--grid"],  # the spike rule over 20 seeds of 180-day ledgers
    ["tests.benchmarks.instances"],  # 3 `serve`, `clock` and `sync` on PostgreSQL: about 2 minutes
]


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    for suite in SUITES:
        args = [*suite, "--quick"] if quick and suite[0].endswith("serve") else list(suite)
        if quick and suite[0].endswith("ledger"):
            args = [suite[0], "--events", "20000", "--json", "bench-results/ledger-quick.json"]
        print(f"\n=== {' '.join(args)}", flush=True)
        status = subprocess.run([sys.executable, "-m", *args], check=False).returncode
        if status != 0:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
