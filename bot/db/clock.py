"""The time every process on one database agrees on: the PostgreSQL server's clock, or this machine's.

Rows that several processes compare with "now" (the request budget's window, the shared cache's
freshness and leases) are written and read on this clock. PostgreSQL's is one clock for every
machine, read after any row lock was granted; SQLite's processes share a machine, hence its clock.
"""

from __future__ import annotations

import time

from sqlalchemy import Connection, func, select


def database_time(connection: Connection) -> float:
    """Seconds since the epoch on the clock the database's processes share."""
    if connection.dialect.name == "postgresql":
        return float(connection.execute(select(func.extract("epoch", func.clock_timestamp()))).scalar_one())
    return time.time()
