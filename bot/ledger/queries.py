"""Questions the rest of the bot asks the ledger mirror: a job's events, a window's totals, top jobs.

Windows are half-open, [start, end), in aware datetimes. Money comes back exact: amounts are summed
as integer micro-dollars in SQL and turned into Decimal dollars here. Reads run in deferred
(read-only) transactions, so on SQLite they never queue behind a sync's writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Engine, Select, func, select, tuple_, type_coerce

from bot.db.schema import ledger_events, ledger_set_aside
from bot.db.types import micros_to_dollars
from bot.figures import JobTotal, Tally, WindowTotals
from bot.katalo.models import BillingEvent
from bot.ledger.records import SetAside

_EVENT_COLUMNS = [column for column in ledger_events.c if column.name != "stored_at"]
# Summed as raw integers (not through MicroDollars' conversion), then turned into dollars once.
_amount_micros = func.coalesce(func.sum(type_coerce(ledger_events.c.amount_usd, BigInteger)), 0)


_NEWEST_FIRST = (ledger_events.c.created_at.desc(), ledger_events.c.event_id.desc())
_OLDEST_FIRST = (ledger_events.c.created_at, ledger_events.c.event_id)
Position = tuple[datetime, str]  # (created_at, event_id) of an event: where a page of events ends


class LedgerQueries:
    """Read-only queries over the mirrored ledger."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def events_of_job(self, job_id: str) -> list[BillingEvent]:
        """Every stored event of one job, oldest first."""
        query = select(*_EVENT_COLUMNS).where(ledger_events.c.job_id == job_id)
        return self._events(query.order_by(ledger_events.c.created_at, ledger_events.c.event_id))

    def events_between(
        self, start: datetime, end: datetime, *, limit: int | None = None
    ) -> list[BillingEvent]:
        """Events created in [start, end), newest first."""
        query = select(*_EVENT_COLUMNS).where(_within(start, end))
        query = query.order_by(ledger_events.c.created_at.desc(), ledger_events.c.event_id.desc()).limit(
            limit
        )
        return self._events(query)

    def latest_events(
        self,
        limit: int,
        *,
        before: Position | None = None,
        after: Position | None = None,
        inclusive: bool = False,
    ) -> list[BillingEvent]:
        """Newest first: the newest `limit` events, or those just older or just newer than a position.

        Keyset paging on (created_at, event_id): stable while new events arrive, and each page is one
        index range scan however deep the reader pages.
        """
        key = tuple_(ledger_events.c.created_at, ledger_events.c.event_id)
        query = select(*_EVENT_COLUMNS)
        if after is not None:
            ascending = query.where(key > tuple_(*after)).order_by(*_OLDEST_FIRST).limit(limit)
            return list(reversed(self._events(ascending)))
        if before is not None:
            query = query.where(key <= tuple_(*before) if inclusive else key < tuple_(*before))
        return self._events(query.order_by(*_NEWEST_FIRST).limit(limit))

    def totals(self, start: datetime, end: datetime) -> WindowTotals:
        """Counts and exact amounts in [start, end): overall, by usage type and by billable."""
        by_type = self._grouped(ledger_events.c.usage_type, start, end)
        by_billable = self._grouped(ledger_events.c.billable, start, end)
        overall = Tally(
            sum(t.events for t in by_type.values()),
            sum((t.amount_usd for t in by_type.values()), Decimal("0.00")),
        )
        return WindowTotals(start, end, overall, by_type, by_billable)

    def top_jobs(self, start: datetime, end: datetime, *, limit: int = 5) -> list[JobTotal]:
        """The jobs with the largest amounts in [start, end), largest first (ties by job id)."""
        amount = _amount_micros.label("amount")
        query = (
            select(ledger_events.c.job_id, func.count().label("events"), amount)
            .where(_within(start, end))
            .group_by(ledger_events.c.job_id)
            .order_by(amount.desc(), ledger_events.c.job_id)
            .limit(limit)
        )
        return [JobTotal(row.job_id, row.events, micros_to_dollars(row.amount)) for row in self._rows(query)]

    def job_count(self, start: datetime, end: datetime) -> int:
        """Distinct jobs with at least one event in [start, end)."""
        query = select(func.count(ledger_events.c.job_id.distinct())).where(_within(start, end))
        return int(self._rows(query)[0][0])

    def fingerprints(self, start: datetime | None = None, end: datetime | None = None) -> dict[str, int]:
        """Distinct config fingerprints with their event counts, most used first."""
        count = func.count().label("events")
        query = select(ledger_events.c.config_fingerprint, count).where(
            ledger_events.c.config_fingerprint.is_not(None)
        )
        if start is not None and end is not None:
            query = query.where(_within(start, end))
        query = query.group_by(ledger_events.c.config_fingerprint).order_by(count.desc())
        return {row.config_fingerprint: row.events for row in self._rows(query)}

    def event_count(self) -> int:
        return int(self._rows(select(func.count()).select_from(ledger_events))[0][0])

    def set_aside_count(self) -> int:
        """Ledger records kept aside because they could not be stored (records.py): for health lines
        and reconciling the mirror with Katalo's figures."""
        return int(self._rows(select(func.count()).select_from(ledger_set_aside))[0][0])

    def set_aside_records(self, limit: int = 20) -> list[SetAside]:
        """The records set aside, most recent first, as kept: raw JSON text and reason."""
        columns = (ledger_set_aside.c.record_key, ledger_set_aside.c.event_id, ledger_set_aside.c.reason)
        query = select(*columns, ledger_set_aside.c.raw).order_by(
            ledger_set_aside.c.set_aside_at.desc(), ledger_set_aside.c.record_key
        )
        return [SetAside(*row) for row in self._rows(query.limit(limit))]

    def _grouped(self, column: Any, start: datetime, end: datetime) -> dict[Any, Tally]:
        query = (
            select(column.label("key"), func.count().label("events"), _amount_micros.label("amount"))
            .where(_within(start, end))
            .group_by(column)
        )
        return {row.key: Tally(row.events, micros_to_dollars(row.amount)) for row in self._rows(query)}

    def _events(self, query: Select[Any]) -> list[BillingEvent]:
        return [BillingEvent.model_validate(dict(row._mapping)) for row in self._rows(query)]

    def _rows(self, query: Select[Any]) -> Sequence[Any]:
        with self.engine.connect().execution_options(readonly=True) as connection:
            return connection.execute(query).all()


def _within(start: datetime, end: datetime) -> Any:
    return (ledger_events.c.created_at >= start) & (ledger_events.c.created_at < end)
