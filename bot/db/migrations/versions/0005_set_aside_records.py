"""Records set aside, and cursors of any length.

`ledger_set_aside` keeps, verbatim, each ledger record the mirror could not store (an amount outside
the documented range, a field the database cannot hold, a record of the wrong shape) with the reason,
so one odd record neither stops every sync nor is lost. `walk_cursor` becomes unbounded text: a
cursor longer than 1,024 characters stopped every sync on PostgreSQL. Rows are kept (see 0004).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_set_aside",
        sa.Column("record_key", sa.String(64), primary_key=True),  # sha256 of the record as received
        sa.Column("event_id", sa.Text),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("ledger_sync_state") as table:
        table.alter_column("walk_cursor", type_=sa.Text())
