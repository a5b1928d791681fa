"""What one slot of the Katalo budget costs: per-process (in memory) against shared (SQLite, PostgreSQL).

    .venv/bin/python -m tests.benchmarks.budget            # ~1 min
    .venv/bin/python -m tests.benchmarks.budget --quick    # fewer acquisitions

Each row is `--acquires` acquisitions of a budget of 120 a minute (the organization's whole limit, the
most the `spent` ring ever holds) on a clock that moves 0.51 s per acquisition, so the window stays
nearly full, as under a steady load. "1 caller": one thread; "4 callers": four threads of one process
taking turns on the row's lock. Figures are milliseconds per acquire (p50, p99), wall time measured
around `acquire`. PostgreSQL is KATALO_TEST_POSTGRES_URL (default 127.0.0.1:5432/test), in a schema of
its own, dropped afterwards. Writes bench-results/budget.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.db.engine import open_database
from bot.katalo.budget import Budget, RequestBudget, as_question
from bot.katalo.shared_budget import SharedBudget
from tests.benchmarks.harness import percentile
from tests.conftest import POSTGRES_URL
from tests.fakes import FakeClock

PER_MINUTE = 120


@contextmanager
def postgres_url() -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def measure(budget: Budget, clock: FakeClock, acquires: int, callers: int) -> list[float]:
    """Milliseconds per acquire, `acquires` in all, shared out among `callers` threads."""
    samples: list[float] = []
    lock = threading.Lock()

    def caller() -> None:
        mine: list[float] = []
        with as_question():
            for _ in range(acquires // callers):
                clock.advance(0.51)
                started = time.perf_counter()
                budget.acquire(max_wait=5)
                mine.append((time.perf_counter() - started) * 1000)
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=caller) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


CLOCK = FakeClock()  # one clock for every row: each row's budget row starts where the last one left it


def row(name: str, make: Callable[[FakeClock], Budget], acquires: int, callers: int) -> dict[str, object]:
    clock = CLOCK
    samples = measure(make(clock), clock, acquires, callers)
    return {
        "budget": name,
        "callers": callers,
        "acquires": len(samples),
        "p50_ms": round(percentile(samples, 50), 3),
        "p99_ms": round(percentile(samples, 99), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acquires", type=int, default=2000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    acquires = 400 if args.quick else args.acquires
    rows = []
    with tempfile.TemporaryDirectory() as folder, postgres_url() as pg_url:
        engines = {
            "shared, SQLite": open_database(f"sqlite:///{Path(folder) / 'budget.db'}"),
            "shared, PostgreSQL": open_database(pg_url),
        }
        for callers in (1, 4):
            rows.append(
                row("per process", lambda c: RequestBudget(PER_MINUTE, clock=c.monotonic), acquires, callers)
            )
            for name, engine in engines.items():

                def make(c: FakeClock, engine=engine) -> Budget:
                    return SharedBudget(engine, PER_MINUTE, clock=c.monotonic, sleep=c.sleep)

                rows.append(row(name, make, acquires, callers))
        for engine in engines.values():
            engine.dispose()
    print(f"{'budget':<20} {'callers':>7} {'acquires':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for r in rows:
        print(f"{r['budget']:<20} {r['callers']:>7} {r['acquires']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8}")
    Path("bench-results").mkdir(exist_ok=True)
    Path("bench-results/budget.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
