"""Posting digests exactly once: claim, compose, post, record, and find a post a crash left unrecorded.

Each digest carries Slack message metadata naming its date. A runner that takes over a claim whose
poster died between deciding to post and recording Slack's answer first looks for that metadata in
the channel's history around the dead claim (history.py, within Slack's limits); only when the
digest is not there, or the history cannot be read (then it logs that a duplicate is possible), does it
post. Channel errors mark
the subscription failing (shown by `/katalo digest status`) without touching other channels.

Once its post is recorded, the runner that posted shares the digest's charts in its thread (charts.py):
best effort, never by a runner that only found the post, so a take-over never uploads them twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo
from typing import Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks._kit import Message
from bot.blocks.digest import build_digest, summarised_day
from bot.config import Allowlist
from bot.digest.charts import post_digest_charts
from bot.digest.compose import compose_digest
from bot.digest.history import DIGEST_EVENT, find_posted
from bot.digest.schedule import due_today
from bot.digest.store import HISTORY_READ, Claim, DigestStore
from bot.figures import DigestFigures
from bot.katalo.client import KataloClient
from bot.ledger.mirror import LedgerMirror
from bot.ledger.spend import SpendQueries

log = logging.getLogger(__name__)

FIXES = {
    "not_in_channel": "the bot is not in the channel: invite it with /invite @Katalo",
    "channel_not_found": "no such channel, or a private one without the bot: check the id, invite the bot",
    "is_archived": "the channel is archived: subscribe another channel",
    "invalid_auth": "Slack rejected the bot token: reinstall the app and update SLACK_BOT_TOKEN",
    "token_revoked": "the bot token was revoked: reinstall the app and update SLACK_BOT_TOKEN",
    "ratelimited": "Slack kept rate-limiting the post: it will be retried",
}

Status = Literal[
    "posted",
    "found_posted",
    "already_posted",
    "in_progress",
    "retry_later",
    "failed",
    "not_due",
    "not_allowed",
]
NOT_ALLOWED = "the channel is not in ALLOWED_CHANNEL_IDS"
_NOT_CLAIMED: dict[str | None, tuple[Status, str]] = {
    "posted": ("already_posted", "already posted today"),
    "posting": ("in_progress", "another runner is posting it (or died doing so; taken over after 5 minutes)"),
    "failed": ("retry_later", "the last attempt failed; retried 30 minutes after it"),
}


@dataclass(frozen=True)
class Outcome:
    channel_id: str
    local_date: date
    status: Status
    detail: str | None = None
    message_ts: str | None = None
    message: Message | None = None
    chart_failures: tuple[str, ...] = ()  # charts that could not be shared in the digest's thread


class DigestPoster:
    def __init__(
        self,
        store: DigestStore,
        client: KataloClient,
        mirror: LedgerMirror,
        slack: WebClient,
        *,
        allowlist: Allowlist = Allowlist(),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.allowlist = allowlist
        self._client = client
        self._mirror = mirror
        self._slack = slack
        self._now = now

    def run_due(self) -> list[Outcome]:
        """Post every subscription's digest whose time has come today and that nobody posted yet.

        Every active subscription gets an outcome, the skipped ones too (not due, already posted, not
        allowed), so that the clock can say why a digest did not go out.
        """
        now = self._now()
        outcomes = []
        for subscription in self.store.active_subscriptions():
            channel, zone = subscription.channel_id, subscription.zone
            today = now.astimezone(zone).date()
            if not self.allowlist.allows_channel(channel):
                # billing data goes only where ALLOWED_CHANNEL_IDS allows
                outcomes.append(Outcome(channel, today, "not_allowed", NOT_ALLOWED))
                continue
            due = due_today(now, subscription.local_time, zone)
            if due is None:
                when = f"not due until {subscription.local_time:%H:%M} {zone.key}"
                outcomes.append(Outcome(channel, today, "not_due", when))
            elif self.store.state_of(channel, due.local_date) == "posted":
                outcomes.append(Outcome(channel, due.local_date, *_NOT_CLAIMED["posted"]))
            else:
                outcomes.append(self.post(channel, zone, due.local_date, late=due.late))
        return outcomes

    def compose(
        self, channel_id: str, zone: tzinfo, local_date: date, *, late: bool = False, preview: bool = False
    ) -> Message:
        """The digest posted on `local_date`: about the day before, in the channel's zone."""
        return build_digest(self._figures(zone, local_date), late=late, preview=preview)

    def _figures(self, zone: tzinfo, local_date: date) -> DigestFigures:
        return compose_digest(
            summarised_day(local_date), zone, client=self._client, mirror=self._mirror, now=self._now()
        )

    def post(
        self, channel_id: str, zone: tzinfo, local_date: date, *, late: bool = False, force: bool = False
    ) -> Outcome:
        if not self.allowlist.allows_channel(channel_id):
            return Outcome(channel_id, local_date, "failed", NOT_ALLOWED)
        if force:
            self.store.release(channel_id, local_date)
        if self.store.state_of(channel_id, local_date) == "posted":
            return Outcome(channel_id, local_date, *_NOT_CLAIMED["posted"])
        # Composed before claiming: a slow Katalo or a failure while composing never holds a claim that
        # another runner could take over (and post a second copy) while this one is still working.
        figures = self._figures(zone, local_date)
        message = build_digest(figures, late=late)
        claim = self.store.claim(channel_id, local_date, self._now(), late=late)
        if claim is None:
            status, detail = _NOT_CLAIMED.get(
                self.store.state_of(channel_id, local_date), _NOT_CLAIMED["posting"]
            )
            return Outcome(channel_id, local_date, status, detail)
        history = self._take_over(claim) if claim.kind == "take_over" else None
        if isinstance(history, Outcome):
            return history
        outcome = self._send(claim, message, history=history)
        if outcome.status != "posted" or outcome.message_ts is None:
            return outcome
        queries = SpendQueries(self._mirror.store.engine)
        failures = post_digest_charts(self._slack, queries, figures, channel_id, outcome.message_ts)
        return replace(outcome, chart_failures=tuple(failures))

    def _take_over(self, claim: Claim) -> Outcome | str | None:
        """Record the dead poster's digest if it is in Slack (an Outcome); else what history said.

        The rule where the channel's history cannot be read: post, and log that a copy is possible
        (a second digest is seen and harmless; a missing one nobody notices). The string returned is
        kept with the claim so `/katalo digest status` can name the channel's guarantee.
        """
        since = claim.claimed_before or self._now()
        lookup = find_posted(self._slack, claim.channel_id, claim.local_date, since)
        channel, day = claim.channel_id, claim.local_date
        if lookup.ts is not None:
            self.store.mark_posted(claim, lookup.ts, self._now(), history=HISTORY_READ)
            log.info("digest for %s on %s was posted before a crash; recorded it", channel, day)
            return Outcome(channel, day, "found_posted", message_ts=lookup.ts)
        if lookup.error is not None:
            log.warning(
                "cannot read %s history to check for the digest of %s (%s): posting it; "
                "a duplicate is possible if the crashed runner had posted it",
                channel,
                day,
                lookup.error,
            )
            # a rate limit says nothing lasting about the channel; the other errors do
            return None if lookup.error == "ratelimited" else lookup.error
        if not lookup.complete:
            log.warning(
                "the digest of %s for %s is not in the %d messages read after the crashed claim: "
                "posting it; a duplicate is possible",
                day,
                channel,
                lookup.read,
            )
        return HISTORY_READ

    def _send(self, claim: Claim, message: Message, *, history: str | None = None) -> Outcome:
        metadata = {"event_type": DIGEST_EVENT, "event_payload": {"date": claim.local_date.isoformat()}}
        try:
            response = self._slack.chat_postMessage(channel=claim.channel_id, metadata=metadata, **message)
        except SlackApiError as error:
            return self._failed(
                claim, str(error.response.get("error") or f"HTTP {error.response.status_code}")
            )
        self.store.mark_posted(claim, response.get("ts"), self._now(), history=history)
        self.store.clear_failing(claim.channel_id)
        return Outcome(
            claim.channel_id, claim.local_date, "posted", message_ts=response.get("ts"), message=message
        )

    def _failed(self, claim: Claim, reason: str) -> Outcome:
        """Record a refused post: the claim may be retried later today; other channels go on."""
        fix = FIXES.get(reason, "Slack refused the post; it will be retried in 30 minutes")
        log.error("digest to %s failed: %s (%s)", claim.channel_id, reason, fix)
        self.store.mark_failed(claim, reason)
        self.store.mark_failing(claim.channel_id, f"{reason}: {fix}", self._now())
        return Outcome(claim.channel_id, claim.local_date, "failed", f"{reason}: {fix}")
