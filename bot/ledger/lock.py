"""One ledger sync at a time, across processes and machines, released the moment its holder dies.

A time-based lease would leave a killed sync's lease in force until it expired, and every sync in
between would do nothing. These locks belong to a live process instead:
- PostgreSQL: a session advisory lock, held on a connection of its own; the server drops it when
  that connection ends, cleanly or not. Its key is derived from the schema, so two deployments (or
  test schemas) in one database do not block each other.
- SQLite: `flock` on a file beside the database, which the kernel releases when the process exits.
"""

from __future__ import annotations

import fcntl
import os
from typing import IO, Any

from sqlalchemy import Engine, text

_PG_KEY = text("SELECT hashtext(current_schema() || '/katalo-ledger-sync')")
_PG_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_PG_UNLOCK = text("SELECT pg_advisory_unlock(:key)")


class SyncLock:
    """A non-blocking, process-lifetime lock for one database's ledger sync."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._held: Any = None

    def try_acquire(self) -> bool:
        """Take the lock if no live process holds it; True on success. Never waits."""
        if self._engine.dialect.name == "postgresql":
            return self._try_postgres()
        return self._try_file()

    def release(self) -> None:
        held, self._held = self._held, None
        if held is None:
            return
        if self._engine.dialect.name == "postgresql":
            connection, key = held
            # Closing a pooled connection keeps its session (and the lock) alive: unlock explicitly.
            connection.execute(_PG_UNLOCK, {"key": key})
            connection.commit()
            connection.close()
        else:
            fcntl.flock(held, fcntl.LOCK_UN)
            held.close()

    def _try_postgres(self) -> bool:
        connection = self._engine.connect()
        try:
            key = connection.execute(_PG_KEY).scalar_one()
            acquired = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
            ).scalar_one()
            connection.commit()  # leave no transaction open on the held connection
        except Exception:
            connection.close()
            raise
        if not acquired:
            connection.close()
            return False
        self._held = (connection, key)
        return True

    def _try_file(self) -> bool:
        database = self._engine.url.database
        if not database or database == ":memory:":
            return True  # a private in-memory database has no second process to exclude
        handle: IO[bytes] = open(f"{os.path.abspath(database)}.sync-lock", "ab")  # noqa: SIM115 -- held
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._held = handle
        return True
