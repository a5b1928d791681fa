"""Alerts a channel gets (issue 13): kinds on or off, snoozes and mutes, money budgets, posted alerts.

- `alert_kinds`: a row per (channel, kind) turned on or off explicitly; no row means the default.
- `alert_silences`: the latest snooze or mute of a kind in a channel (until when, by whom).
- `alert_budgets`: a channel's budget in money, per billing period or calendar month.
- `alert_posts`: each alert message posted, keyed by its condition (kind and key, such as
  "spike:2026-11-23"), with its message ts, its level, acknowledgement and clearing.
- `alert_steps`: the claims behind every post, update and thread reply: whoever inserts the row of
  (channel, alert key, step) first does it, across processes (the digest claims' pattern).

The plan and access alerts the previous version posted (its `alert_claims`, one row per channel,
billing period and threshold_N / access_off) are carried over as posted alerts with their step done,
so an upgrade posts nothing new for a condition already said: the plan's at the highest threshold
claimed. Their message ts is not known (the old version did not keep it): such an alert clears
without a thread reply, and a worse level is posted as a new alert (bot/services/alerts/slack.py).

Revision ID: 0010
Revises: 0009
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from bot.db.types import UTCDateTime

revision = "0010"
down_revision = "0009"
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
    _carry_over_claims(op.get_bind())


ACCESS_OFF = "Katalo API access is off for this organization: new generation jobs will be refused."


@dataclass(frozen=True)
class _Said:
    """An alert the old version posted: the engine's kind and level, and when it was claimed."""

    kind: str
    level: str
    headline: str
    ts: str
    at: datetime


def _carry_over_claims(connection: sa.Connection) -> None:
    """Each old claim group (channel, period) becomes the posted plan or access alert of that period."""
    claims = sa.table(
        "alert_claims",
        sa.column("channel_id", sa.String),
        sa.column("period_start", UTCDateTime),
        sa.column("kind", sa.String),
        sa.column("claimed_at", UTCDateTime),
        sa.column("message_ts", sa.String),
    )
    alerts: dict[tuple[str, str], _Said] = {}
    for row in connection.execute(sa.select(claims)).all():
        period = row.period_start.isoformat()  # aware UTC, as the engine keys a billing period
        if row.kind == "access_off":
            kind, level, headline = "access", "off", ACCESS_OFF
        elif row.kind.startswith("threshold_") and row.kind.removeprefix("threshold_").isdigit():
            kind, level = "plan", row.kind.removeprefix("threshold_")
            headline = _plan_headline(int(level))
        else:
            continue
        found = alerts.get((row.channel_id, f"{kind}:{period}"))
        if found is not None and (kind == "access" or int(found.level) >= int(level)):
            continue  # the highest threshold claimed is the one the old version said last
        said = _Said(kind, level, headline, row.message_ts or "", row.claimed_at)
        alerts[(row.channel_id, f"{kind}:{period}")] = said
    for (channel, key), alert in alerts.items():
        _record(connection, channel, key, alert)


def _plan_headline(threshold: int) -> str:
    """As the engine words it (bot/services/alerts/plan.py)."""
    what = "the whole plan" if threshold == 100 else f"{threshold}% of the plan"
    reached = f"{threshold}% reached: " if threshold >= 100 else ""
    return f"{reached}Katalo usage has reached {what}:"


def _record(connection: sa.Connection, channel: str, key: str, alert: _Said) -> None:
    posts = sa.table(
        "alert_posts",
        *(sa.column(name, sa.String) for name in ("channel_id", "alert_key", "kind", "message_ts")),
        *(sa.column(name, sa.String) for name in ("headline", "level")),
        sa.column("posted_at", UTCDateTime),
    )
    steps = sa.table(
        "alert_steps",
        *(sa.column(name, sa.String) for name in ("channel_id", "alert_key", "step", "claim_id", "state")),
        sa.column("claimed_at", UTCDateTime),
        sa.column("message_ts", sa.String),
    )
    connection.execute(
        sa.insert(posts).values(
            channel_id=channel,
            alert_key=key,
            kind=alert.kind,
            message_ts=alert.ts,
            headline=alert.headline,
            level=alert.level,
            posted_at=alert.at,
        )
    )
    connection.execute(
        sa.insert(steps).values(
            channel_id=channel,
            alert_key=key,
            step="post",
            claim_id=uuid.uuid4().hex,
            state="done",
            claimed_at=alert.at,
            message_ts=alert.ts or None,
        )
    )


def downgrade() -> None:
    for table in ("alert_steps", "alert_posts", "alert_budgets", "alert_silences", "alert_kinds"):
        op.drop_table(table)
