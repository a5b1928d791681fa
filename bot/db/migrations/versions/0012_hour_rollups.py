"""Hour rollups, summed from the quarter-hour rollups already stored.

A local day starts at a local midnight, rarely a UTC one: a spend answer by day corrects each UTC-day
bucket by the stretch between the two midnights. Read in quarter hours, 400 days of Europe/Berlin
took 2,400 buckets; in hours it takes about 600. From now on the sync adds to the hour span as to the
others (bot/db/rollups.py, which this reuses so both agree on what a bucket is).

Each hour row is the sum of its four quarter rows (same usage type, config and billable flag), so it
equals the sum of its events without reading them. Hour rows already there are dropped first: the
backfill of revision 0006 runs today's code, which writes hours too, and they would count twice.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from bot.db.rollups import HOUR, QUARTER, add_sums, hours_of, minutes

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_BATCH = 20_000
_ROLLUPS = sa.table(
    "ledger_rollups",
    sa.column("id", sa.Integer),
    sa.column("span_minutes", sa.Integer),
    sa.column("bucket_start", sa.DateTime(timezone=True)),
    sa.column("usage_type", sa.Text),
    sa.column("config_fingerprint", sa.Text),
    sa.column("billable", sa.Boolean),
    sa.column("amount_micros", sa.BigInteger),
    sa.column("events", sa.Integer),
)


def upgrade() -> None:
    connection = op.get_bind()
    c = _ROLLUPS.c
    connection.execute(sa.delete(_ROLLUPS).where(c.span_minutes == minutes(HOUR)))
    query = sa.select(
        c.id, c.bucket_start, c.usage_type, c.config_fingerprint, c.billable, c.amount_micros, c.events
    )
    query = query.where(c.span_minutes == minutes(QUARTER))
    after = 0  # keyset pages by id: memory stays bounded, and no cursor stays open on SQLite
    while rows := connection.execute(query.where(c.id > after).order_by(c.id).limit(_BATCH)).all():
        # An hour split over two pages is added to the row the first page made.
        add_sums(connection, hours_of(row[1:] for row in rows))
        after = rows[-1][0]


def downgrade() -> None:
    op.get_bind().execute(sa.delete(_ROLLUPS).where(_ROLLUPS.c.span_minutes == minutes(HOUR)))
