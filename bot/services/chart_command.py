"""`/katalo chart [PERIOD]`: the spend chart for a period (a bar a day; a bar a week beyond MAX_DAYS
days), posted in the channel it was asked in.

A private (ephemeral) answer cannot carry files in Slack, so the picture goes to the channel, with a
one-line message naming who asked, the period and its total; the asker gets a private line saying
where it went and why, or why nothing was posted. Periods are read as spend questions read them
(bot.periods, local days in REPORT_TIMEZONE); the default is the current billing period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from slack_sdk import WebClient

from bot.blocks._kit import Message, code, escape, mention, message, section, truncate
from bot.charts.alt import span
from bot.charts.daily import MAX_DAYS, render_daily_spend
from bot.formatting import usd
from bot.katalo.client import KataloClient
from bot.ledger.mirror import LedgerMirror
from bot.ledger.spend import SpendQueries
from bot.parsing import ChartIntent
from bot.periods import Period, PeriodSpec, resolve
from bot.services.charts import daily_spend, share_chart
from bot.services.spend import MIRROR_MAX_AGE, MIRROR_TIME_LIMIT, billing_bounds


@dataclass
class ChannelCharts:
    client: KataloClient
    mirror: LedgerMirror
    slack: WebClient
    zone: tzinfo = UTC
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def post(self, intent: ChartIntent, channel: str, user: str | None) -> Message:
        """Post the chart in `channel`; the private line for the asker."""
        if intent.unreadable is not None:
            return _note(
                f"I cannot read {code(truncate(intent.unreadable, 60))} as a period: try "
                "`/katalo chart last 14 days`, `/katalo chart 2026-11` or `/katalo chart this period`."
            )
        self.mirror.ensure_fresh(MIRROR_MAX_AGE, MIRROR_TIME_LIMIT)
        now = self.now()
        period = self._period(intent.period or PeriodSpec("this_period"), now)
        if isinstance(period, str):
            return _note(escape(period))
        figures = daily_spend(SpendQueries(self.mirror.store.engine), period, now)
        if len(figures.days) > MAX_DAYS:  # the days begun, as a shared answer's chart counts them
            figures = figures.by_week()
        unit = "weekly" if figures.weekly else "daily"
        dates = span(figures.first_day, figures.last_day)
        asked_by = f"{mention(user)} asked for the" if user else "The"
        failure = share_chart(
            self.slack,
            lambda: render_daily_spend(figures),
            filename=f"katalo-{unit}-spend-{period.first_day}-{period.last_day}.png",
            title=f"{unit.capitalize()} spend, {dates}",
            channel=channel,
            comment=f"{asked_by} {unit} spend, {dates} ({figures.zone}): {usd(figures.total)} in total.",
        )
        if failure is not None:  # it names the fix when there is one (UPLOAD_FIXES)
            return _note(escape(failure) + ".")
        return _note(
            f"Posted the {unit} spend chart for {escape(dates)} in this channel "
            "(a private answer cannot carry a picture in Slack)."
        )

    def _period(self, spec: PeriodSpec, now: datetime) -> Period | str:
        """The period to draw, or the sentence saying why it cannot be drawn."""
        billing = billing_bounds(self.client) if spec.kind in ("this_period", "last_period") else None
        period = resolve(spec, now=now, zone=self.zone, billing=billing)
        if not isinstance(period, Period):
            return period.sentence
        return period


def _note(text: str) -> Message:
    """A one-line private answer (mrkdwn, already escaped)."""
    return message(text, [section(text)])
