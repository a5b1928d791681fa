"""One Katalo request budget for every process on the database.

`katalo_budget` holds a single row (id 1): the start times of the requests of the last 60 s and the
end of the latest 429's pause, read and written under a lock by every process
(bot/katalo/shared_budget.py), so that KATALO_REQUESTS_PER_MINUTE is the bot's total however many
`web` and `clock` processes share DATABASE_URL.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "katalo_budget",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("spent", sa.Text, nullable=False, server_default=""),
        sa.Column("paused_until", sa.Float, nullable=False, server_default="0"),
    )
    op.bulk_insert(table, [{"id": 1, "spent": "", "paused_until": 0.0}])


def downgrade() -> None:
    op.drop_table("katalo_budget")
