"""The four alert buttons: Acknowledge, Snooze 1 day, Snooze 1 week, Mute for this period.

A press is recorded against the alert the store knows by its channel and message ts (the kind comes
from the store, not from the button's value, which a client could alter). A mute lasts until the
current billing period ends (from the cached usage summary), or for an alert of a monthly budget
until the calendar month ends in the reporting zone. The result is the alert's status as the store
now holds it (the same lines the runner renders: bot/services/alerts/status.py), or a sentence
saying why nothing was recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from bot import slack_ids
from bot.blocks.alert_settings import moment
from bot.blocks.alert_status import AlertStatus
from bot.db.alert_store import AlertStore
from bot.katalo.client import KataloClient
from bot.periods import local_midnight
from bot.services.alerts.status import alert_status, is_monthly
from bot.services.spend import billing_bounds

SNOOZES = {slack_ids.ALERT_SNOOZE_DAY: timedelta(days=1), slack_ids.ALERT_SNOOZE_WEEK: timedelta(days=7)}
UNKNOWN_ALERT = (
    "I have no record of this alert, so I cannot change it. `/katalo alerts` shows this channel's alerts "
    "and `/katalo alerts off KIND` turns a kind off."
)
NO_PERIOD = (
    "The billing period's end is not known just now (Katalo did not say), so I cannot mute until then. "
    "Try again in a minute, or use *Snooze 1 week*."
)


@dataclass(frozen=True)
class Recorded:
    """The alert's status after the press, to show on it."""

    status: AlertStatus


@dataclass(frozen=True)
class NotRecorded:
    """Why nothing was recorded, as a sentence for the presser."""

    sentence: str


@dataclass
class AlertPresses:
    store: AlertStore
    client: KataloClient
    zone_of: Callable[[str], tzinfo]  # the channel's clock, for the status line
    report_zone: tzinfo = UTC  # a monthly budget's calendar month
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def press(self, action_id: str, channel_id: str, ts: str, user_id: str) -> Recorded | NotRecorded:
        alert = self.store.posted(channel_id, ts) if ts else None
        if alert is None:
            return NotRecorded(UNKNOWN_ALERT)
        now = self.now()
        if action_id == slack_ids.ALERT_ACKNOWLEDGE:
            self.store.acknowledge(channel_id, ts, by_user=user_id, at=now)
        elif action_id in SNOOZES:
            until = now + SNOOZES[action_id]
            kept = self.store.silence(
                channel_id, alert.kind, mode="snooze", until=until, by_user=user_id, at=now
            )
            if kept.until > until:  # a longer snooze or mute is in force: this press changed nothing
                ends = moment(kept.until, self.zone_of(channel_id))
                return NotRecorded(
                    f"Already {kept.mode}d here until {ends}, later than this snooze: nothing changed."
                )
        elif action_id == slack_ids.ALERT_MUTE_PERIOD:
            end = self._month_end(now) if is_monthly(self.store, alert) else self._period_end(now)
            if end is None:
                return NotRecorded(NO_PERIOD)
            self.store.silence(channel_id, alert.kind, mode="mute", until=end, by_user=user_id, at=now)
        else:
            return NotRecorded(UNKNOWN_ALERT)  # an action id this handler was not registered for
        now_shown = self.store.posted(channel_id, ts) or alert
        return Recorded(alert_status(self.store, now_shown, self.zone_of(channel_id), self.report_zone))

    def _month_end(self, now: datetime) -> datetime:
        """The first instant of next month in the reporting zone (where the budget's month ends)."""
        today = now.astimezone(self.report_zone).date()
        first_next = today.replace(year=today.year + today.month // 12, month=today.month % 12 + 1, day=1)
        return local_midnight(first_next, self.report_zone)

    def _period_end(self, now: datetime) -> datetime | None:
        bounds = billing_bounds(self.client)
        if bounds is None or bounds.end <= now:  # a stale summary of a period already over says nothing
            return None
        return bounds.end
