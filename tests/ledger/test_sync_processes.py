"""`katalo-bot sync` as real processes: two at once, and one killed mid-walk then restarted.

The kill comes at a known point: the sandbox holds a page (a Gate) while the victim waits for it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from sqlalchemy import func, select

from bot.db.schema import ledger_events
from bot.sandbox.ledger import SandboxLedger
from tests.conftest import NOW
from tests.fakes import Gate
from tests.ledger.helpers import ledger_ids, stored_ids


def start_sync(sandbox_url: str, database_url: str) -> subprocess.Popen[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KATALO_", "DATABASE_"))},
        "KATALO_API_URL": sandbox_url,
        "KATALO_REQUESTS_PER_MINUTE": "100000",
        "DATABASE_URL": database_url,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "sync"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stored_count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(ledger_events)).scalar_one()


def test_two_sync_processes_at_once_store_every_event_once(engine, database_url, start_sandbox):
    """Two `katalo-bot sync` processes started together both succeed; every event is stored once."""
    sandbox = start_sandbox(SandboxLedger(seed=9, events=3000, now=NOW))
    sandbox.latency = 0.01
    processes = [start_sync(sandbox.url, database_url) for _ in range(2)]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert stored_ids(engine) == ledger_ids(sandbox)


def test_sync_killed_mid_walk_resumes_at_once_and_completes(engine, database_url, start_sandbox):
    """SIGKILL during a sync loses nothing; a restart is not blocked by the dead one and finishes."""
    gate = Gate(free=5)  # five pages of 100 are answered, then Katalo holds the sixth
    sandbox = start_sandbox(SandboxLedger(seed=9, events=3000, now=NOW), sleep=gate.sleep)
    sandbox.latency = 0.03  # acted out by the gate
    victim = start_sync(sandbox.url, database_url)
    try:
        gate.wait_held(timeout=30)  # the victim is mid-walk, waiting for its sixth page
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    finally:
        gate.open()
    stored_when_killed = stored_count(engine)
    assert stored_when_killed == 500  # the five pages answered, each stored as it came
    sandbox.latency = 0
    survivor = start_sync(sandbox.url, database_url)
    out, err = survivor.communicate(timeout=60)
    assert survivor.returncode == 0, err
    assert "The mirror is up to date." in out
    assert stored_ids(engine) == ledger_ids(sandbox)
