"""Spike alerts: each complete local day (reporting zone) against the 28 before it, from the mirror.

The episode state (bot.alerts.spike) is not stored: each check replays the last REPLAY_DAYS complete
days through the rule, each day against the days before it, exactly as a clock running every day
would have, so every process and every restart reaches the same verdict from the same ledger. An
open episode is one condition, keyed by the day it opened; a clearly higher level later in the
episode updates its alert. The episode ending clears it. History begins at the first stored event
(days before the ledger starts are not $0 days), and nothing is judged until the mirror's first sync
has reached the ledger's start. The cause (bot.alerts.cause) is read only when an alert is composed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

from bot.alerts.cause import TOP, DayBreakdown, Drivers, drivers, explain, usual_by_key
from bot.alerts.spike import WINDOW_DAYS, SpikeCheck, SpikeParams, check_day
from bot.blocks.alerts import AlertView, DriverGroup, DriverRow
from bot.db.alert_store import PostedAlert
from bot.formatting import usd
from bot.ledger.spend import SpendQueries, by_day_and_type
from bot.periods import day_bounds, local_midnight
from bot.services.alerts.conditions import Condition, Evaluation
from bot.services.charts import UNSPECIFIED, zone_name

REPLAY_DAYS = 28  # days judged afresh at each check; an episode older than this has become the usual
RULE = "one alert per spike episode, updated when a clearly higher day follows"


def _day(day: date) -> str:
    return f"{day:%a %b %-d}"


def evaluate_spike(
    queries: SpendQueries,
    *,
    backfilled: bool,
    synced_at: datetime | None,
    params: SpikeParams,
    now: datetime,
    zone: tzinfo,
) -> Evaluation:
    """`synced_at`: the mirror's last sync that caught up; yesterday is judged once one ended after it."""
    if not backfilled:
        reason = "the ledger mirror's first sync has not reached the ledger's start"
        return Evaluation("spike", skipped=reason)
    today = now.astimezone(zone).date()
    if synced_at is None or synced_at < local_midnight(today, zone):
        return Evaluation("spike", skipped="the ledger mirror has not caught up since yesterday ended")
    first = queries.first_event_at()
    last = today - timedelta(days=1)  # the last complete local day
    if first is None or first.astimezone(zone).date() > last:
        return Evaluation("spike", skipped="no complete day of spend yet")
    start = max(first.astimezone(zone).date(), last - timedelta(days=REPLAY_DAYS + WINDOW_DAYS - 1))
    days = [start + timedelta(days=n) for n in range((last - start).days + 1)]
    amounts = [row.amount_usd for row in queries.by_day([(d, *day_bounds(d, zone)) for d in days])]
    checks = _replay(days, amounts, params)
    final = checks[-1] if checks else None
    episode = final.episode if final is not None else None
    key = f"spike:{episode.opened.isoformat()}" if episode is not None else None

    def cleared(alert: PostedAlert) -> str | None:
        if final is None or alert.key == key or final.baseline is None:
            return None
        usual = final.baseline.median
        return (
            f"Spend is back to usual: {usd(final.amount)} on {_day(final.day)}, against the usual "
            f"{usd(usual)}. This spike episode is over."
        )

    if episode is None or key is None:
        return Evaluation("spike", (), cleared)
    latest = next(c for c in reversed(checks) if c.alert)  # the episode's latest alerting day

    def compose() -> AlertView:
        return _view(queries, latest, days, key, now, zone)

    worse_text = f"Higher again on {_day(latest.day)}: {usd(latest.amount)} (the alert above is updated)."
    return Evaluation(
        "spike", (Condition("spike", key, latest.day.isoformat(), compose, worse_text),), cleared
    )


def _replay(days: Sequence[date], amounts: Sequence[Decimal], params: SpikeParams) -> list[SpikeCheck]:
    """The verdicts of the last REPLAY_DAYS days, each against the days before it, the episode carried."""
    checks, episode = [], None
    for index in range(max(0, len(days) - REPLAY_DAYS), len(days)):
        check = check_day(days[index], amounts[index], amounts[:index], episode, params)
        checks.append(check)
        episode = check.episode
    return checks


def _view(
    queries: SpendQueries,
    check: SpikeCheck,
    days: Sequence[date],
    key: str,
    now: datetime,
    zone: tzinfo,
) -> AlertView:
    base = check.baseline
    usual = base.median if base is not None else Decimal(0)
    index = days.index(check.day)
    history = days[max(0, index - WINDOW_DAYS) : index]
    cause = explain(_breakdown(queries, check.day, zone), [_breakdown(queries, d, zone) for d in history])
    cause = replace(cause, by_job=_job_drivers(queries, check.day, len(history), zone))
    groups = (("Usage types", cause.by_type), ("Configs", cause.by_config), ("Jobs", cause.by_job))
    rise = check.amount - usual
    return AlertView(
        "spike",
        key,
        f"Spend spike on {_day(check.day)}: {usd(check.amount)}, usually {usd(usual)}",
        f"{usd(rise)} above the usual day (the median of the {len(history)} days before, "
        f"local days in {zone_name(zone)}).",
        RULE,
        now,
        zone,
        tuple(DriverGroup(title, _rows(drivers), drivers.explained) for title, drivers in groups),
    )


def _rows(drivers: Drivers) -> tuple[DriverRow, ...]:
    return tuple(DriverRow(rise.key, rise.amount, rise.usual) for rise in drivers.named)


def _breakdown(queries: SpendQueries, day: date, zone: tzinfo) -> DayBreakdown:
    """One local day's spend by usage type and config fingerprint (jobs: `_job_drivers`)."""
    start, end = day_bounds(day, zone)
    by_type: dict[str, Decimal] = {}
    for cell in by_day_and_type(queries, [(day, start, end)]):
        kind = cell.usage_type or UNSPECIFIED
        by_type[kind] = by_type.get(kind, Decimal(0)) + cell.amount_usd
    configs = {row.key or UNSPECIFIED: row.amount_usd for row in queries.breakdown(start, end, "config")}
    return DayBreakdown(by_type, configs)


def _job_drivers(queries: SpendQueries, day: date, history_days: int, zone: tzinfo) -> Drivers:
    """The jobs whose spend rose most on `day` against the `history_days` days before it, as `explain`
    finds them from every job's amount each day, without reading the thousands of jobs of 29 days.

    With no negative amount (a refund) in those days, only a job spent on `day` can rise, and by at
    most its amount that day. So the largest jobs of the day come from the per-job rollups, and only
    theirs are read for the days before; once the TOP-th rise found is larger than the smallest of
    those amounts, no other job can reach it. Ties at that amount widen the search rather than trust
    the database to order job ids as Python does (its collation may not). With a refund, every job
    of every day is read, as before. The total rise is the day's amount less the mean day before.
    """
    start, end = day_bounds(day, zone)
    before = day_bounds(day - timedelta(days=history_days), zone)[0]
    usual_total = queries.amount(before, start) / history_days if history_days else Decimal(0)
    total_rise = queries.amount(start, end) - usual_total
    if queries.has_refund(before, end):
        every_day = [_jobs_of(queries, day - timedelta(days=n), zone) for n in range(history_days, 0, -1)]
        return drivers(_jobs_of(queries, day, zone), usual_by_key(every_day))
    limit = 4 * TOP
    while True:
        rows, jobs = queries.top(start, end, "job", limit=limit)
        spent = {row.key or UNSPECIFIED: row.amount_usd for row in rows}
        earlier = queries.job_amounts(list(spent), before, start) if history_days else {}
        found = drivers(spent, {job: amount / history_days for job, amount in earlier.items()})
        last_amount = rows[-1].amount_usd if rows else Decimal(0)
        settled = len(found.named) == TOP and found.named[-1].rise > last_amount
        if settled or len(rows) < limit or len(rows) >= jobs:  # the second: every job has been read
            return Drivers(found.named, total_rise)
        limit *= 4


def _jobs_of(queries: SpendQueries, day: date, zone: tzinfo) -> dict[str, Decimal]:
    """Every job's spend on one local day (read from its events)."""
    start, end = day_bounds(day, zone)
    return {row.key or UNSPECIFIED: row.amount_usd for row in queries.breakdown(start, end, "job")}
