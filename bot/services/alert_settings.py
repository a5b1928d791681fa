"""`/katalo alerts` and `/katalo alerts on|off KIND…` for the channel they were typed in.

Reads and writes the alert store; the last alert of each kind is linked through chat.getPermalink (no
extra scope), and shown by its time alone when Slack gives no link. Times are on the channel's clock:
its digest zone when it has a subscription, else DIGEST_TIMEZONE, as digests and alerts show them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.alert_kinds import BUDGET_THRESHOLDS, KINDS, PLAN_THRESHOLDS
from bot.alert_parsing import AlertsChange, AlertsIntent, AlertsStatus, BadAlerts
from bot.blocks._kit import Message, context
from bot.blocks.alert_settings import (
    KindState,
    LastAlertShown,
    SilenceShown,
    build_alert_settings,
    build_alerts_changed,
    build_bad_alerts,
)
from bot.db.alert_store import AlertStore, PostedAlert
from bot.digest.store import DigestStore

log = logging.getLogger(__name__)
NO_BUDGET = "No budget is set here: `/katalo budget set 500` sets one."


def channel_zone(digests: DigestStore, default: tzinfo) -> Callable[[str], tzinfo]:
    """The clock a channel's messages show times on: its digest zone, else the default (DIGEST_TIMEZONE)."""

    def zone(channel_id: str) -> tzinfo:
        subscription = digests.subscription(channel_id)
        return subscription.zone if subscription is not None else default

    return zone


@dataclass
class ChannelAlerts:
    store: AlertStore
    slack: WebClient
    zone_of: Callable[[str], tzinfo]
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    plan_thresholds: Sequence[int] = PLAN_THRESHOLDS  # ALERT_THRESHOLDS, named in the answer
    budget_thresholds: Sequence[int] = BUDGET_THRESHOLDS  # BUDGET_ALERT_THRESHOLDS

    def answer(self, intent: AlertsIntent, channel_id: str, user_id: str) -> Message:
        match intent:
            case AlertsStatus():
                return self.status(channel_id)
            case AlertsChange(on, kinds):
                self.store.set_enabled(channel_id, kinds, on, by_user=user_id, at=self.now())
                reply = build_alerts_changed(on, kinds, self.store.enabled_kinds(channel_id))
                if on and "budget" in kinds and self.store.budget(channel_id) is None:
                    reply["blocks"].append(context(NO_BUDGET))
                return reply
            case BadAlerts(problem):
                return build_bad_alerts(problem)
        raise AssertionError(f"unhandled alerts intent {intent!r}")

    def status(self, channel_id: str) -> Message:
        """Every kind: on or off here, any snooze or mute in force, and the last alert of it."""
        on = self.store.enabled_kinds(channel_id)
        silences = self.store.silences(channel_id, self.now())
        last = self.store.last_alerts(channel_id)
        budget_note = NO_BUDGET if self.store.budget(channel_id) is None else None
        states = [
            KindState(
                kind,
                kind in on,
                SilenceShown(s.mode, s.until, s.by_user) if (s := silences.get(kind)) else None,
                self._shown(last[kind]) if kind in last else None,
                budget_note if kind == "budget" else None,
            )
            for kind in KINDS
        ]
        return build_alert_settings(
            states,
            zone=self.zone_of(channel_id),
            plan_thresholds=self.plan_thresholds,
            budget_thresholds=self.budget_thresholds,
        )

    def _shown(self, alert: PostedAlert) -> LastAlertShown:
        # An alert carried over from the previous version has no known message to link.
        link = permalink(self.slack, alert.channel_id, alert.ts) if alert.ts else None
        return LastAlertShown(alert.headline, alert.posted_at, link, alert.acknowledged_by, alert.cleared_at)


def permalink(slack: WebClient, channel_id: str, ts: str) -> str | None:
    """A link to a message, or None when Slack will not give one (the answer shows the time instead)."""
    try:
        return str(slack.chat_getPermalink(channel=channel_id, message_ts=ts)["permalink"])
    except SlackApiError as error:  # a link is a nicety; the answer is still useful without it
        log.info("no permalink for %s/%s: %s", channel_id, ts, error.response.get("error"))
        return None
