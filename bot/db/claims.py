"""Insert-if-absent, the primitive behind every "exactly once" in the bot.

`INSERT ... ON CONFLICT DO NOTHING RETURNING <key>` returns a row only to the insert that won. Its
rowcount cannot be trusted for this: psycopg 3 reports -1 for it on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(engine: Engine) -> Any:
    """The INSERT construct with ON CONFLICT support for this engine's database."""
    return insert_for(engine.dialect.name)


def insert_for(dialect: str) -> Any:
    """The INSERT construct with ON CONFLICT support for a kind of database (`Dialect.name`)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def insert_if_absent(connection: Connection, table: Table, **values: Any) -> bool:
    """Insert the row unless its primary key exists; True only for the insert that created it."""
    insert = dialect_insert(connection.engine)
    key = next(iter(table.primary_key.columns))
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(key)
    return connection.execute(statement).first() is not None
