"""Engines for SQLite and PostgreSQL, set up so that concurrent processes behave.

SQLite: WAL (readers never block the writer), a 30 s busy timeout, and `BEGIN IMMEDIATE` for every
transaction that may write, since a deferred transaction that reads and then writes fails at once
with "database is locked" when another process wrote in between, whatever the busy timeout.
Read-only work can ask for a plain deferred `BEGIN` with `execution_options(readonly=True)`.
PostgreSQL: pre-ping, so a connection dropped by the server is replaced instead of failing a request.

An operator's mistake in DATABASE_URL (a malformed URL, a server that does not answer, a wrong port,
role, password or database) is a ConfigError: one line naming DATABASE_URL and what is wrong, never
the password, which every entry point prints and exits 2 on.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from bot.config import ConfigError
from bot.db.migrate import upgrade_schema

log = logging.getLogger(__name__)


_EXPECTED = "expected sqlite:///file.db or postgresql://user:password@host:port/database"
_CONNECT_TIMEOUT = 10  # seconds: a black-holed host then fails start-up in 10 s, not the OS's 2 minutes
_INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE for a role lacking rights on the schema


def make_engine(url: str) -> Engine:
    """An engine for `url` (sqlite:///... or postgresql+psycopg://...), without touching the schema.

    Raises ConfigError for a URL that cannot be parsed (such as a port that is not a number).
    """
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False})
        _use_sqlite_transactions(engine)
        return engine
    return create_engine(
        parsed,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        # The URL's own connect_timeout, when it has one, wins.
        connect_args={} if "connect_timeout" in parsed.query else {"connect_timeout": _CONNECT_TIMEOUT},
    )


def open_database(url: str) -> Engine:
    """An engine whose schema has been created or upgraded to the newest version.

    Raises ConfigError when the database cannot be reached or opened with what DATABASE_URL says.
    """
    engine = make_engine(url)
    try:
        upgrade_schema(engine)
    except DBAPIError as error:
        engine.dispose()
        if not _operator_mistake(error):
            raise
        reason = _first_line(error.orig, make_url(url).password)
        raise ConfigError(f"DATABASE_URL could not be opened: {reason}") from None
    return engine


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 -- parsing the port is lazy; a non-numeric one raises here
    except (ArgumentError, ValueError):
        raise ConfigError(f"DATABASE_URL is malformed: {_EXPECTED}") from None
    return parsed


def _operator_mistake(error: DBAPIError) -> bool:
    """Whether the failure is the deployment's (unreachable, refused, unknown role) rather than a bug."""
    if isinstance(error, OperationalError):
        return True
    return getattr(error.orig, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE


def _first_line(driver_error: BaseException | None, password: str | None) -> str:
    """The driver's reason in one short line, with its boilerplate and any password taken out."""
    text = str(driver_error or "unknown error").strip().splitlines()[0] if driver_error else "unknown error"
    text = re.sub(r"^connection failed: ", "", text)
    text = re.sub(r"\s+", " ", text.replace("FATAL:", "")).strip()
    if password:
        text = text.replace(password, "***")
    return text[:200] or "unknown error"


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
