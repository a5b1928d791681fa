"""Charts from the ledger mirror, and sharing a drawn chart in Slack with `files_upload_v2`.

Owns the figures the pure renderers (bot.charts) draw, read from the mirror for a Period
(bot.periods), and the upload. Plan units: the mirror holds events, not units, and Katalo does not
document how the two relate; like the digest's run-out projection (bot.digest.compose), the burn-down
counts one unit per billable event, so its pace and run-out date agree with the digest's text.

Sharing is best effort: `share_chart` draws and uploads, and a chart that cannot be drawn or uploaded
is logged with its cause and answered as a sentence; it never raises into the message it belongs to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.charts.figures import BurnDown, Chart, DailySpend
from bot.charts.figures import DaySpend as ChartDay
from bot.katalo.models import UsageSummary
from bot.ledger.spend import SpendFilter, SpendQueries, by_day_and_type
from bot.periods import BillingBounds, Period, PeriodSpec, resolve

log = logging.getLogger(__name__)

NO_FILTER = SpendFilter()
UNSPECIFIED = "unspecified"  # a usage type the ledger left empty, as the digest names it
UPLOAD_FIXES = {  # what to do about the refusals a user can fix
    "missing_scope": "reinstall the app so that it has the files:write scope",
    "not_in_channel": "invite the bot with `/invite @Katalo`",
    "channel_not_found": "the bot cannot post there (a private channel or a DM): invite it to the channel",
    "is_archived": "the channel is archived",
}


def zone_name(zone: tzinfo) -> str:
    """`Europe/Berlin` for a ZoneInfo, `UTC` for datetime.UTC."""
    return str(getattr(zone, "key", None) or zone)


def daily_spend(
    queries: SpendQueries, period: Period, now: datetime, only: SpendFilter = NO_FILTER, scope: str = ""
) -> DailySpend:
    """Spend of each local day of `period` that has begun by `now`, by usage type (every day listed);
    `only` narrows it, and `scope` says how in the chart (DailySpend.scope)."""
    days = [day for day in period.days() if day[1] < now]
    by_date: dict[date, dict[str, Decimal]] = {day: {} for day, _, _ in days}
    for cell in by_day_and_type(queries, days, only):
        kinds = by_date[cell.day]
        kind = cell.usage_type or UNSPECIFIED
        kinds[kind] = kinds.get(kind, Decimal(0)) + cell.amount_usd
    days_spent = tuple(ChartDay(day, kinds) for day, kinds in by_date.items())
    return DailySpend(zone_name(period.zone), days_spent, scope)


def burn_down(
    queries: SpendQueries, summary: UsageSummary, now: datetime, zone: tzinfo, pace: Decimal | None
) -> BurnDown | None:
    """The billing period's units day by day up to today; None without a plan or a known period.

    `pace`: units a day carried on from today (the digest passes its trailing-week rate).
    """
    bounds, included = summary.billing_period, summary.usage.included
    if bounds is None or included is None or included <= 0:
        return None
    period = resolve(
        PeriodSpec("this_period"), now=now, zone=zone, billing=BillingBounds(bounds.start_at, bounds.end_at)
    )
    if not isinstance(period, Period):
        return None
    begun = [day for day in period.days() if day[1] <= now]
    if not begun:
        return None
    units = {day: Decimal(0) for day, _, _ in begun}
    for cell in by_day_and_type(queries, begun):
        units[cell.day] += cell.billable_events
    end = period.last_day + timedelta(days=1)
    return BurnDown(zone_name(zone), period.first_day, end, Decimal(included), tuple(units.values()), pace)


def share_chart(
    slack: WebClient,
    draw: Callable[[], Chart | None],
    *,
    filename: str,
    title: str,
    channel: str,
    thread_ts: str | None = None,
    comment: str | None = None,
) -> str | None:
    """Draw a chart and share it in `channel` (a thread of it); None when shared or when `draw` had
    nothing to draw (it answered None), else why not, as a sentence (and logged with its cause)."""
    try:
        chart = draw()
    except Exception as error:  # any failure: a chart never takes its message down; logged with its cause
        log.exception("chart %s for %s not drawn", filename, channel)
        return f"{title} could not be drawn ({type(error).__name__})"
    if chart is None:
        return None
    try:
        slack.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            file=chart.png,
            filename=filename,
            title=title,
            alt_txt=chart.alt_text,
            initial_comment=comment,
        )
    except SlackApiError as error:
        reason = str(error.response.get("error") or f"HTTP {error.response.status_code}")
    except (SlackRequestError, OSError) as error:  # the upload URL refused it, or the network failed
        reason = f"{type(error).__name__}: {error}"
    else:
        return None
    fix = UPLOAD_FIXES.get(reason)
    log.warning("chart %s for %s not uploaded: %s%s", filename, channel, reason, f" ({fix})" if fix else "")
    return f"{title} could not be uploaded ({reason})" + (f": {fix}" if fix else "")
