"""The digest's charts: the plan burn-down and the last 14 days' spend, in the digest's thread.

Best effort, and uploaded only by the runner that posted the digest: DigestPoster calls
`post_digest_charts` right after its own chat.postMessage succeeded and was recorded. A runner that
finds the digest already in the channel (posted before a crash) uploads none: it cannot tell whether
the charts went out too, and a second copy is worse than a missing picture (the text carries every
figure). A chart that cannot be drawn or uploaded is logged with its cause; the digest stays posted.
"""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient

from bot.charts.burndown import render_burn_down
from bot.charts.daily import render_daily_spend
from bot.charts.figures import Chart
from bot.figures import DigestFigures
from bot.ledger.spend import SpendQueries
from bot.periods import Period, PeriodSpec, resolve
from bot.services.charts import burn_down, daily_spend, share_chart

SPEND_DAYS = 14  # the daily spend chart: the summarised day and the 13 before it


def post_digest_charts(
    slack: WebClient, queries: SpendQueries, figures: DigestFigures, channel: str, thread_ts: str
) -> list[str]:
    """Share the burn-down (when the plan has included units) and the daily spend in the thread;
    the sentences of the charts that could not be shared."""
    day = figures.local_date.isoformat()
    failures = [
        share_chart(
            slack,
            lambda: _burn_down(queries, figures),
            filename=f"katalo-burn-down-{day}.png",
            title="Plan burn-down for the billing period",
            channel=channel,
            thread_ts=thread_ts,
        ),
        share_chart(
            slack,
            lambda: render_daily_spend(daily_spend(queries, _last_days(figures), figures.as_of)),
            filename=f"katalo-daily-spend-{day}.png",
            title=f"Daily spend, last {SPEND_DAYS} days",
            channel=channel,
            thread_ts=thread_ts,
        ),
    ]
    return [failure for failure in failures if failure is not None]


def _burn_down(queries: SpendQueries, figures: DigestFigures) -> Chart | None:
    """The burn-down at the digest's pace (trailing week); None without the summary or a plan."""
    if figures.summary is None:
        return None
    pace = figures.projection.per_day if figures.projection else None
    drawn = burn_down(queries, figures.summary.value, figures.as_of, figures.zone, pace)
    return None if drawn is None else render_burn_down(drawn)


def _last_days(figures: DigestFigures) -> Period:
    last = figures.local_date
    spec = PeriodSpec("range", first=last - timedelta(days=SPEND_DAYS - 1), last=last)
    period = resolve(spec, now=figures.as_of, zone=figures.zone)
    if not isinstance(period, Period):  # the summarised day is yesterday: never in the future
        raise TypeError(period.sentence)
    return period
