"""Resumable catch-up walks (walk_floor), and ids and labels of any length.

A newest-first catch-up now keeps its cursor like the first walk does, with the watermark it must
reach (walk_floor). Event ids, job ids, usage types and fingerprints become unbounded text: an id
longer than the old limit would have stopped every later sync on PostgreSQL. Rows are kept: on
SQLite, Alembic copies the table into its new shape.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WIDENED = ("event_id", "job_id", "usage_type", "config_fingerprint", "source_asset_id")


def upgrade() -> None:
    with op.batch_alter_table("ledger_sync_state") as table:
        table.add_column(sa.Column("walk_floor", sa.DateTime(timezone=True)))
    with op.batch_alter_table("ledger_events") as table:
        for column in WIDENED:
            table.alter_column(column, type_=sa.Text())
