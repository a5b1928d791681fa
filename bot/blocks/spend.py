"""`/katalo spend`: what was spent in a period, the change against the period before, a breakdown whose
rows add up to the total, a bar per day, and controls (period, breakdown, a custom range) to ask again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from bot import slack_ids
from bot.blocks._kit import (
    Block,
    Message,
    actions,
    button,
    code,
    context,
    escape,
    header,
    mention,
    message,
    section,
)
from bot.blocks._kit import fields_section as fields
from bot.blocks.events import freshness_line
from bot.blocks.spend_controls import controls
from bot.figures import DaySpend, Freshness, SpendRow, SpendTotals
from bot.formatting import BAR_EMPTY, BAR_FULL, percent, plural, usd
from bot.periods import Period
from bot.spend_parsing import SpendQuestion

TOP_ROWS = 10
CHART_DAYS = range(2, 32)  # a bar per day for periods of 2 to 31 days
BAR_WIDTH = 20
RECENT = timedelta(hours=1)  # a period reaching into the last hour may still gain events
_BY = {"type": "usage type", "config": "config", "job": "job", "day": "day"}


@dataclass(frozen=True)
class SpendReport:
    """Everything one spend answer shows, read from the mirror by the service."""

    question: SpendQuestion
    period: Period
    totals: SpendTotals
    previous: Period
    previous_amount: Decimal
    rows: list[SpendRow]  # the largest groups of the breakdown (TOP_ROWS at most), largest first
    groups: int  # how many groups the breakdown has in all
    days: list[DaySpend]  # per local day, when the period spans CHART_DAYS; else []
    freshness: Freshness
    now: datetime

    @property
    def provisional(self) -> bool:
        """The mirror may not hold every event of the period yet."""
        synced = self.freshness.synced_at
        recent = self.period.end > self.now - RECENT
        return not self.freshness.complete or synced is None or synced < self.period.end or recent


def build_spend(report: SpendReport, *, shared_by: str | None = None) -> Message:
    period, totals = report.period, report.totals
    blocks: list[Block] = [
        header(f"Spend · {period_name(period)}"),
        section(_headline(report)),
        fields(
            [
                f"*Billable events*\n{totals.billable_events:,}",
                f"*Not billed*\n{totals.unbilled_events:,}",
                f"*Jobs*\n{totals.jobs:,}",
                f"*Events*\n{totals.events:,}",
            ]
        ),
        section(_rows_text(report)),
    ]
    if report.days and period.day_count in CHART_DAYS:
        blocks.append(section(_chart(report.days)))
    blocks.append(context(_where_and_when(report, shared_by)))
    if shared_by is None:
        blocks += controls(report.question, period, report.now)
        if len(report.question.text) <= 1500:
            share = {"kind": "spend", "q": report.question.text}
            blocks.append(
                actions(
                    slack_ids.ACTIONS_BLOCK, button("Share to channel", slack_ids.SHARE_TO_CHANNEL, share)
                )
            )
    text = (
        f"Spend {period_name(period)} ({dates(period)}, {zone_name(period)}): {usd(totals.amount_usd)} "
        f"over {plural(totals.events, 'event')}."
    )
    return message(text, blocks)


def build_bad_spend(problem: str) -> Message:
    """A spend question that cannot be answered: the sentence, escaped, and how to ask."""
    text = escape(problem)
    hint = (
        f"For example `{slack_ids.COMMAND} spend last week by config` or "
        f"`{slack_ids.COMMAND} spend 2026-10 type:upscale`."
    )
    return message(text, [section(f":grey_question: {text}"), context(hint)])


def period_name(period: Period) -> str:
    return period.spec.text


def dates(period: Period) -> str:
    first, last = period.first_day, period.last_day
    if first == last:
        return f"{first:%a %-d %b %Y}"
    return f"{first:%a %-d %b} – {last:%a %-d %b %Y}"


def zone_name(period: Period) -> str:
    return str(getattr(period.zone, "key", period.zone))


def _headline(report: SpendReport) -> str:
    total, before = report.totals.amount_usd, report.previous_amount
    change = total - before
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    share = f" ({'+' if change > 0 else ''}{percent(change / before)})" if before else ""
    signed = ("+" if change > 0 else "") + usd(change)
    lines = [
        f"*{usd(total)}* billed, {dates(report.period)} ({escape(zone_name(report.period))})",
        f"{arrow} {signed}{share} vs {dates(report.previous)} ({usd(before)})",
    ]
    only = report.question
    if only.types or only.configs:
        named = [f"type {code(t)}" for t in only.types] + [f"config {code(c)}" for c in only.configs]
        lines.append("Only " + ", ".join(named))
    return "\n".join(lines)


def _rows_text(report: SpendReport) -> str:
    """The top rows and one "N others" row; their amounts and counts add up to the totals exactly."""
    by = report.question.breakdown
    title = f"*By {_BY[by]}*"
    if not report.rows:
        return f"{title}\nNo events in this period."
    total, shown = report.totals.amount_usd, report.rows[:TOP_ROWS]
    lines = [_row_line(_key(row.key, by), row.amount_usd, row.events, total) for row in shown]
    others = report.groups - len(shown)
    if others > 0:  # what the shown rows leave of the totals, read in the same snapshot
        amount = total - sum((row.amount_usd for row in shown), Decimal("0.00"))
        events = report.totals.events - sum(row.events for row in shown)
        lines.append(_row_line(f"{others:,} other {_BY[by]}s", amount, events, total))
    return "\n".join([title, *lines])


def _row_line(label: str, amount: Decimal, events: int, total: Decimal) -> str:
    share = percent(amount / total) if total else "–"
    return f"{label} · *{usd(amount)}* · {share} · {plural(events, 'event')}"


def _key(key: str | None, by: str) -> str:
    if key is None:
        return "_not stated_"
    if by == "day":
        return f"{date.fromisoformat(key):%a %-d %b}"
    return code(key)


def _chart(days: list[DaySpend]) -> str:
    """One line per local day: a bar scaled to the largest day, and the amount."""
    top = max((d.amount_usd for d in days), default=Decimal(0))
    lines = []
    for day in days:
        filled = int(day.amount_usd / top * BAR_WIDTH) if top > 0 else 0
        filled = max(filled, 1) if day.amount_usd > 0 else filled
        lines.append(
            f"{day.day:%a %d %b} {BAR_FULL * filled}{BAR_EMPTY * (BAR_WIDTH - filled)} {usd(day.amount_usd)}"
        )
    return "*Per day*\n```" + "\n".join(lines) + "```"


def _where_and_when(report: SpendReport, shared_by: str | None) -> str:
    parts = [
        f"Local dates in {escape(zone_name(report.period))}",
        freshness_line(report.freshness, report.period.zone),
    ]
    if report.provisional:
        parts.append("*Provisional:* events of the last hour, or not yet mirrored, may still arrive.")
    if shared_by:
        parts.append(f"Shared by {mention(shared_by)}")
    return " · ".join(parts)
