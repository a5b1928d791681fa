"""Schema migrations (Alembic), run automatically at start-up, one process at a time.

Processes starting together (two web workers, a clock and a sync) must not race to create the same
tables: on PostgreSQL an advisory lock serializes them, on SQLite the IMMEDIATE transaction does.
Migrations only add or reshape; a change that drops stored events would need a new table and a copy.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = "bot.db:migrations"
_ADVISORY_LOCK_ID = 0x4B41_5441  # "KATA": any constant unique to this app


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Bring the database to the newest schema version (or `revision`); a no-op when it is there."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
