"""The ledger mirror: billing events and the sync state.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen history: plain column types here, never imports from bot.db.schema (which moves on).
aware = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ledger_events",
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("job_id", sa.String(128), nullable=False),
        sa.Column("created_at", aware, nullable=False),
        sa.Column("usage_type", sa.String(64)),
        sa.Column("billable", sa.Boolean),
        sa.Column("unit_price_usd", sa.BigInteger),  # micro-dollars
        sa.Column("amount_usd", sa.BigInteger),  # micro-dollars
        sa.Column("config_fingerprint", sa.String(128)),
        sa.Column("source_asset_id", sa.String(128)),
        sa.Column("stored_at", aware, nullable=False),
    )
    op.create_index("ix_ledger_events_job_id_created_at", "ledger_events", ["job_id", "created_at"])
    op.create_index("ix_ledger_events_created_at", "ledger_events", ["created_at"])
    op.create_table(
        "ledger_sync_state",
        sa.Column("ledger", sa.String(32), primary_key=True),
        sa.Column("page_order", sa.String(16)),
        sa.Column("walk_cursor", sa.String(1024)),
        sa.Column("walk_top", aware),
        sa.Column("complete_through", aware),
        sa.Column("backfill_done", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_success_at", aware),
        sa.Column("last_attempt_at", aware),
        sa.Column("last_error", sa.String(300)),
        sa.Column("sync_owner", sa.String(64)),
        sa.Column("walks_restarted", sa.Integer, nullable=False, server_default="0"),
    )
