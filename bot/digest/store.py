"""Digest subscriptions and the claims that make every digest post exactly once.

A digest for (channel, local date) is posted only by whoever inserts its claim row first; the primary
key decides, so it holds across processes and machines (PostgreSQL) or processes (SQLite). A claim
moves posting → posted (or failed). A claim left in `posting` for long is a poster that died between
deciding to post and recording Slack's answer: another runner may take it over and must first look
in the channel for the message (deliver.py) before posting. A failed claim may be retried later the
same day. Alerts have claims of their own, per step (bot/db/alert_steps.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, delete, or_, select, update

from bot.db.claims import dialect_insert, insert_if_absent
from bot.db.schema import digest_claims, digest_subscriptions
from bot.figures import PostedDigest, Subscription

STALE_POSTING = timedelta(minutes=5)  # longer than a post with Slack's 429 retries can take
RETRY_FAILED_AFTER = timedelta(minutes=30)
HISTORY_NOTE = "history: "  # a posted claim's last_error: what its take-over learnt of the history
HISTORY_READ = "read"


@dataclass(frozen=True)
class Claim:
    channel_id: str
    local_date: date
    claim_id: str
    kind: Literal["new", "take_over", "retry"]  # take_over: the message may already be in Slack
    claimed_before: datetime | None = None  # take_over: when the dead poster claimed it (its post is after)


class DigestStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = dialect_insert(engine)

    # --- subscriptions -----------------------------------------------------------------------------

    def subscribe(self, channel_id: str, at: time, zone: ZoneInfo, *, by: str | None, now: datetime) -> None:
        values = {"local_time": at.strftime("%H:%M"), "timezone": zone.key, "enabled": True}
        statement = self._insert(digest_subscriptions).values(
            channel_id=channel_id, created_by=by, created_at=now, **values
        )
        statement = statement.on_conflict_do_update(
            index_elements=["channel_id"], set_={**values, "failing_since": None, "last_error": None}
        )
        with self.engine.begin() as connection:
            connection.execute(statement)

    def ensure_subscribed(self, channel_id: str, at: time, zone: ZoneInfo, *, now: datetime) -> None:
        """The default digest (DIGEST_CHANNEL): created once; a change made from Slack is kept."""
        statement = self._insert(digest_subscriptions).values(
            channel_id=channel_id,
            local_time=at.strftime("%H:%M"),
            timezone=zone.key,
            enabled=True,
            created_at=now,
        )
        with self.engine.begin() as connection:
            connection.execute(statement.on_conflict_do_nothing(index_elements=["channel_id"]))

    def unsubscribe(self, channel_id: str) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(
                update(digest_subscriptions)
                .where(digest_subscriptions.c.channel_id == channel_id)
                .values(enabled=False)
            )
            return bool(result.rowcount)

    def subscription(self, channel_id: str) -> Subscription | None:
        rows = self._subscriptions(digest_subscriptions.c.channel_id == channel_id)
        return rows[0] if rows else None

    def active_subscriptions(self) -> list[Subscription]:
        return self._subscriptions(digest_subscriptions.c.enabled.is_(True))

    def mark_failing(self, channel_id: str, error: str, now: datetime) -> None:
        table = digest_subscriptions
        with self.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.channel_id == channel_id, table.c.failing_since.is_(None))
                .values(failing_since=now)
            )
            connection.execute(
                update(table).where(table.c.channel_id == channel_id).values(last_error=error[:300])
            )

    def clear_failing(self, channel_id: str) -> None:
        table = digest_subscriptions
        with self.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.channel_id == channel_id)
                .values(failing_since=None, last_error=None)
            )

    # --- digest claims -----------------------------------------------------------------------------

    def claim(self, channel_id: str, local_date: date, now: datetime, *, late: bool) -> Claim | None:
        """Win the right to post this digest; None when it is posted, being posted or not yet retryable."""
        claim_id = uuid.uuid4().hex
        row = {"claim_id": claim_id, "state": "posting", "claimed_at": now, "late": late}
        table = digest_claims.c
        with self.engine.begin() as connection:
            if insert_if_absent(
                connection, digest_claims, channel_id=channel_id, local_date=local_date, **row
            ):
                return Claim(channel_id, local_date, claim_id, "new")
            # Someone claimed it first: take over only a poster that died, or a failure due a retry.
            stale = and_(table.state == "posting", table.claimed_at < now - STALE_POSTING)
            retry = and_(table.state == "failed", table.claimed_at < now - RETRY_FAILED_AFTER)
            found = connection.execute(
                select(table.state, table.claimed_at).where(
                    table.channel_id == channel_id, table.local_date == local_date, or_(stale, retry)
                )
            ).first()
            if found is None:
                return None
            taken = connection.execute(
                update(digest_claims)
                .where(
                    table.channel_id == channel_id, table.local_date == local_date, table.state == found.state
                )
                .where(or_(stale, retry))
                .values(claim_id=claim_id, state="posting", claimed_at=now, attempts=table.attempts + 1)
            )
        if taken.rowcount != 1:
            return None
        if found.state != "posting":
            return Claim(channel_id, local_date, claim_id, "retry")
        return Claim(channel_id, local_date, claim_id, "take_over", found.claimed_at)

    def release(self, channel_id: str, local_date: date) -> None:
        """Forget a day's claim (`katalo-bot digest --force` posts again on purpose)."""
        with self.engine.begin() as connection:
            connection.execute(
                delete(digest_claims).where(
                    digest_claims.c.channel_id == channel_id, digest_claims.c.local_date == local_date
                )
            )

    def mark_posted(
        self, claim: Claim, message_ts: str | None, now: datetime, *, history: str | None = None
    ) -> None:
        """`history`: what a take-over learnt of the channel's history (HISTORY_READ or its error)."""
        note = None if history is None else f"{HISTORY_NOTE}{history}"
        self._finish(claim, state="posted", message_ts=message_ts, posted_at=now, last_error=note)

    def history_access(self, channel_id: str) -> str | None:
        """What the newest take-over in this channel learnt: HISTORY_READ, a Slack error, or None (none yet).

        Kept in the posted claim's last_error (a posted claim has no error of its own), so knowing
        costs no conversations.history call, which Slack allows this app about once a minute.
        """
        table = digest_claims.c
        query = (
            select(table.last_error)
            .where(table.channel_id == channel_id, table.state == "posted")
            .where(table.last_error.like(f"{HISTORY_NOTE}%"))
            .order_by(table.local_date.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            note = connection.execute(query).scalar_one_or_none()
        return None if note is None else str(note).removeprefix(HISTORY_NOTE)

    def mark_failed(self, claim: Claim, error: str) -> None:
        self._finish(claim, state="failed", last_error=error[:300])

    def last_posted(self, channel_id: str) -> PostedDigest | None:
        table = digest_claims.c
        query = (
            select(table.local_date, table.message_ts, table.posted_at, table.late)
            .where(table.channel_id == channel_id, table.state == "posted")
            .order_by(table.local_date.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else PostedDigest(row.local_date, row.message_ts, row.posted_at, row.late)

    def state_of(self, channel_id: str, local_date: date) -> str | None:
        table = digest_claims.c
        with self.engine.connect() as connection:
            return connection.execute(
                select(table.state).where(table.channel_id == channel_id, table.local_date == local_date)
            ).scalar_one_or_none()

    def _finish(self, claim: Claim, **values: Any) -> None:
        table = digest_claims.c
        with self.engine.begin() as connection:
            connection.execute(
                update(digest_claims)
                .where(table.channel_id == claim.channel_id, table.local_date == claim.local_date)
                .where(table.claim_id == claim.claim_id)  # a claim taken over since is not ours to finish
                .values(**values)
            )

    def _subscriptions(self, condition: Any) -> list[Subscription]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(digest_subscriptions).where(condition)).all()
        return [
            Subscription(
                row.channel_id,
                time.fromisoformat(row.local_time),
                ZoneInfo(row.timezone),
                row.enabled,
                row.failing_since,
                row.last_error,
            )
            for row in rows
        ]
