"""One Katalo cache for every process on the database.

`katalo_cache` holds, per cached key (the usage summary), the last good value as JSON with the time
it was fetched and stored, and the lease of the process fetching it now (bot/katalo/shared_cache.py),
so a burst of questions spread over several `web` processes costs one request to Katalo.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "katalo_cache",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text),
        sa.Column("fetched_at", sa.DateTime(timezone=True)),
        sa.Column("stored_at", sa.Float),
        sa.Column("holder", sa.String(64)),
        sa.Column("lease_until", sa.Float, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("katalo_cache")
