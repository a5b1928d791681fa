"""Engines for SQLite and PostgreSQL, set up so that concurrent processes behave.

SQLite: WAL (readers never block the writer), a 30 s busy timeout, and `BEGIN IMMEDIATE` for every
transaction that may write, since a deferred transaction that reads and then writes fails at once
with "database is locked" when another process wrote in between, whatever the busy timeout.
Read-only work can ask for a plain deferred `BEGIN` with `execution_options(readonly=True)`.
PostgreSQL: pre-ping, so a connection dropped by the server is replaced instead of failing a request.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url

from bot.db.migrate import upgrade_schema

log = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    """An engine for `url` (sqlite:///... or postgresql+psycopg://...), without touching the schema."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False})
        _use_sqlite_transactions(engine)
        return engine
    return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)


def open_database(url: str) -> Engine:
    """An engine whose schema has been created or upgraded to the newest version."""
    engine = make_engine(url)
    upgrade_schema(engine)
    return engine


def _use_sqlite_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (SQLAlchemy's
        # documented recipe), so that BEGIN IMMEDIATE below is the statement that starts them.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        readonly = connection.get_execution_options().get("readonly", False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")
