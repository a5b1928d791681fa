"""`/katalo digest on | off | status | preview` for the channel the command was typed in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks._kit import Message, message, section
from bot.blocks.replies import build_error
from bot.blocks.subscriptions import build_status, build_subscribed, build_unsubscribed
from bot.digest.deliver import DigestPoster
from bot.digest.schedule import next_due
from bot.digest.store import HISTORY_READ
from bot.katalo.errors import KataloError
from bot.parsing import (
    BadDigest,
    DigestIntent,
    DigestOff,
    DigestOn,
    DigestPreview,
    DigestStatus,
    zone_named,
)

log = logging.getLogger(__name__)


@dataclass
class DigestCommands:
    poster: DigestPoster
    slack: WebClient
    default_time: time
    default_zone: ZoneInfo
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def answer(self, intent: DigestIntent, channel_id: str, user_id: str | None) -> Message:
        store = self.poster.store
        match intent:
            case DigestOn(at, zone_name):
                zone = zone_named(zone_name) if zone_name else self.default_zone
                if zone is None:
                    return _problem(
                        f"`{zone_name}` is not a time zone I know: use an IANA name such as Europe/Berlin."
                    )
                at = at or self.default_time
                store.subscribe(channel_id, at, zone, by=user_id, now=self.now())
                return build_subscribed(
                    channel_id, at, zone, next_due(self.now(), at, zone, posted_today=False)
                )
            case DigestOff():
                return build_unsubscribed(store.unsubscribe(channel_id))
            case DigestStatus():
                return self._status(channel_id)
            case DigestPreview():
                subscription = store.subscription(channel_id)
                zone = subscription.zone if subscription else self.default_zone
                try:
                    return self.poster.compose(
                        channel_id, zone, self.now().astimezone(zone).date(), preview=True
                    )
                except KataloError as error:
                    return build_error(error)
            case BadDigest(problem):
                return _problem(problem)
        raise AssertionError(f"unhandled digest intent {intent!r}")

    def _status(self, channel_id: str) -> Message:
        store = self.poster.store
        subscription = store.subscription(channel_id)
        last = store.last_posted(channel_id)  # a one-off post counts too: status says which it was
        link = self._permalink(channel_id, last.message_ts if last else None)
        upcoming = None
        if subscription is not None and subscription.enabled:
            today = self.now().astimezone(subscription.zone).date()
            posted_today = last is not None and last.local_date == today
            upcoming = next_due(
                self.now(), subscription.local_time, subscription.zone, posted_today=posted_today
            )
            history = self._history_access(channel_id)
            return build_status(
                subscription, last, link, upcoming, default_zone=self.default_zone, history=history
            )
        return build_status(subscription, last, link, upcoming, default_zone=self.default_zone)

    def _history_access(self, channel_id: str) -> str:
        """`read`, Slack's error, or `unknown`: what the last take-over learnt, else one cheap look.

        Stored knowledge first: Slack allows this app conversations.history about once a minute.
        """
        known = self.poster.store.history_access(channel_id)
        if known is not None:
            return known
        # Without the rate-limit retries the app's client has: a 429 answers "unknown" now, not in a minute.
        quick = WebClient(token=self.slack.token, base_url=self.slack.base_url, timeout=self.slack.timeout)
        try:
            quick.conversations_history(channel=channel_id, limit=1)
        except SlackApiError as error:
            reason = str(error.response.get("error") or "")
            return "unknown" if reason in ("", "ratelimited") or error.response.status_code >= 500 else reason
        return HISTORY_READ

    def _permalink(self, channel_id: str, ts: str | None) -> str | None:
        if ts is None:
            return None
        try:
            return str(self.slack.chat_getPermalink(channel=channel_id, message_ts=ts)["permalink"])
        except SlackApiError as error:  # a link is a nicety; the status is still useful without it
            log.info("no permalink for %s/%s: %s", channel_id, ts, error.response.get("error"))
            return None


def _problem(text: str) -> Message:
    return message(text, [section(text)])
