"""The last reconciliation's difference per billing period (table reconcile_checks).

`/katalo reconcile` reads the previous difference, then records its own: one row per billing period,
replaced by each check, so a change between two checks can be flagged. The digest's Health line only
reads it (`last`): the full check, with its re-read ledger pages, stays the one that records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from bot.db.schema import reconcile_checks


@dataclass(frozen=True)
class LastCheck:
    difference: Decimal
    checked_at: datetime


class ReconcileChecks:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def last(self, period_start: datetime) -> LastCheck | None:
        """The difference the last check of this billing period recorded, if any (read only)."""
        table = reconcile_checks
        with self._engine.connect() as connection:
            row = connection.execute(
                select(table.c.difference, table.c.checked_at).where(table.c.period_start == period_start)
            ).first()
        return LastCheck(Decimal(row.difference), row.checked_at) if row else None

    def swap(self, period_start: datetime, difference: Decimal, now: datetime) -> LastCheck | None:
        """Record this check's difference for the period; the one recorded before it, if any.

        Two checks of a period never recorded before may both insert at once; the one that loses the
        race (a unique violation) runs again and then sees the winner's row.
        """
        try:
            return self._swap(period_start, difference, now)
        except IntegrityError:
            return self._swap(period_start, difference, now)

    def _swap(self, period_start: datetime, difference: Decimal, now: datetime) -> LastCheck | None:
        table = reconcile_checks
        with self._engine.begin() as connection:
            row = connection.execute(
                select(table.c.difference, table.c.checked_at).where(table.c.period_start == period_start)
            ).first()
            connection.execute(delete(table).where(table.c.period_start == period_start))
            connection.execute(
                insert(table).values(period_start=period_start, difference=str(difference), checked_at=now)
            )
        return LastCheck(Decimal(row.difference), row.checked_at) if row else None
