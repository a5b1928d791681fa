"""Alembic's entry: runs migrations on the connection `bot.db.migrate` hands over, in its transaction."""

from alembic import context

connection = context.config.attributes["connection"]
# render_as_batch: SQLite cannot ALTER most things, so Alembic rebuilds tables there (copying rows).
context.configure(connection=connection, render_as_batch=True, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
