"""The spend chart that goes with a spend answer shared to a channel or posted in a mention's thread.

A private (ephemeral) answer cannot carry files in Slack, so only a shared answer gets a picture: the
daily spend of the same local days and the same filters, read in the answer's own snapshot (so the
alt text's total is the message's total), uploaded with files_upload_v2 into the shared message's
thread, as the digest does with its charts: the picture sits under the answer it illustrates, and
the channel gets one message per share, not two.

A chart is drawn for periods with 2 to `MAX_DAYS` begun days with one bar a day, for longer ones (up
to the 400 days a question may take) with one bar a week from Monday; a one-day period is shared
without one, and the sharer is told why. Drawing and uploading are best effort
(bot.services.charts.share_chart): a failure is logged with its cause and told to the sharer; the
shared text is already out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient

from bot.blocks._kit import Message
from bot.charts.alt import span
from bot.charts.daily import MAX_DAYS, render_daily_spend
from bot.charts.figures import DailySpend
from bot.ledger.spend import SpendFilter, SpendQueries
from bot.periods import Period
from bot.services.charts import daily_spend, share_chart
from bot.spend_parsing import SpendQuestion

CHART_DAYS = range(2, MAX_DAYS + 1)  # begun local days drawn a bar a day; more, a bar a week


@dataclass(frozen=True)
class ChannelAnswer:
    """An answer to post in a channel, and the spend chart for its thread (spend answers only)."""

    message: Message
    worth_sharing: bool  # False: an error or help, for the one who pressed and not for the channel
    chart: DailySpend | None = None
    no_chart: str | None = None  # why a spend answer goes without a chart, as a sentence


def chart_for(
    queries: SpendQueries, question: SpendQuestion, period: Period, now: datetime
) -> DailySpend | str:
    """The figures of the answer's chart (a bar a day, or a week for more than MAX_DAYS days), or why
    there is none (a sentence)."""
    begun = sum(1 for _, start, _ in period.days() if start < now)
    if begun < CHART_DAYS.start:
        so_far = " so far" if begun < period.day_count else ""
        return (
            f"Shared without a chart: a spend chart is drawn for {CHART_DAYS.start} days or more, and "
            f"{period.spec.text} has {begun:,}{so_far}."
        )
    only = SpendFilter(question.types, question.configs)
    figures = daily_spend(queries, period, now, only, scope(question))
    return figures if begun in CHART_DAYS else figures.by_week()


def scope(question: SpendQuestion) -> str:
    """`type upscale, config cfg_…`: the filters, as the chart's subtitle and alt text name them."""
    named = [f"type {t}" for t in question.types] + [f"config {c}" for c in question.configs]
    text = ", ".join(named)
    return text if len(text) <= 80 else text[:79] + "…"


def post_chart(slack: WebClient, shared: ChannelAnswer, *, channel: str, thread_ts: str) -> str | None:
    """Upload the shared answer's chart into its thread; a sentence for the sharer when none went."""
    if shared.chart is None:
        return shared.no_chart
    failure = upload_chart(slack, shared.chart, channel=channel, thread_ts=thread_ts)
    return None if failure is None else f"Shared, but its chart{failure}."


def upload_chart(slack: WebClient, figures: DailySpend, *, channel: str, thread_ts: str) -> str | None:
    """Draw and upload a spend chart (daily or weekly) into a thread; None when it went, else why not,
    as the end of a sentence whose subject is the chart (` could not be uploaded (missing_scope): …`)."""
    first, last = figures.first_day, figures.last_day
    unit = "weekly" if figures.weekly else "daily"
    title = f"{unit.capitalize()} spend, {span(first, last)}"
    failure = share_chart(
        slack,
        lambda: render_daily_spend(figures),
        filename=f"katalo-{unit}-spend-{first}-{last}.png",
        title=title,
        channel=channel,
        thread_ts=thread_ts,
    )
    # "<title> could not be uploaded (reason): fix" -> " could not be uploaded (reason): fix"
    return None if failure is None else failure.removeprefix(title)
