"""Writes of the ledger mirror: events upserted with the sync state in one transaction.

- `save_page` inserts a page's events (an `event_id` already stored is left as it is: ledger events
  are immutable, so no stored row ever changes), adds exactly the rows it inserted to the spend
  rollups (bot/db/rollups.py) and the per-job rollups (bot/db/job_rollups.py), and moves the sync
  state on, all in one transaction. A sync killed at any moment therefore leaves a state, events and
  rollups that describe exactly what is stored, and a re-read page (a resumed walk, a restarted
  one) inserts nothing and adds nothing.
- A record the database refuses is set aside with the page (records.py): the page is tried whole,
  and only if that fails row by row, each in a savepoint, so the rest of the page is stored.
- One sync runs at a time (lock.py); the state row names it (`sync_owner`), and every write is
  checked against that name. The lock guards the organization's request budget; correctness does
  not rest on it: upserts are idempotent, and a sync that finds another's name in the row stops
  (OwnershipLost) instead of moving the state backwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Engine, select, type_coerce, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from bot.db.claims import dialect_insert
from bot.db.job_rollups import add_job_events
from bot.db.rollups import add_events, repair_hours
from bot.db.schema import ledger_events, ledger_set_aside, ledger_sync_state
from bot.katalo.models import BillingEvent, PageOrder
from bot.ledger.records import SetAside, set_aside

LEDGER = "billing_events"  # the one ledger mirrored; the key of its sync-state row
_ID_BATCH = 500  # ids per IN list, well under every database's limit on bound parameters


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


@dataclass(frozen=True)
class SavedPage:
    """What storing a page did: how many events were new, and every record of it set aside."""

    new: int
    set_aside: list[SetAside]


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
        events: Sequence[tuple[BillingEvent, Any]],
        now: datetime,
        *,
        aside: Sequence[SetAside] = (),
        **state: Any,
    ) -> SavedPage:
        """Store a page's events (each with its record as received), the records set aside and the new
        sync state atomically. Raises OwnershipLost (and stores nothing) when another sync took over.
        """
        with self.engine.begin() as connection:
            if not self._update_state(connection, owner, state):
                raise OwnershipLost
            refused: list[SetAside] = []
            inserted = self._insert_events(connection, events, now, refused) if events else []
            _add_to_rollups(connection, inserted)
            every_aside = [*aside, *refused]
            if every_aside:
                connection.execute(
                    self._insert(ledger_set_aside).on_conflict_do_nothing(index_elements=["record_key"]),
                    [{**asdict(record), "set_aside_at": now} for record in every_aside],
                )
            return SavedPage(len(inserted), every_aside)

    def refresh_statistics(self, *, vacuum: bool = False) -> None:
        """Have PostgreSQL's planner count the rows again after a large sync: until autovacuum does (and
        where it is off, never), it plans for empty tables and can walk the wrong index of ledger_jobs.
        `vacuum` (once a sync is done) also marks the new pages all-visible, so the spend answers' index-
        only scans stop reading table rows (a month's top jobs on 1,000,000 events: 26.6 ms before, 11.6
        after). SQLite keeps no statistics unless asked, plans the same without them, and has no such map.
        """
        if self.engine.dialect.name != "postgresql":
            return
        tables = "ledger_events, ledger_rollups, ledger_jobs, ledger_job_starts"
        if vacuum:  # VACUUM cannot run inside a transaction block
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql(f"VACUUM (ANALYZE) {tables}")
            return
        with self.engine.begin() as connection:
            connection.exec_driver_sql(f"ANALYZE {tables}")

    def repair_hour_rollups(self) -> list[datetime]:
        """The UTC days whose hour buckets had to be summed again (bot.db.rollups.repair_hours)."""
        with self.engine.begin() as connection:
            return repair_hours(connection)

    def stored_among(self, event_ids: Sequence[str]) -> bool:
        """Whether any of `event_ids` is already stored."""
        with self.engine.connect().execution_options(readonly=True) as connection:
            found = connection.execute(
                select(ledger_events.c.event_id).where(ledger_events.c.event_id.in_(event_ids)).limit(1)
            )
            return found.first() is not None

    def _insert_events(
        self,
        connection: Any,
        events: Sequence[tuple[BillingEvent, Any]],
        now: datetime,
        refused: list[SetAside],
    ) -> list[str]:
        """Insert the page in one statement; if the database refuses it, row by row, setting aside each
        row it refuses (a savepoint each, so the transaction and the rest of the page survive).
        Returns the ids actually inserted (not those already stored)."""
        statement = (
            self._insert(ledger_events)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(ledger_events.c.event_id)
        )
        rows = [_row(event, now) for event, _ in events]
        try:
            with connection.begin_nested():
                return list(connection.execute(statement, rows).scalars())
        except Exception as error:
            if not _refused_by_database(error):
                raise
        new: list[str] = []
        for (_, record), row in zip(events, rows, strict=True):
            try:
                with connection.begin_nested():
                    new.extend(connection.execute(statement, [row]).scalars())
            except Exception as error:
                if not _refused_by_database(error):
                    raise
                refused.append(set_aside(record, f"the database refused it ({_first_line(error)})"))
        return new

    def update_state(self, owner: str, **state: Any) -> None:
        """Move the sync state on without storing events."""
        with self.engine.begin() as connection:
            if not self._update_state(connection, owner, state):
                raise OwnershipLost

    def _update_state(self, connection: Any, owner: str, state: dict[str, Any]) -> bool:
        unknown = set(state) - set(_STATE_FIELDS)
        if unknown:
            raise TypeError(f"unknown sync state fields: {sorted(unknown)}")
        if not state:  # locked all the same: the per-job rollups read, then write (job_rollups.py)
            owner_now = select(ledger_sync_state.c.sync_owner).where(_THIS_LEDGER).with_for_update()
            row = connection.execute(owner_now).one()
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


def _add_to_rollups(connection: Any, event_ids: list[str]) -> None:
    """Add the events just inserted to the rollups, as the database stored them (not as received: a
    page that names one event twice stores it once, and the rollups must count what is stored)."""
    e = ledger_events.c
    facts = select(
        e.created_at,
        e.usage_type,
        e.config_fingerprint,
        e.billable,
        type_coerce(e.amount_usd, BigInteger),
        e.job_id,
    )
    for first in range(0, len(event_ids), _ID_BATCH):
        chunk = event_ids[first : first + _ID_BATCH]
        rows = connection.execute(facts.where(e.event_id.in_(chunk))).all()
        add_events(
            connection,
            [(at, usage, config, billable, micros) for at, usage, config, billable, micros, _ in rows],
        )
        add_job_events(
            connection, [(job, at, usage, config, micros) for at, usage, config, _, micros, job in rows]
        )


def _refused_by_database(error: Exception) -> bool:
    """A value the database cannot hold (as opposed to a lost connection, which must stop the sync)."""
    if isinstance(error, DataError | IntegrityError | OverflowError | ValueError):
        return True
    return isinstance(error, StatementError) and not isinstance(error, DBAPIError)


def _first_line(error: Exception) -> str:
    cause = getattr(error, "orig", None) or error
    return str(cause).strip().split("\n")[0][:200]


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
