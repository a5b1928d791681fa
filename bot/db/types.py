"""Column types that keep money exact and time timezone-aware on both SQLite and PostgreSQL.

SQLite has no decimal and no timezone type: SQLAlchemy's Numeric goes through float there, and a
DateTime loses its offset. So money is stored as whole micro-dollars (BIGINT, exact on both, and SUM
stays exact; a finer amount is rounded half-even and logged), and time as UTC (naive on SQLite,
timestamptz on PostgreSQL), read back as aware UTC.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)
MICROS_PER_DOLLAR = Decimal(1_000_000)


class MicroDollars(TypeDecorator[Decimal]):
    """A Decimal dollar amount stored as an integer number of micro-dollars."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        micros = value * MICROS_PER_DOLLAR
        whole = micros.to_integral_value(rounding=ROUND_HALF_EVEN)
        if whole != micros:
            # Refusing it would stop every later sync on this one event; a millionth of a dollar is
            # the precision kept, and the rounding is logged so it can be traced.
            log.warning("amount %s has more than 6 decimal places; stored rounded to the micro-dollar", value)
        return int(whole)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else micros_to_dollars(value)


def micros_to_dollars(micros: int | Decimal) -> Decimal:
    """A SUM of MicroDollars column comes back as a plain integer: this turns it into dollars."""
    return (Decimal(micros) / MICROS_PER_DOLLAR).quantize(Decimal("0.000001")).normalize() + Decimal("0.00")


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC, returned aware in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the bot only stores timezone-aware times")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
