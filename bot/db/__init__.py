"""The bot's database: engine set-up, exact column types, the schema, and migrations run at start-up.

SQLite by default (a file in the working directory), PostgreSQL when DATABASE_URL says so.
`open_database(url)` returns an engine whose schema is already at the newest version.
"""

from bot.db.engine import open_database

__all__ = ["open_database"]
