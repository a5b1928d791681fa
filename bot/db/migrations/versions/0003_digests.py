"""Digest subscriptions, one claim per channel and local date, and alert claims.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

aware = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "digest_subscriptions",
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("local_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_by", sa.String(32)),
        sa.Column("created_at", aware, nullable=False),
        sa.Column("failing_since", aware),
        sa.Column("last_error", sa.String(300)),
    )
    op.create_table(
        "digest_claims",
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("local_date", sa.Date, primary_key=True),
        sa.Column("claim_id", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_at", aware, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("posted_at", aware),
        sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_error", sa.String(300)),
    )
    op.create_table(
        "alert_claims",
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("period_start", aware, primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("claimed_at", aware, nullable=False),
        sa.Column("message_ts", sa.String(32)),
    )
