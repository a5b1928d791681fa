"""Saying an alert in Slack exactly once: post it, update it in place, reply in its thread.

Each act is a step claimed in the database first (bot/db/alert_steps.py), composed before claiming:
- post: chat.postMessage with metadata naming the alert's key. A runner that takes over the claim of
  one that died looks in the channel's history for that metadata first (bot/digest/history.py, the
  digest's narrow look), and records the post it finds instead of posting a second one.
- worse: chat.update of the stored ts with the new level (the acknowledgement kept), then one reply
  in its thread, so the channel is told once.
- cleared: one reply in the alert's thread.
A refused call gives the claim back, so the next check (five minutes later) tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks._kit import Message
from bot.blocks.alerts import AlertView, build_alert, build_alert_reply
from bot.db.alert_steps import AlertSteps, StepClaim
from bot.db.alert_store import AlertStore, PostedAlert
from bot.digest.history import find_message
from bot.services.alerts.conditions import Condition

log = logging.getLogger(__name__)
ALERT_EVENT = "katalo_alert"

Status = Literal[
    "posted",
    "found_posted",
    "updated",
    "cleared",
    "already_posted",
    "in_progress",
    "silenced",
    "not_allowed",
    "failed",
    "would_post",
    "would_update",
    "would_clear",
]


@dataclass(frozen=True)
class AlertOutcome:
    """What became of one alert condition in one channel, and why when nothing was said."""

    channel_id: str
    kind: str
    status: Status
    detail: str | None = None
    key: str | None = None
    message: Message | None = None  # what was (or, in a dry run, would be) said


class AlertSlack:
    def __init__(
        self, store: AlertStore, steps: AlertSteps, slack: WebClient, now: Callable[[], datetime]
    ) -> None:
        self._store, self._steps, self._slack, self._now = store, steps, slack, now

    def post(self, channel: str, condition: Condition, view: AlertView) -> AlertOutcome:
        message = build_alert(view)
        claim = self._steps.claim(channel, condition.key, "post", self._now())
        if claim is None:
            return self._not_claimed(channel, condition.kind, condition.key, "post")
        if claim.kind == "take_over":
            found = self._find(claim)
            if found is not None:
                self._record_post(claim, condition, view, found)
                return AlertOutcome(channel, condition.kind, "found_posted", key=condition.key)
        metadata = {"event_type": ALERT_EVENT, "event_payload": {"key": condition.key}}
        response = self._call(
            claim, lambda: self._slack.chat_postMessage(channel=channel, metadata=metadata, **message)
        )
        if isinstance(response, str):
            return AlertOutcome(channel, condition.kind, "failed", response, condition.key)
        self._record_post(claim, condition, view, str(response["ts"]))
        return AlertOutcome(channel, condition.kind, "posted", key=condition.key, message=message)

    def worsen(self, channel: str, condition: Condition, view: AlertView, alert: PostedAlert) -> AlertOutcome:
        message, reply = build_alert(view), build_alert_reply(condition.worse_text)
        step = f"level:{condition.level}"
        claim = self._steps.claim(channel, condition.key, step, self._now())
        if claim is None:
            return self._not_claimed(channel, condition.kind, condition.key, step)

        def say() -> Any:
            self._slack.chat_update(channel=channel, ts=alert.ts, **message)
            return self._slack.chat_postMessage(channel=channel, thread_ts=alert.ts, **reply)

        response = self._call(claim, say)
        if isinstance(response, str):
            return AlertOutcome(channel, condition.kind, "failed", response, condition.key)
        self._store.record_level(channel, condition.key, level=condition.level, headline=view.headline)
        self._steps.done(claim, str(response["ts"]))
        return AlertOutcome(channel, condition.kind, "updated", key=condition.key, message=message)

    def clear(self, channel: str, alert: PostedAlert, text: str) -> AlertOutcome:
        reply = build_alert_reply(text)
        step = f"clear:{alert.level}"
        claim = self._steps.claim(channel, alert.key, step, self._now())
        if claim is None:
            return self._not_claimed(channel, alert.kind, alert.key, step)
        call = lambda: self._slack.chat_postMessage(channel=channel, thread_ts=alert.ts, **reply)  # noqa: E731
        response = self._call(claim, call)
        if isinstance(response, str):
            return AlertOutcome(channel, alert.kind, "failed", response, alert.key)
        self._store.record_cleared(channel, alert.key, self._now())
        self._steps.done(claim, str(response["ts"]))
        return AlertOutcome(channel, alert.kind, "cleared", key=alert.key, message=reply)

    def _call(self, claim: StepClaim, call: Callable[[], Any]) -> Any:
        """Slack's answer; or, when Slack refused, its error (the claim given back for the next check)."""
        try:
            return call()
        except SlackApiError as error:
            reason = str(error.response.get("error") or f"HTTP {error.response.status_code}")
            log.warning(
                "alert %s (%s) to %s failed: %s", claim.alert_key, claim.step, claim.channel_id, reason
            )
            self._steps.release(claim)
            return f"{reason}; tried again at the next check"

    def _find(self, claim: StepClaim) -> str | None:
        """The ts of the alert a dead runner posted, if the channel's history shows it."""
        since = claim.claimed_before or self._now()
        key = claim.alert_key
        lookup = find_message(self._slack, claim.channel_id, since, lambda message: _is_alert(message, key))
        if lookup.ts is None:
            why = lookup.error or (
                "not found" if lookup.complete else f"not in the {lookup.read} messages read"
            )
            log.warning(
                "alert %s in %s after a crash: %s; posting it (a copy is possible)",
                key,
                claim.channel_id,
                why,
            )
        return lookup.ts

    def _record_post(self, claim: StepClaim, condition: Condition, view: AlertView, ts: str) -> None:
        self._store.record_post(
            claim.channel_id,
            condition.kind,
            condition.key,
            ts=ts,
            headline=view.headline,
            level=condition.level,
            at=self._now(),
        )
        self._steps.done(claim, ts)

    def _not_claimed(self, channel: str, kind: str, key: str, step: str) -> AlertOutcome:
        if self._steps.state(channel, key, step) == "done":
            return AlertOutcome(channel, kind, "already_posted", "already said", key)
        return AlertOutcome(channel, kind, "in_progress", "another runner is saying it", key)


def _is_alert(message: dict[str, Any], key: str) -> bool:
    metadata = message.get("metadata") or {}
    return (
        metadata.get("event_type") == ALERT_EVENT and (metadata.get("event_payload") or {}).get("key") == key
    )
