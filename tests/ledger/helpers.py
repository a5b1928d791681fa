"""Building a mirror against a sandbox, and reading back what it stored."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from bot.db.job_rollups import add_job_events
from bot.db.rollups import add_events
from bot.db.schema import ledger_events
from bot.katalo.budget import RequestBudget
from bot.katalo.cache import SingleFlightCache
from bot.katalo.client import KataloClient
from bot.katalo.transport import RetryPolicy
from bot.ledger.mirror import LedgerMirror
from bot.sandbox import SANDBOX_API_KEY
from tests.stand_ins.katalo import KataloDouble

EVENTS_PATH = "/api/v1/billing/events"
# Fast retries, and a budget large enough not to matter: these tests are about the walk.
TEST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05, max_total_wait=1.0, budget_wait=1.0)


def client_for(sandbox: KataloDouble) -> KataloClient:
    return KataloClient(
        sandbox.url,
        SANDBOX_API_KEY,
        budget=RequestBudget(100_000),
        cache=SingleFlightCache(0),
        retry=TEST_RETRY,
    )


def mirror_for(
    engine: Engine, sandbox: KataloDouble, *, page_limit: int = 50, **options: Any
) -> LedgerMirror:
    """A mirror of the sandbox; unless told otherwise its clock is the sandbox's present, which moves
    with appended events (appending 600 events moves it weeks on), so they are never "from the future"."""
    options.setdefault("now", lambda: max(datetime.now(UTC), sandbox.ledger.now))
    return LedgerMirror(engine, client_for(sandbox), page_limit=page_limit, retry=TEST_RETRY, **options)


def stored_ids(engine: Engine) -> Counter[str]:
    """Every stored event id with how often it is stored (a duplicate shows as a count of 2)."""
    with engine.connect() as connection:
        return Counter(connection.execute(select(ledger_events.c.event_id)).scalars())


def ledger_ids(sandbox: KataloDouble) -> Counter[str]:
    return Counter(event["event_id"] for event in sandbox.ledger.iter_events())


def insert_events(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Store event rows as the sync does: into ledger_events, and added to both kinds of rollups."""
    connection.execute(insert(ledger_events), rows)
    micros = [None if r["amount_usd"] is None else int(r["amount_usd"] * 1_000_000) for r in rows]
    facts = [(r["created_at"], r["usage_type"], r["config_fingerprint"], r["billable"]) for r in rows]
    add_events(connection, [(*fact, m) for fact, m in zip(facts, micros, strict=True)])
    add_job_events(
        connection,
        [
            (r["job_id"], r["created_at"], r["usage_type"], r["config_fingerprint"], m)
            for r, m in zip(rows, micros, strict=True)
        ],
    )
