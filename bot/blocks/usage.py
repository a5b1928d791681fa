"""`/katalo usage`: where the organization's plan stands, at a glance."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, tzinfo
from decimal import Decimal

from bot import slack_ids
from bot.blocks._kit import (
    Block,
    Message,
    actions,
    button,
    context,
    escape,
    fields_section,
    header,
    mention,
    message,
    section,
)
from bot.formatting import clock_time, percent, progress_bar, units
from bot.katalo.cache import Fetched
from bot.katalo.models import BillingPeriod, Jobs, UsageSummary

USAGE_VALUE = {"kind": "usage"}  # what Refresh and Share need to rebuild this message


def build_usage(
    fetched: Fetched[UsageSummary], *, now: datetime, tz: tzinfo, shared_by: str | None = None
) -> Message:
    summary = fetched.value
    blocks: list[Block] = [header("Katalo usage")]
    standing = [_access_line(summary), _period_line(summary.billing_period, now)]
    blocks.append(section("\n".join(line for line in standing if line)))
    blocks += _plan_blocks(summary)
    blocks += _jobs_blocks(summary.jobs)
    if summary.rate_limits:
        blocks.append(context(_rate_limits_line(summary.rate_limits)))
    blocks.append(context(_as_of(fetched, tz, shared_by)))
    if shared_by is None:
        blocks.append(
            actions(
                slack_ids.ACTIONS_BLOCK,
                button("Refresh", slack_ids.REFRESH_USAGE, USAGE_VALUE, style="primary"),
                button("Share to channel", slack_ids.SHARE_TO_CHANNEL, USAGE_VALUE),
            )
        )
    return message(_fallback(summary), blocks)


def _access_line(summary: UsageSummary) -> str | None:
    access = summary.access
    if access is None or (access.enabled is None and access.status is None):
        return None
    status = f" ({escape(access.status)})" if access.status else ""
    if access.enabled is False:
        return f":red_circle: *API access is off*{status}: Katalo will refuse new jobs."
    return f":large_green_circle: API access is on{status}"


def _period_line(period: BillingPeriod | None, now: datetime) -> str | None:
    if period is None:
        return None
    days_left = math.ceil((period.end_at - now).total_seconds() / 86400)
    left = "ends today" if days_left <= 1 else f"{days_left} days left"
    if period.end_at <= now:
        left = "ended"
    return f":calendar: Billing period {period.start_at:%b %-d} – {period.end_at:%b %-d} · {left}"


def _plan_blocks(summary: UsageSummary) -> list[Block]:
    usage = summary.usage
    fraction = usage.fraction_used
    if fraction is None:
        return [
            section(f"*{units(usage.consumed)}* units consumed (the plan includes no fixed number of units)")
        ]
    over = (
        " :warning: *over plan*"
        if fraction > 1
        else (" :warning: nearly used up" if fraction >= Decimal("0.8") else "")
    )
    bar = f"`{progress_bar(fraction)}` *{percent(fraction)}* of plan used{over}"
    return [
        section(bar),
        fields_section(
            [
                f"*Included*\n{units(usage.included or 0)}",
                f"*Consumed*\n{units(usage.consumed)}",
                f"*Remaining*\n{units(usage.remaining or 0)}",
                f"*Overage*\n{units(usage.overage or 0)}",
            ]
        ),
    ]


def _jobs_blocks(jobs: Jobs) -> list[Block]:
    figures = [
        ("Jobs", jobs.total),
        ("Succeeded", jobs.succeeded),
        ("Failed", jobs.failed),
        ("Outputs returned", jobs.outputs_returned),
        ("Regenerations", jobs.regenerate_count),
        ("Cache hits", jobs.cache_hit_count),
    ]
    fields = [f"*{name}*\n{value:,}" for name, value in figures if value is not None]
    if jobs.success_rate is not None:
        fields.insert(1, f"*Success rate*\n{percent(jobs.success_rate)}")
    return [fields_section(fields)] if fields else []


def _rate_limits_line(limits: Mapping[str, object]) -> str:
    shown = ", ".join(
        f"{escape(str(key)).replace('_', ' ')}: {escape(str(value))}" for key, value in limits.items()
    )
    return f":stopwatch: Rate limits: {shown}"


def _as_of(fetched: Fetched[UsageSummary], tz: tzinfo, shared_by: str | None) -> str:
    zone = fetched.fetched_at.astimezone(tz).tzname() or ""
    at = f"{clock_time(fetched.fetched_at, tz)} {zone}".rstrip()
    line = f"As of {at}"
    if fetched.stale:
        reason = fetched.error.user_message if fetched.error else "Katalo did not answer."
        line = f":warning: *Stale*: last known figures, from {at}. {reason}"
    if shared_by is not None:
        line += f" · Shared by {mention(shared_by)}"
    return line


def _fallback(summary: UsageSummary) -> str:
    usage = summary.usage
    if usage.fraction_used is None:
        return f"Katalo usage: {units(usage.consumed)} units consumed."
    return (
        f"Katalo usage: {percent(usage.fraction_used)} of plan used "
        f"({units(usage.consumed)} of {units(usage.included or 0)}), {units(usage.remaining or 0)} remaining."
    )
