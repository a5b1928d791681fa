"""Spend rollups, backfilled from the events already stored.

`ledger_rollups` sums the events per UTC bucket (15 minutes and one day) and (usage type, config
fingerprint, billable); from now on the sync adds to it in the transaction that stores the events
(bot/db/rollups.py, which this backfill reuses so both agree on what a bucket is). The backfill
reads the events in time order, a batch at a time, so its memory stays bounded on a large mirror.

Distinct jobs and the breakdown by job cannot be summed from buckets; the index on `created_at`
becomes (created_at, job_id, amount_usd), so they read a window from the index alone.

Revision ID: 0006
Revises: 0005
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from bot.db.rollups import add_events

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BATCH = 20_000


def upgrade() -> None:
    op.create_table(
        "ledger_rollups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("span_minutes", sa.Integer, nullable=False),
        sa.Column("bucket_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("usage_type", sa.Text),
        sa.Column("config_fingerprint", sa.Text),
        sa.Column("billable", sa.Boolean),
        sa.Column("amount_micros", sa.BigInteger, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
    )
    op.create_index("ix_ledger_rollups_span_bucket", "ledger_rollups", ["span_minutes", "bucket_start"])
    _backfill(op.get_bind())
    op.create_index(
        "ix_ledger_events_created_at_job_amount", "ledger_events", ["created_at", "job_id", "amount_usd"]
    )
    op.drop_index("ix_ledger_events_created_at", table_name="ledger_events")


def _backfill(connection: sa.Connection) -> None:
    events = sa.table(
        "ledger_events",
        sa.column("event_id", sa.Text),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("usage_type", sa.Text),
        sa.column("config_fingerprint", sa.Text),
        sa.column("billable", sa.Boolean),
        sa.column("amount_usd", sa.BigInteger),  # stored as micro-dollars
    )
    c = events.c
    query = sa.select(c.created_at, c.usage_type, c.config_fingerprint, c.billable, c.amount_usd)
    # Keyset pages in time order: each batch touches few buckets, and no cursor stays open on SQLite.
    after: tuple[object, str] | None = None
    while True:
        page = query.add_columns(c.event_id).order_by(c.created_at, c.event_id).limit(_BATCH)
        if after is not None:
            page = page.where(sa.tuple_(c.created_at, c.event_id) > after)
        rows = connection.execute(page).all()
        if not rows:
            return
        add_events(connection, [(_aware(r[0]), r[1], r[2], r[3], r[4]) for r in rows])
        after = (rows[-1][0], rows[-1][5])


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
