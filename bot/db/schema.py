"""The tables, as SQLAlchemy Core objects for queries. Migrations (migrations/versions) create them.

When a table changes, add a migration that changes it; this file then describes the newest version.
A test checks that the migrated database and these definitions agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from bot.db.types import MicroDollars, UTCDateTime

metadata = MetaData()

ledger_events = Table(
    "ledger_events",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("job_id", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("usage_type", Text),
    Column("billable", Boolean),
    Column("unit_price_usd", MicroDollars),
    Column("amount_usd", MicroDollars),
    Column("config_fingerprint", Text),
    Column("source_asset_id", Text),
    Column("stored_at", UTCDateTime, nullable=False),
    Index("ix_ledger_events_job_id_created_at", "job_id", "created_at"),
    # Also what distinct jobs and the breakdown by job read (they cannot come from rollups): with the
    # job and amount in the index, a window is counted from the index alone.
    Index("ix_ledger_events_created_at_job_amount", "created_at", "job_id", "amount_usd"),
)

# Sums of the events per UTC bucket (15 minutes and one day) and (usage type, config, billable), kept
# by the sync in the transaction that stores the events (bot/db/rollups.py); spend questions read them.
ledger_rollups = Table(
    "ledger_rollups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("span_minutes", Integer, nullable=False),  # 15, 60 or 1440
    Column("bucket_start", UTCDateTime, nullable=False),
    Column("usage_type", Text),
    Column("config_fingerprint", Text),
    Column("billable", Boolean),
    Column("amount_micros", BigInteger, nullable=False),
    Column("events", Integer, nullable=False),
    # Every column: a window's buckets are summed from the index alone, with no lookup per row.
    Index(
        "ix_ledger_rollups_covering",
        "span_minutes",
        "bucket_start",
        "usage_type",
        "config_fingerprint",
        "billable",
        "amount_micros",
        "events",
    ),
)

# Per job: its first and last event (epoch microseconds), amount and event count, kept by the sync in
# the transaction that stores the events (bot/db/job_rollups.py). A row sums a job's events in one
# scope: all of them (0), one usage type (1), one config (2) or one (type, config) (3); '' stands for
# a key part the scope does not use or the event left empty. Distinct jobs and the top jobs of a window
# read them (bot/ledger/spend_jobs.py); jobs crossing its edges are read from their events.
ledger_jobs = Table(
    "ledger_jobs",
    metadata,
    Column("job_id", Text, primary_key=True),
    Column("scope", Integer, primary_key=True),
    Column("usage_type", Text, primary_key=True),
    Column("config_fingerprint", Text, primary_key=True),
    Column("first_us", BigInteger, nullable=False),
    Column("last_us", BigInteger, nullable=False),
    Column("span_class", Integer, nullable=False),  # how long last - first is: job_rollups.SPAN_LIMITS
    Column("amount_micros", BigInteger, nullable=False),
    Column("events", Integer, nullable=False),
    Index("ix_ledger_jobs_window", "scope", "usage_type", "config_fingerprint", "first_us", "last_us"),
    Index("ix_ledger_jobs_span", "scope", "usage_type", "config_fingerprint", "span_class", "first_us"),
)
# The largest jobs first (ties by job id): the top jobs of a long window are the first rows inside it.
# It holds the window's columns too, so rows outside the window are passed over in the index alone.
Index(
    "ix_ledger_jobs_amount",
    *(ledger_jobs.c[name] for name in ("scope", "usage_type", "config_fingerprint")),
    ledger_jobs.c.amount_micros.desc(),
    *(ledger_jobs.c[name] for name in ("job_id", "first_us", "last_us", "events")),
)

# How many ledger_jobs rows of each key (scope, usage type, config) have their first event in each
# UTC day: distinct jobs of a long window are summed from these instead of counted row by row.
ledger_job_starts = Table(
    "ledger_job_starts",
    metadata,
    Column("scope", Integer, primary_key=True),
    Column("usage_type", Text, primary_key=True),
    Column("config_fingerprint", Text, primary_key=True),
    Column("day_us", BigInteger, primary_key=True),  # the UTC day's start, epoch microseconds
    Column("jobs", Integer, nullable=False),
)

# One row per mirrored ledger. Written with the events of each page, in the same transaction, so a
# sync killed at any point leaves a state that matches what is stored.
ledger_sync_state = Table(
    "ledger_sync_state",
    metadata,
    Column("ledger", String(32), primary_key=True),
    Column("page_order", String(16)),  # newest_first | oldest_first, once detected
    Column("walk_cursor", Text),  # where an unfinished walk goes on (Katalo's cursors have no stated length)
    Column("walk_top", UTCDateTime),  # newest-first: the newest event the unfinished walk started from
    Column("walk_floor", UTCDateTime),  # ...and the watermark it must reach (None: the whole ledger)
    Column("complete_through", UTCDateTime),  # every event created at or before this is stored
    Column("backfill_done", Boolean, nullable=False, default=False),
    Column("last_success_at", UTCDateTime),  # when a sync last reached the end of what was new
    Column("last_attempt_at", UTCDateTime),
    Column("last_error", String(300)),  # user-safe sentence of the last failure, cleared on success
    Column("sync_owner", String(64)),  # the running sync, whose writes alone are accepted
    Column("walks_restarted", Integer, nullable=False, default=0),
)

# Ledger records the mirror could not store, kept as received (JSON text) with the reason, so that one
# odd record neither stops every sync nor is lost. Keyed by a hash of the record: re-reading a page
# sets a record aside once.
ledger_set_aside = Table(
    "ledger_set_aside",
    metadata,
    Column("record_key", String(64), primary_key=True),
    Column("event_id", Text),  # when the record has one
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Column("set_aside_at", UTCDateTime, nullable=False),
)

# Events API deliveries already handled. Slack re-sends an event it thinks went unanswered (up to 3
# times); the first insert of its event_id wins, across every process sharing the database.
slack_event_receipts = Table(
    "slack_event_receipts",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_slack_event_receipts_received_at", "received_at"),
)

# A channel's daily digest: when (local time and IANA zone), and whether posting to it fails.
digest_subscriptions = Table(
    "digest_subscriptions",
    metadata,
    Column("channel_id", String(32), primary_key=True),
    Column("local_time", String(5), nullable=False),  # HH:MM
    Column("timezone", String(64), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_by", String(32)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("failing_since", UTCDateTime),
    Column("last_error", String(300)),
)

# One digest per channel per local date: the primary key is the claim every poster must win first.
# state: posting (claimed; the post may or may not have reached Slack), posted, failed.
digest_claims = Table(
    "digest_claims",
    metadata,
    Column("channel_id", String(32), primary_key=True),
    Column("local_date", Date, primary_key=True),
    Column("claim_id", String(32), nullable=False),  # also in the message's metadata, to find it again
    Column("state", String(16), nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("message_ts", String(32)),
    Column("posted_at", UTCDateTime),
    Column("late", Boolean, nullable=False, default=False),
    Column("last_error", String(300)),
)

# Alert claims before issue 13 (per channel, billing period and threshold): no longer written or read;
# alerts now claim each step in alert_steps. Kept so that a rollback finds its table.
alert_claims = Table(
    "alert_claims",
    metadata,
    Column("channel_id", String(32), primary_key=True),
    Column("period_start", UTCDateTime, primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("message_ts", String(32)),
)

# The Katalo request budget every process on this database shares (bot/katalo/shared_budget.py): one
# row, locked for the few statements of each request. `spent` holds the start times of the requests of
# the last 60 s (epoch seconds, space-separated; at most KATALO_REQUESTS_PER_MINUTE of them) and
# `paused_until` the end of the latest 429's pause. Epoch floats, not timestamps: the row is a
# rate limiter's counter, compared with the database's own clock (PostgreSQL) or the machine's (SQLite).
katalo_budget = Table(
    "katalo_budget",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("spent", Text, nullable=False, default=""),
    Column("paused_until", Float, nullable=False, default=0.0),
)

# The last `/katalo reconcile` of each billing period: Katalo's consumed units minus the mirror's
# billable events (an exact decimal, as text), so the next check can say whether it changed.
reconcile_checks = Table(
    "reconcile_checks",
    metadata,
    Column("period_start", UTCDateTime, primary_key=True),
    Column("difference", Text, nullable=False),
    Column("checked_at", UTCDateTime, nullable=False),
)

# Issue 13's alerts (bot/db/alert_store.py). A kind turned on or off explicitly in a channel; a
# channel without a row for a kind gets the default (see AlertStore.enabled_kinds).
alert_kinds = Table(
    "alert_kinds",
    metadata,
    Column("channel_id", String(32), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("changed_by", String(32), nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
)

# The latest snooze or mute of a kind in a channel; active while `until` is in the future.
alert_silences = Table(
    "alert_silences",
    metadata,
    Column("channel_id", String(32), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("mode", String(8), nullable=False),  # snooze | mute
    Column("until", UTCDateTime, nullable=False),
    Column("by_user", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

# A channel's budget in money; its alerts post in that channel.
alert_budgets = Table(
    "alert_budgets",
    metadata,
    Column("channel_id", String(32), primary_key=True),
    Column("amount_micros", MicroDollars, nullable=False),
    Column("scope", String(8), nullable=False),  # period | monthly
    Column("set_by", String(32), nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
)

# Every alert message posted, keyed by the condition it reports ("plan:<period start>",
# "spike:<day the episode opened>", …): its ts (updated in place when the condition worsens), its
# level (the threshold or date it shows), and whether it was acknowledged or has cleared.
alert_posts = Table(
    "alert_posts",
    metadata,
    Column("channel_id", String(32), primary_key=True),
    Column("alert_key", String(128), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("message_ts", String(32), nullable=False),
    Column("posted_at", UTCDateTime, nullable=False),
    Column("headline", String(300), nullable=False),
    Column("level", String(64), nullable=False),
    Column("acknowledged_by", String(32)),
    Column("acknowledged_at", UTCDateTime),
    Column("cleared_at", UTCDateTime),
    Index("ix_alert_posts_channel_ts", "channel_id", "message_ts"),
)

# One claim per (channel, alert key, step): step is "post", "level:<level>" (an update in place and
# its thread reply) or "clear". state: posting (claimed), done, failed (retried later).
alert_steps = Table(
    "alert_steps",
    metadata,
    Column("channel_id", String(32), primary_key=True),
    Column("alert_key", String(128), primary_key=True),
    Column("step", String(64), primary_key=True),
    Column("claim_id", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("message_ts", String(32)),
    Column("last_error", String(300)),
)

# The Katalo cache every process on this database shares (bot/katalo/shared_cache.py): per key, the
# last good value (as the client's codec writes it, JSON), when it was fetched (for "as of 14:02") and
# when it was stored on the shared clock (bot/db/clock.py), which decides freshness; and the lease of
# the one process fetching it now, which the others wait for until `lease_until` at the latest.
katalo_cache = Table(
    "katalo_cache",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text),
    Column("fetched_at", UTCDateTime),
    Column("stored_at", Float),  # epoch seconds on the shared clock; None until a value is stored
    Column("holder", String(64)),  # the lease's holder (host:pid:token), None when nobody fetches
    Column("lease_until", Float, nullable=False, default=0.0),
)
