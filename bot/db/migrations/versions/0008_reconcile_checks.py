"""The last reconciliation of each billing period: the difference between Katalo's and the mirror's figures.

`/katalo reconcile` compares the summary's `usage.consumed` with the mirror's billable events. Katalo
does not document how the two relate, so the bot does not expect them to be equal: it keeps the last
difference per billing period and flags when it changes between checks.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

aware = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reconcile_checks",
        sa.Column("period_start", aware, primary_key=True),
        sa.Column("difference", sa.Text, nullable=False),
        sa.Column("checked_at", aware, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reconcile_checks")
