"""Threshold alerts: consumption crossing 80% and 100% of the plan (configurable), or access turning off.

One alert per channel, threshold and billing period, not one per check: the claim row decides. A new
billing period has a new key, so it re-arms every threshold. When one check finds several thresholds
crossed at once (70% → 105%), all are claimed and only the highest is posted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks._kit import Message, context, message, section
from bot.config import Allowlist
from bot.digest.deliver import NOT_ALLOWED
from bot.digest.store import DigestStore
from bot.formatting import clock_time, percent, progress_bar, units
from bot.katalo.client import KataloClient
from bot.katalo.errors import KataloError
from bot.katalo.models import UsageSummary

log = logging.getLogger(__name__)
NO_PERIOD = datetime(1970, 1, 1, tzinfo=UTC)  # the key when Katalo reports no billing period


@dataclass(frozen=True)
class AlertOutcome:
    """What became of one alert (`threshold_80`, `access_off`) in one channel, and why, when not posted."""

    channel_id: str
    kind: str
    status: Literal["posted", "already_posted", "superseded", "not_allowed", "failed"]
    detail: str | None = None


class AlertChecker:
    def __init__(
        self,
        store: DigestStore,
        client: KataloClient,
        slack: WebClient,
        *,
        thresholds: Sequence[int] = (80, 100),
        allowlist: Allowlist = Allowlist(),
        tz: tzinfo = UTC,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store, self._client, self._slack = store, client, slack
        self._thresholds = sorted(thresholds)
        self._allowlist = allowlist
        self._tz, self._now = tz, now

    def check(self) -> list[AlertOutcome]:
        """Post what newly crossed; an outcome for every crossed alert in every channel, posted or why not."""
        try:
            summary = self._client.usage_summary(refresh=True).value
        except KataloError as error:
            log.warning("alert check skipped: %s", error)
            return []
        period = summary.billing_period.start_at if summary.billing_period else NO_PERIOD
        alerts = self._alerts(summary)
        outcomes = []
        for subscription in self._store.active_subscriptions():
            outcomes += self._check_channel(subscription.channel_id, period, alerts)
        return outcomes

    def _check_channel(
        self, channel: str, period: datetime, alerts: list[tuple[str, Message]]
    ) -> list[AlertOutcome]:
        if not self._allowlist.allows_channel(channel):
            # billing data goes only where ALLOWED_CHANNEL_IDS allows
            return [AlertOutcome(channel, kind, "not_allowed", NOT_ALLOWED) for kind, _ in alerts]
        won = [
            (kind, text)
            for kind, text in alerts
            if self._store.claim_alert(channel, period, kind, self._now())
        ]
        outcomes = [
            AlertOutcome(channel, kind, "already_posted", "already posted this billing period")
            for kind, _ in alerts
            if kind not in dict(won)
        ]
        thresholds = [item for item in won if item[0].startswith("threshold")]
        outcomes += [
            AlertOutcome(channel, kind, "superseded", f"{thresholds[-1][0]} is posted instead")
            for kind, _ in thresholds[:-1]
        ]
        for kind, alert in [item for item in won if item[0] == "access_off"] + thresholds[-1:]:
            error = self._send(channel, alert)
            if error is None:
                outcomes.append(AlertOutcome(channel, kind, "posted"))
            else:  # not sent: give the claim back so the next check tries again
                self._store.release_alert(channel, period, kind)
                outcomes.append(
                    AlertOutcome(channel, kind, "failed", f"{error}; tried again at the next check")
                )
        return outcomes

    def _alerts(self, summary: UsageSummary) -> list[tuple[str, Message]]:
        alerts = []
        fraction = summary.usage.fraction_used
        for threshold in self._thresholds:
            if fraction is not None and fraction * 100 >= threshold:
                alerts.append((f"threshold_{threshold}", self._threshold_message(summary, threshold)))
        if summary.access is not None and summary.access.enabled is False:
            text = "Katalo API access is off for this organization: new generation jobs will be refused."
            alerts.append(("access_off", message(text, [section(f":red_circle: *{text}*")])))
        return alerts

    def _threshold_message(self, summary: UsageSummary, threshold: int) -> Message:
        usage = summary.usage
        fraction = Decimal(usage.fraction_used or 0)
        what = "the whole plan" if threshold >= 100 else f"{threshold}% of the plan"
        used = f"{units(usage.consumed)} of {units(usage.included or 0)}"
        bar = (
            f"`{progress_bar(fraction)}` *{percent(fraction)}* · {used} · overage {units(usage.overage or 0)}"
        )
        blocks = [
            section(f":rotating_light: *Katalo usage has reached {what}*\n{bar}"),
            context(
                f"As of {clock_time(self._now(), self._tz)} · one alert per threshold per billing period"
            ),
        ]
        return message(f"Katalo usage has reached {what}: {percent(fraction)} used ({used}).", blocks)

    def _send(self, channel: str, alert: Message) -> str | None:
        """None once posted; otherwise Slack's error code."""
        try:
            self._slack.chat_postMessage(channel=channel, **alert)
        except SlackApiError as error:
            reason = str(error.response.get("error") or f"HTTP {error.response.status_code}")
            log.warning("alert to %s failed: %s", channel, reason)
            return reason
        return None
