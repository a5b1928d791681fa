"""The daily digest: yesterday, the period to date, savings and waste, health. One message.

Also the words every reply uses to name a digest: it is *of* the day it summarises and *posted on*
the day after, and both dates are said wherever one digest is named (the digest, status, the CLI).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

from bot.blocks._kit import (
    Block,
    Message,
    code,
    context,
    divider,
    escape,
    fields_section,
    header,
    message,
    section,
)
from bot.blocks.digest_health import health_lines
from bot.figures import DigestFigures
from bot.formatting import clock_time, percent, plural, progress_bar, units, usd


def summarised_day(posted_on: date) -> date:
    """The day a digest posted on `posted_on` is about: the day before, in the channel's zone."""
    return posted_on - timedelta(days=1)


def day_name(day: date) -> str:
    return f"{day:%a %b %-d}"


def digest_of(posted_on: date) -> str:
    """ "the digest of Tue Nov 24" for the digest posted on Wed Nov 25."""
    return f"the digest of {day_name(summarised_day(posted_on))}"


def posted_at(moment: datetime, zone: tzinfo) -> str:
    """ "Wed Nov 25 at 09:00": when a digest went (or goes) out, on the channel's clock."""
    return f"{day_name(moment.astimezone(zone).date())} at {clock_time(moment, zone)}"


def build_digest(figures: DigestFigures, *, late: bool = False, preview: bool = False) -> Message:
    day, zone = figures.day, figures.zone
    title = f"Katalo digest of {day_name(figures.local_date)}"
    blocks: list[Block] = [header(title + (" (preview)" if preview else ""))]
    blocks += _yesterday(figures)
    blocks += [divider(), *_period(figures)]
    blocks += _savings(figures)
    health = health_lines(figures)
    if health:
        blocks.append(section("*Health*\n" + "\n".join(health)))
    blocks.append(context(_footer(figures, zone, late=late)))
    amount = day.overall.amount_usd
    fallback = (
        f"Katalo digest of {day_name(figures.local_date)}: {plural(day.overall.events, 'ledger event')}, "
        f"{usd(amount)} billed, {plural(figures.jobs, 'job')}."
    )
    return message(fallback, blocks)


def _yesterday(figures: DigestFigures) -> list[Block]:
    day = figures.day
    billed = day.by_billable.get(True)
    lines = [
        f"*{figures.local_date:%A}*: {plural(day.overall.events, 'ledger event')} "
        f"on {plural(figures.jobs, 'job')}, *{usd(day.overall.amount_usd)}* billed "
        f"over {plural(billed.events if billed else 0, 'billable event')}"
    ]
    blocks = [section("\n".join(lines))]
    by_type = sorted(day.by_usage_type.items(), key=lambda item: (-item[1].amount_usd, str(item[0])))
    fields = [
        f"*{escape(kind or 'unspecified')}*\n{plural(t.events, 'event')} · {usd(t.amount_usd)}"
        for kind, t in by_type
    ]
    if fields:
        blocks.append(fields_section(fields[:10]))
    if figures.top_jobs:
        top = [
            f"{n}. {code(job.job_id)} · {usd(job.amount_usd)} ({plural(job.events, 'event')})"
            for n, job in enumerate(figures.top_jobs, 1)
        ]
        blocks.append(section("*Top jobs by amount*\n" + "\n".join(top)))
    return blocks


def _period(figures: DigestFigures) -> list[Block]:
    if figures.summary is None:
        return [section("*Period to date*: the usage summary could not be read (see Health).")]
    summary = figures.summary.value
    usage, zone = summary.usage, figures.zone
    lines = ["*Period to date*"]
    if summary.billing_period is not None:
        period = summary.billing_period
        days_left = max(
            0, (period.end_at.astimezone(zone).date() - figures.as_of.astimezone(zone).date()).days
        )
        lines[0] += (
            f" ({period.start_at.astimezone(zone):%b %-d} – {period.end_at.astimezone(zone):%b %-d}, "
            f"{plural(days_left, 'day')} left)"
        )
    fraction = usage.fraction_used
    if fraction is not None:
        lines.append(
            f"`{progress_bar(fraction)}` *{percent(fraction)}* · "
            f"{units(usage.consumed)} of {units(usage.included or 0)}"
        )
        lines.append(f"Remaining {units(usage.remaining or 0)} · Overage {units(usage.overage or 0)}")
    else:
        lines.append(f"{units(usage.consumed)} units consumed")
    projection = figures.projection
    if projection is not None:
        pace = f"{projection.per_day.quantize(Decimal('0.1'))} billable events a day over the last 7 days"
        if projection.run_out is None:
            lines.append(f"At {pace}, the included units last beyond this period: not at this pace.")
        elif fraction is not None and fraction >= 1:
            lines.append(":warning: The included units are used up; further use is overage.")
        else:
            lines.append(
                f":hourglass: At {pace}, the included units run out around *{projection.run_out:%b %-d}*."
            )
    return [section("\n".join(lines))]


def _savings(figures: DigestFigures) -> list[Block]:
    types = figures.day.by_usage_type
    cache, regen = types.get("cache_hit"), types.get("regeneration")
    parts = [
        f"{plural(cache.events if cache else 0, 'cache hit')} yesterday (not billed)",
        f"{plural(regen.events if regen else 0, 'regeneration')} yesterday "
        f"({usd(regen.amount_usd if regen else Decimal(0))})",
    ]
    if figures.summary is not None:
        jobs = figures.summary.value.jobs
        if jobs.cache_hit_count is not None and jobs.regenerate_count is not None:
            parts.append(
                f"period: {jobs.cache_hit_count:,} cache hits, {jobs.regenerate_count:,} regenerations"
            )
        if jobs.failed is not None:
            parts.append(f"{jobs.failed:,} failed jobs this period")
    return [section("*Savings and waste*\n" + " · ".join(parts))]


def _footer(figures: DigestFigures, zone: tzinfo, *, late: bool) -> str:
    as_of = figures.as_of.astimezone(zone)  # the day it is posted on (or previewed), with the time
    parts = [f"As of {day_name(as_of.date())}, {clock_time(as_of, zone)} {as_of.tzname() or ''}".rstrip()]
    if figures.provisional:
        parts.append("yesterday's figures are provisional: the ledger mirror may not hold every event yet")
    if late:
        parts.append("posted late: the bot was not running at the scheduled time")
    return " · ".join(parts)
