"""Alerts a channel gets (issue 13): kinds on or off, snoozes and mutes, money budgets, posted alerts.

- `alert_kinds`: a row per (channel, kind) turned on or off explicitly; no row means the default.
- `alert_silences`: the latest snooze or mute of a kind in a channel (until when, by whom).
- `alert_budgets`: a channel's budget in money, per billing period or calendar month.
- `alert_posts`: each alert message posted, keyed by its condition (kind and key, such as
  "spike:2026-11-23"), with its message ts, its level, acknowledgement and clearing.
- `alert_steps`: the claims behind every post, update and thread reply: whoever inserts the row of
  (channel, alert key, step) first does it, across processes (the digest claims' pattern).

Revision ID: 0010
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

aware = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_kinds",
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("changed_by", sa.String(32), nullable=False),
        sa.Column("changed_at", aware, nullable=False),
    )
    op.create_table(
        "alert_silences",
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("until", aware, nullable=False),
        sa.Column("by_user", sa.String(32), nullable=False),
        sa.Column("at", aware, nullable=False),
    )
    op.create_table(
        "alert_budgets",
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("amount_micros", sa.BigInteger, nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("set_by", sa.String(32), nullable=False),
        sa.Column("set_at", aware, nullable=False),
    )
    op.create_table(
        "alert_posts",
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("alert_key", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=False),
        sa.Column("posted_at", aware, nullable=False),
        sa.Column("headline", sa.String(300), nullable=False),
        sa.Column("level", sa.String(64), nullable=False),
        sa.Column("acknowledged_by", sa.String(32)),
        sa.Column("acknowledged_at", aware),
        sa.Column("cleared_at", aware),
        sa.Index("ix_alert_posts_channel_ts", "channel_id", "message_ts"),
    )
    op.create_table(
        "alert_steps",
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("alert_key", sa.String(128), primary_key=True),
        sa.Column("step", sa.String(64), primary_key=True),
        sa.Column("claim_id", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_at", aware, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("last_error", sa.String(300)),
    )


def downgrade() -> None:
    for table in ("alert_steps", "alert_posts", "alert_budgets", "alert_silences", "alert_kinds"):
        op.drop_table(table)
