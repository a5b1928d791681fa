"""Saying an alert in Slack exactly once: post it, update it in place, reply in its thread.

Each act is a step claimed in the database first (bot/db/alert_steps.py), composed before claiming:
- post: chat.postMessage with metadata naming the alert's key.
- worse: chat.update of the stored ts with the new level (the status lines rebuilt from the store),
  then one reply in its thread, so the channel is told once. When the message is gone (deleted:
  Slack answers message_not_found or cant_update_message; or never known, as for an alert carried
  over from the version before the alert engine), the alert is posted anew at the new level and
  its new ts recorded, within the same claimed step, so once.
- cleared: one reply in the alert's thread; nothing is said when the alert's message was never
  known, or was deleted (Slack answers thread_not_found), and it is recorded as cleared all the same.
A runner that takes over the claim of one that died looks first for what it left (found.py): the
post in the channel's history, the reply in the alert's thread, and records it instead of saying it
twice. A refused call gives the claim back, so the next check (five minutes later) tries again.
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
from bot.services.alerts.conditions import Condition
from bot.services.alerts.found import find_left, post_metadata, reply_metadata

log = logging.getLogger(__name__)
GONE = ("message_not_found", "cant_update_message")  # chat.update of a message deleted (or not ours)

Status = Literal[
    "posted",
    "found_posted",
    "updated",
    "reposted",
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
        posted = self._post(claim, message)
        if isinstance(posted, Failed):
            return AlertOutcome(channel, condition.kind, "failed", posted.reason, condition.key)
        self._record_post(claim, condition, view, posted.ts)
        status: Status = "found_posted" if posted.found else "posted"
        return AlertOutcome(channel, condition.kind, status, key=condition.key, message=message)

    def worsen(self, channel: str, condition: Condition, view: AlertView, alert: PostedAlert) -> AlertOutcome:
        message, reply = build_alert(view), build_alert_reply(condition.worse_text)
        step = f"level:{condition.level}"
        claim = self._steps.claim(channel, condition.key, step, self._now())
        if claim is None:
            return self._not_claimed(channel, condition.kind, condition.key, step)
        updated = self._update(claim, alert.ts, message)
        if isinstance(updated, Failed):
            return AlertOutcome(channel, condition.kind, "failed", updated.reason, condition.key)
        if not updated:  # the message is gone: the alert is posted anew at this level
            posted = self._post(claim, message)
            if isinstance(posted, Failed):
                return AlertOutcome(channel, condition.kind, "failed", posted.reason, condition.key)
            self._store.record_moved(
                channel, condition.key, ts=posted.ts, level=condition.level, headline=view.headline
            )
            self._steps.done(claim, posted.ts)
            gone = "its message was deleted" if alert.ts else "its earlier message is not known"
            return AlertOutcome(channel, condition.kind, "reposted", gone, condition.key, message)
        said = self._reply(claim, alert.ts, reply)  # None: deleted since the update, nothing to reply to
        if isinstance(said, Failed):
            return AlertOutcome(channel, condition.kind, "failed", said.reason, condition.key)
        self._store.record_level(channel, condition.key, level=condition.level, headline=view.headline)
        self._steps.done(claim, said)
        return AlertOutcome(channel, condition.kind, "updated", key=condition.key, message=message)

    def clear(self, channel: str, alert: PostedAlert, text: str) -> AlertOutcome:
        reply = build_alert_reply(text)
        step = f"clear:{alert.level}"
        claim = self._steps.claim(channel, alert.key, step, self._now())
        if claim is None:
            return self._not_claimed(channel, alert.kind, alert.key, step)
        said = self._reply(claim, alert.ts, reply) if alert.ts else None  # no thread to reply in
        if isinstance(said, Failed):
            return AlertOutcome(channel, alert.kind, "failed", said.reason, alert.key)
        self._store.record_cleared(channel, alert.key, self._now())
        self._steps.done(claim, said)
        return AlertOutcome(channel, alert.kind, "cleared", key=alert.key, message=reply if said else None)

    def _post(self, claim: StepClaim, message: Message) -> Posted | Failed:
        """The alert posted with its metadata, or found posted by the runner this claim was taken from."""
        if claim.kind == "take_over":
            found = find_left(self._slack, claim, self._now())
            if found is not None:
                return Posted(found, found=True)
        metadata = post_metadata(claim.alert_key)
        call = lambda: self._slack.chat_postMessage(channel=claim.channel_id, metadata=metadata, **message)  # noqa: E731
        response = self._call(claim, call)
        return response if isinstance(response, Failed) else Posted(str(response["ts"]))

    def _update(self, claim: StepClaim, ts: str, message: Message) -> bool | Failed:
        """True once the alert at `ts` shows `message`; False when it is gone (deleted, or never known)."""
        if not ts:
            return False
        try:
            self._slack.chat_update(channel=claim.channel_id, ts=ts, **message)
        except SlackApiError as error:
            if error.response.get("error") in GONE:
                log.info(
                    "alert %s in %s: its message %s is gone; posting it anew",
                    claim.alert_key,
                    claim.channel_id,
                    ts,
                )
                return False
            return self._failed(claim, error)
        return True

    def _reply(self, claim: StepClaim, thread_ts: str, reply: Message) -> str | Failed | None:
        """The ts of this step's reply in the alert's thread: said now, or found if a dead runner said it;
        None when the thread is gone (the alert was deleted): nothing to say it in, and nothing to retry."""
        if claim.kind == "take_over":
            found = find_left(self._slack, claim, self._now(), thread_ts=thread_ts)
            if found is not None:
                return found
        metadata = reply_metadata(claim.alert_key, claim.step)
        try:
            response = self._slack.chat_postMessage(
                channel=claim.channel_id, thread_ts=thread_ts, metadata=metadata, **reply
            )
        except SlackApiError as error:
            if error.response.get("error") != "thread_not_found":
                return self._failed(claim, error)
            log.info(
                "alert %s in %s: its thread %s is gone; no reply",
                claim.alert_key,
                claim.channel_id,
                thread_ts,
            )
            return None
        return str(response["ts"])

    def _call(self, claim: StepClaim, call: Callable[[], Any]) -> Any:
        """Slack's answer; or, when Slack refused, its error (the claim given back for the next check)."""
        try:
            return call()
        except SlackApiError as error:
            return self._failed(claim, error)

    def _failed(self, claim: StepClaim, error: SlackApiError) -> Failed:
        reason = str(error.response.get("error") or f"HTTP {error.response.status_code}")
        log.warning("alert %s (%s) to %s failed: %s", claim.alert_key, claim.step, claim.channel_id, reason)
        self._steps.release(claim)
        return Failed(f"{reason}; tried again at the next check")

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


@dataclass(frozen=True)
class Posted:
    ts: str
    found: bool = False  # posted by the runner that died, found in the channel


@dataclass(frozen=True)
class Failed:
    """Slack refused: why, for the outcome (the claim was given back)."""

    reason: str
