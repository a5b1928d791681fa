"""Writes of the ledger mirror: events upserted with the sync state in one transaction.

- `save_page` inserts a page's events (an `event_id` already stored is left as it is: ledger events
  are immutable) and moves the sync state on, in the same transaction. A sync killed at any moment
  therefore leaves a state that describes exactly what is stored.
- One sync runs at a time (lock.py); the state row names it (`sync_owner`), and every write is
  checked against that name. The lock guards the organization's request budget; correctness does
  not rest on it: upserts are idempotent, and a sync that finds another's name in the row stops
  (OwnershipLost) instead of moving the state backwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from bot.db.claims import dialect_insert
from bot.db.schema import ledger_events, ledger_sync_state
from bot.katalo.models import BillingEvent, PageOrder

LEDGER = "billing_events"  # the one ledger mirrored; the key of its sync-state row


class OwnershipLost(Exception):
    """Another sync has taken over the state row: this one stops without writing."""


@dataclass(frozen=True)
class SyncState:
    page_order: PageOrder | None = None
    walk_cursor: str | None = None
    walk_top: datetime | None = None
    walk_floor: datetime | None = None
    complete_through: datetime | None = None
    backfill_done: bool = False
    last_success_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_error: str | None = None
    sync_owner: str | None = None
    walks_restarted: int = 0


_STATE_FIELDS = tuple(f.name for f in fields(SyncState))
_THIS_LEDGER = ledger_sync_state.c.ledger == LEDGER


class LedgerStore:
    """The mirror's tables: events and sync state."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = dialect_insert(engine)
        self._ensure_state_row()

    def state(self) -> SyncState:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(ledger_sync_state).where(ledger_sync_state.c.ledger == LEDGER)
            ).one()
        return SyncState(**{name: row._mapping[name] for name in _STATE_FIELDS})

    def take_ownership(self, owner: str, now: datetime) -> None:
        """Name `owner` as the running sync (call with the sync lock held)."""
        with self.engine.begin() as connection:
            connection.execute(
                update(ledger_sync_state).where(_THIS_LEDGER).values(sync_owner=owner, last_attempt_at=now)
            )

    def give_up_ownership(self, owner: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(ledger_sync_state)
                .where(_THIS_LEDGER, ledger_sync_state.c.sync_owner == owner)
                .values(sync_owner=None)
            )

    def save_page(
        self,
        owner: str,
        events: Iterable[BillingEvent],
        now: datetime,
        **state: Any,
    ) -> int:
        """Store a page's events and the new sync state atomically; returns how many events were new.

        Raises OwnershipLost (and stores nothing) when another sync has taken over.
        """
        rows = [_row(event, now) for event in events]
        with self.engine.begin() as connection:
            if not self._update_state(connection, owner, state):
                raise OwnershipLost
            if not rows:
                return 0
            statement = (
                self._insert(ledger_events)
                .on_conflict_do_nothing(index_elements=["event_id"])
                .returning(ledger_events.c.event_id)
            )
            return len(connection.execute(statement, rows).all())

    def update_state(self, owner: str, **state: Any) -> None:
        """Move the sync state on without storing events."""
        with self.engine.begin() as connection:
            if not self._update_state(connection, owner, state):
                raise OwnershipLost

    def _update_state(self, connection: Any, owner: str, state: dict[str, Any]) -> bool:
        unknown = set(state) - set(_STATE_FIELDS)
        if unknown:
            raise TypeError(f"unknown sync state fields: {sorted(unknown)}")
        if not state:
            row = connection.execute(select(ledger_sync_state.c.sync_owner).where(_THIS_LEDGER)).one()
            return bool(row.sync_owner == owner)
        result = connection.execute(
            update(ledger_sync_state)
            .where(_THIS_LEDGER, ledger_sync_state.c.sync_owner == owner)
            .values(**state)
        )
        return bool(result.rowcount == 1)

    def _ensure_state_row(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                self._insert(ledger_sync_state)
                .values(ledger=LEDGER, backfill_done=False, walks_restarted=0)
                .on_conflict_do_nothing(index_elements=["ledger"])
            )


def _row(event: BillingEvent, stored_at: datetime) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "job_id": event.job_id,
        "created_at": event.created_at,
        "usage_type": event.usage_type,
        "billable": event.billable,
        "unit_price_usd": event.unit_price_usd,
        "amount_usd": event.amount_usd,
        "config_fingerprint": event.config_fingerprint,
        "source_asset_id": event.source_asset_id,
        "stored_at": stored_at,
    }
