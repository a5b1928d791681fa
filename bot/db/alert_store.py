"""What each channel's alerts are (issue 13): kinds on or off, snoozes and mutes, budgets, posted alerts.

The Slack commands and buttons (`/katalo alerts`, `/katalo budget`, Acknowledge / Snooze / Mute) write
here, and the alert runner reads it. Which kinds a channel gets: a kind turned on or off explicitly
in the channel is what it says; a kind without a row is on when the channel has an active digest
subscription (the alerts of old went to every subscribed channel), has turned any kind on
explicitly, or (for `budget`) has a budget set. The claims that make each post happen once are in
alert_steps.py; this module records what was posted, so it can be shown, acknowledged and updated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Engine, delete, or_, select, union, update

from bot.alert_kinds import KINDS, Kind
from bot.db.claims import dialect_insert
from bot.db.schema import alert_budgets, alert_kinds, alert_posts, alert_silences, digest_subscriptions

# A condition that clears and later comes back (access off again, a pace as bad again) is a new alert,
# posted anew: its second occurrence is keyed "<key>#2", its third "<key>#3", … so that its steps (post,
# each update, its clear) are claimed afresh (alert_steps), once each per occurrence.
OCCURRENCE = "#"


def occurrence(key: str) -> int:
    """Which occurrence of its condition an alert key names: 1 for the plain key, n for "<key>#n"."""
    _, mark, number = key.rpartition(OCCURRENCE)
    return int(number) if mark and number.isdigit() else 1


def base_key(key: str) -> str:
    """The condition's key, without the occurrence an alert key may carry."""
    return key.rpartition(OCCURRENCE)[0] if occurrence(key) > 1 else key


def next_occurrence(key: str) -> str:
    """The key of the condition's next occurrence after the alert keyed `key`."""
    return f"{base_key(key)}{OCCURRENCE}{occurrence(key) + 1}"


@dataclass(frozen=True)
class Silence:
    """An active snooze or mute of one kind in one channel."""

    kind: Kind
    mode: Literal["snooze", "mute"]
    until: datetime
    by_user: str
    at: datetime


@dataclass(frozen=True)
class PostedAlert:
    """An alert posted in a channel (the latest of its kind, for `last_alerts`)."""

    kind: Kind
    key: str
    channel_id: str
    ts: str
    posted_at: datetime
    headline: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    cleared_at: datetime | None
    level: str = ""  # what the message shows now: a threshold ("80"), a date, …; set by the runner


@dataclass(frozen=True)
class StoredBudget:
    amount: Decimal
    scope: Literal["period", "monthly"]
    set_by: str
    set_at: datetime


class AlertStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = dialect_insert(engine)

    # --- kinds on and off ----------------------------------------------------------------------------

    def enabled_kinds(self, channel_id: str) -> frozenset[Kind]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(alert_kinds.c.kind, alert_kinds.c.enabled).where(
                    alert_kinds.c.channel_id == channel_id
                )
            ).all()
            subscribed = connection.execute(
                select(digest_subscriptions.c.channel_id).where(
                    digest_subscriptions.c.channel_id == channel_id, digest_subscriptions.c.enabled.is_(True)
                )
            ).first()
            budget = connection.execute(
                select(alert_budgets.c.channel_id).where(alert_budgets.c.channel_id == channel_id)
            ).first()
        explicit: dict[str, bool] = {row.kind: row.enabled for row in rows}
        default = subscribed is not None or any(explicit.values())
        on = {kind for kind in KINDS if explicit.get(kind, default)}
        if budget is not None and explicit.get("budget", True):
            on.add("budget")
        return frozenset(on)

    def set_enabled(
        self, channel_id: str, kinds: Iterable[Kind], on: bool, *, by_user: str, at: datetime
    ) -> None:
        with self.engine.begin() as connection:
            for kind in kinds:
                values = {"enabled": on, "changed_by": by_user, "changed_at": at}
                statement = self._insert(alert_kinds).values(channel_id=channel_id, kind=kind, **values)
                connection.execute(
                    statement.on_conflict_do_update(index_elements=["channel_id", "kind"], set_=values)
                )

    def alert_channels(self) -> list[str]:
        """Channels that may receive an alert of some kind (each one's kinds: `enabled_kinds`)."""
        query = union(
            select(digest_subscriptions.c.channel_id).where(digest_subscriptions.c.enabled.is_(True)),
            select(alert_kinds.c.channel_id).where(alert_kinds.c.enabled.is_(True)),
            select(alert_budgets.c.channel_id),
        )
        with self.engine.connect() as connection:
            channels = sorted(str(row[0]) for row in connection.execute(query))
        return [channel for channel in channels if self.enabled_kinds(channel)]

    # --- snoozes and mutes -----------------------------------------------------------------------------

    def silences(self, channel_id: str, now: datetime) -> dict[Kind, Silence]:
        """The snoozes and mutes still in force at `now`."""
        table = alert_silences.c
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(alert_silences).where(table.channel_id == channel_id, table.until > now)
            ).all()
        return {row.kind: Silence(row.kind, row.mode, row.until, row.by_user, row.at) for row in rows}

    def latest_silence(self, channel_id: str, kind: Kind) -> Silence | None:
        """The latest snooze or mute of a kind in a channel, in force or over (an alert's status shows it)."""
        table = alert_silences.c
        with self.engine.connect() as connection:
            row = connection.execute(
                select(alert_silences).where(table.channel_id == channel_id, table.kind == kind)
            ).first()
        return None if row is None else Silence(row.kind, row.mode, row.until, row.by_user, row.at)

    def silence(
        self,
        channel_id: str,
        kind: Kind,
        *,
        mode: Literal["snooze", "mute"],
        until: datetime,
        by_user: str,
        at: datetime,
    ) -> Silence:
        """Silence a kind in a channel until `until`; the silence in force afterwards.

        The later end wins: a snooze pressed after a mute that ends later changes nothing (the mute is
        returned, so the presser can be told), and a mute after a shorter snooze replaces it. Decided
        in the one upsert, so two presses at once cannot shorten each other either.
        """
        values = {"mode": mode, "until": until, "by_user": by_user, "at": at}
        statement = self._insert(alert_silences).values(channel_id=channel_id, kind=kind, **values)
        table = alert_silences.c
        with self.engine.begin() as connection:
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["channel_id", "kind"],
                    set_=values,
                    where=table.until < statement.excluded.until,
                )
            )
            row = connection.execute(
                select(alert_silences).where(table.channel_id == channel_id, table.kind == kind)
            ).one()
        return Silence(row.kind, row.mode, row.until, row.by_user, row.at)

    # --- posted alerts -----------------------------------------------------------------------------------

    def acknowledge(self, channel_id: str, ts: str, *, by_user: str, at: datetime) -> PostedAlert | None:
        """Record who acknowledged the alert posted at `ts`; the alert, or None when there is none."""
        table = alert_posts.c
        with self.engine.begin() as connection:
            connection.execute(
                update(alert_posts)
                .where(table.channel_id == channel_id, table.message_ts == ts)
                .values(acknowledged_by=by_user, acknowledged_at=at)
            )
        return self.posted(channel_id, ts)

    def posted(self, channel_id: str, ts: str) -> PostedAlert | None:
        table = alert_posts.c
        rows = self._posts(table.channel_id == channel_id, table.message_ts == ts)
        return rows[0] if rows else None

    def last_alerts(self, channel_id: str) -> dict[Kind, PostedAlert]:
        latest: dict[Kind, PostedAlert] = {}
        for alert in self._posts(alert_posts.c.channel_id == channel_id):  # oldest first
            latest[alert.kind] = alert
        return latest

    def alert(self, channel_id: str, key: str) -> PostedAlert | None:
        """The alert posted for this condition key in this channel, if any."""
        table = alert_posts.c
        rows = self._posts(table.channel_id == channel_id, table.alert_key == key)
        return rows[0] if rows else None

    def latest_occurrence(self, channel_id: str, key: str) -> PostedAlert | None:
        """The alert posted for the latest occurrence of this condition key in this channel, if any."""
        table = alert_posts.c
        of_key = or_(table.alert_key == key, table.alert_key.startswith(key + OCCURRENCE, autoescape=True))
        rows = self._posts(table.channel_id == channel_id, of_key)
        return max(rows, key=lambda alert: occurrence(alert.key), default=None)

    def open_alerts(self, channel_id: str, kind: Kind) -> list[PostedAlert]:
        """The alerts of this kind in this channel whose condition has not cleared, oldest first."""
        table = alert_posts.c
        return self._posts(table.channel_id == channel_id, table.kind == kind, table.cleared_at.is_(None))

    def record_post(
        self, channel_id: str, kind: Kind, key: str, *, ts: str, headline: str, level: str, at: datetime
    ) -> None:
        """Record an alert posted (or found posted after a crash) for this condition key."""
        values = {"kind": kind, "message_ts": ts, "posted_at": at, "headline": headline[:300], "level": level}
        statement = self._insert(alert_posts).values(channel_id=channel_id, alert_key=key, **values)
        with self.engine.begin() as connection:
            connection.execute(
                statement.on_conflict_do_update(index_elements=["channel_id", "alert_key"], set_=values)
            )

    def record_level(self, channel_id: str, key: str, *, level: str, headline: str) -> None:
        """The alert now shows a worse level (it was updated in place): its condition holds again."""
        self._update(channel_id, key, level=level, headline=headline[:300], cleared_at=None)

    def record_moved(self, channel_id: str, key: str, *, ts: str, level: str, headline: str) -> None:
        """The alert was posted anew (its message was deleted, or never known): its new ts and level."""
        self._update(channel_id, key, message_ts=ts, level=level, headline=headline[:300], cleared_at=None)

    def record_cleared(self, channel_id: str, key: str, at: datetime) -> None:
        self._update(channel_id, key, cleared_at=at)

    # --- budgets -----------------------------------------------------------------------------------------

    def budget(self, channel_id: str) -> StoredBudget | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(alert_budgets).where(alert_budgets.c.channel_id == channel_id)
            ).first()
        return None if row is None else StoredBudget(row.amount_micros, row.scope, row.set_by, row.set_at)

    def set_budget(
        self,
        channel_id: str,
        amount: Decimal,
        scope: Literal["period", "monthly"],
        *,
        by_user: str,
        at: datetime,
    ) -> None:
        values = {"amount_micros": amount, "scope": scope, "set_by": by_user, "set_at": at}
        statement = self._insert(alert_budgets).values(channel_id=channel_id, **values)
        with self.engine.begin() as connection:
            connection.execute(statement.on_conflict_do_update(index_elements=["channel_id"], set_=values))

    def clear_budget(self, channel_id: str) -> bool:
        """Turn the channel's budget off; False when there was none."""
        with self.engine.begin() as connection:
            gone = connection.execute(delete(alert_budgets).where(alert_budgets.c.channel_id == channel_id))
            return bool(gone.rowcount)

    def _update(self, channel_id: str, key: str, **values: Any) -> None:
        table = alert_posts.c
        with self.engine.begin() as connection:
            connection.execute(
                update(alert_posts)
                .where(table.channel_id == channel_id, table.alert_key == key)
                .values(**values)
            )

    def _posts(self, *conditions: Any) -> list[PostedAlert]:
        table = alert_posts.c
        with self.engine.connect() as connection:
            rows = connection.execute(select(alert_posts).where(*conditions).order_by(table.posted_at)).all()
        return [
            PostedAlert(
                row.kind,
                row.alert_key,
                row.channel_id,
                row.message_ts,
                row.posted_at,
                row.headline,
                row.acknowledged_by,
                row.acknowledged_at,
                row.cleared_at,
                row.level,
            )
            for row in rows
        ]
