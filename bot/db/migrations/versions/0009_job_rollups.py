"""Per-job rollups, backfilled from the events already stored.

`ledger_jobs` holds, per job and per job and usage type, config or both, the first and last event's
time, the amount and the count; from now on the sync adds to it in the transaction that stores the
events (bot/db/job_rollups.py, which this backfill reuses so both agree on what a row holds).
Distinct jobs and the top jobs of a long window are read from it instead of from every event in the
window. The backfill reads the events a batch at a time, so its memory stays bounded; a job whose
events fall in two batches is completed by the second batch's upsert.

`ledger_job_starts` counts those rows per UTC day of their first event (kept by the same code), so a
long window's jobs are summed, not counted row by row. The bucket rollups' index on (span, bucket
start) becomes one holding every column, so a window's buckets are summed from the index alone.

Revision ID: 0009
Revises: 0008
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from bot.db.job_rollups import add_job_events

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BATCH = 20_000


def upgrade() -> None:
    op.create_table(
        "ledger_jobs",
        sa.Column("job_id", sa.Text, primary_key=True),
        sa.Column("scope", sa.Integer, primary_key=True),
        sa.Column("usage_type", sa.Text, primary_key=True),
        sa.Column("config_fingerprint", sa.Text, primary_key=True),
        sa.Column("first_us", sa.BigInteger, nullable=False),
        sa.Column("last_us", sa.BigInteger, nullable=False),
        sa.Column("span_class", sa.Integer, nullable=False),
        sa.Column("amount_micros", sa.BigInteger, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
    )
    op.create_table(
        "ledger_job_starts",
        sa.Column("scope", sa.Integer, primary_key=True),
        sa.Column("usage_type", sa.Text, primary_key=True),
        sa.Column("config_fingerprint", sa.Text, primary_key=True),
        sa.Column("day_us", sa.BigInteger, primary_key=True),
        sa.Column("jobs", sa.Integer, nullable=False),
    )
    _backfill(op.get_bind())
    # The bucket rollups get an index holding every column: a window is summed from the index alone.
    op.create_index(
        "ix_ledger_rollups_covering",
        "ledger_rollups",
        [
            "span_minutes",
            "bucket_start",
            "usage_type",
            "config_fingerprint",
            "billable",
            "amount_micros",
            "events",
        ],
    )
    op.drop_index("ix_ledger_rollups_span_bucket", table_name="ledger_rollups")
    key = ["scope", "usage_type", "config_fingerprint"]
    op.create_index("ix_ledger_jobs_window", "ledger_jobs", [*key, "first_us", "last_us"])
    op.create_index("ix_ledger_jobs_span", "ledger_jobs", [*key, "span_class", "first_us"])
    largest: list[str | sa.TextClause] = [
        sa.text("amount_micros DESC"),
        "job_id",
        "first_us",
        "last_us",
        "events",
    ]
    op.create_index("ix_ledger_jobs_amount", "ledger_jobs", [*key, *largest])


def downgrade() -> None:
    op.drop_table("ledger_job_starts")
    op.create_index("ix_ledger_rollups_span_bucket", "ledger_rollups", ["span_minutes", "bucket_start"])
    op.drop_index("ix_ledger_rollups_covering", table_name="ledger_rollups")
    op.drop_table("ledger_jobs")


def _backfill(connection: sa.Connection) -> None:
    events = sa.table(
        "ledger_events",
        sa.column("event_id", sa.Text),
        sa.column("job_id", sa.Text),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("usage_type", sa.Text),
        sa.column("config_fingerprint", sa.Text),
        sa.column("amount_usd", sa.BigInteger),  # stored as micro-dollars
    )
    c = events.c
    query = sa.select(c.job_id, c.created_at, c.usage_type, c.config_fingerprint, c.amount_usd, c.event_id)
    # Keyset pages by the primary key, so no cursor stays open on SQLite.
    after: str | None = None
    while True:
        page = query.order_by(c.event_id).limit(_BATCH)
        if after is not None:
            page = page.where(c.event_id > after)
        rows = connection.execute(page).all()
        if not rows:
            return
        add_job_events(connection, [(r[0], _aware(r[1]), r[2], r[3], r[4]) for r in rows])
        after = rows[-1][5]


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
