"""Pace and budget alerts, from the usage summary and the ledger mirror in the reporting zone.

- Pace: the last 7 complete local days' billable events per day (one unit each, as the digest and
  the burn-down chart count them) against the units left; `bot.alerts.pace` decides. One alert per
  billing period, updated when the run-out date moves 2 or more days earlier; it clears when the
  pace lasts the period again, or when a new period begins.
- Budget: the channel's budget in money, the spend of its window (the billing period, or the local
  calendar month) from the mirror; `bot.alerts.budget` decides which thresholds are crossed. One
  alert per budget and window, updated at each higher threshold; a new window clears it, and so does
  a budget changed (amount or scope) within it, saying so, so that the new one's thresholds alert.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal

from bot.alerts.budget import Budget, budget_window, check_budget
from bot.alerts.pace import check_pace
from bot.blocks.alerts import AlertView
from bot.db.alert_store import PostedAlert, StoredBudget
from bot.formatting import share_shown, spent_shown, units, usd
from bot.katalo.models import UsageSummary
from bot.ledger.spend import SpendQueries, by_day_and_type
from bot.periods import day_bounds, local_midnight
from bot.services.alerts.conditions import Condition, Evaluation
from bot.services.alerts.plan import period_key
from bot.services.charts import burn_down

PACE_DAYS = 7


def evaluate_pace(queries: SpendQueries, summary: UsageSummary, now: datetime, zone: tzinfo) -> Evaluation:
    key = f"pace:{period_key(summary)}"
    today = now.astimezone(zone).date()
    week = [today - timedelta(days=n) for n in range(PACE_DAYS, 0, -1)]
    cells = by_day_and_type(queries, [(day, *day_bounds(day, zone)) for day in week])
    pace = Decimal(sum(cell.billable_events for cell in cells)) / PACE_DAYS
    burn = burn_down(queries, summary, now, zone, pace)
    if burn is None:
        return Evaluation("pace", skipped="Katalo reports no plan or no billing period")
    check = check_pace(burn, None)

    def cleared(alert: PostedAlert) -> str | None:
        if alert.key != key:
            return f"A new billing period began on {burn.start:%b %-d}: this pace alert is over."
        if burn.run_out is None:
            return f"At the last {PACE_DAYS} days' pace ({_per_day(pace)}) the plan now lasts the period."
        return None

    if check.alert is None:
        return Evaluation("pace", (), cleared)
    alert = check.alert
    figures = (
        f"Pace: {_per_day(pace)} (billable events of the last {PACE_DAYS} complete days) · "
        f"{units(burn.consumed)} of {units(burn.included)} used · the period's last day is "
        f"{burn.end - timedelta(days=1):%b %-d}."
    )
    view = AlertView("pace", key, alert.sentence, figures, "one alert per billing period", now, zone)
    worse_text = f"Sooner now: {alert.sentence[0].lower()}{alert.sentence[1:]}"
    return Evaluation(
        "pace", (Condition("pace", key, alert.run_out.isoformat(), lambda: view, worse_text),), cleared
    )


def _per_day(pace: Decimal) -> str:
    return f"{units(pace.quantize(Decimal('0.1')).normalize())} units a day"


@dataclass(frozen=True)
class BudgetSpend:
    """A budget's window [start, end) and what the mirror holds as spent in it up to now."""

    start: datetime
    end: datetime
    spent: Decimal
    what: str  # "billing period" or "month"


def budget_spend(
    queries: SpendQueries, stored: StoredBudget, summary: UsageSummary | None, now: datetime, zone: tzinfo
) -> BudgetSpend | None:
    """The spend of the budget's current window; None for a per-period budget while Katalo names no period."""
    if stored.scope == "monthly":
        first, end_day = budget_window("monthly", now.astimezone(zone).date(), None)
        start, end = local_midnight(first, zone), local_midnight(end_day, zone)
    else:
        bounds = summary.billing_period if summary is not None else None
        if bounds is None:
            return None
        start, end = bounds.start_at, bounds.end_at
    what = "month" if stored.scope == "monthly" else "billing period"
    return BudgetSpend(start, end, queries.amount(start, min(end, now)), what)


BUDGET_OFF = "The budget was turned off here (`/katalo budget off`): no more budget alerts until one is set."


def evaluate_budget(
    queries: SpendQueries,
    stored: StoredBudget | None,
    summary: UsageSummary | None,
    thresholds: Sequence[int],
    now: datetime,
    zone: tzinfo,
) -> Evaluation:
    if stored is None:  # turned off (or never set): an alert still open says so, once, in its thread
        return Evaluation("budget", (), lambda _alert: BUDGET_OFF)
    window = budget_spend(queries, stored, summary, now, zone)
    if window is None:
        return Evaluation("budget", skipped="Katalo reports no billing period (a monthly budget needs none)")
    start, end, spent = window.start, window.end, window.spent
    budget = Budget(stored.amount, stored.scope, thresholds)
    check = check_budget(budget, spent, ())
    key = budget_key(stored, start)
    what = window.what
    cleared = _new_window(key, budget, what, start, zone)
    if not check.crossed:
        return Evaluation("budget", (), cleared)
    top = check.crossed[-1]
    of = f"{spent_shown(spent)} of {usd(stored.amount)} ({share_shown(check.fraction)})"  # rounded down
    headline = (
        f"{top}% reached: the budget of {usd(stored.amount)} for this {what} is spent"
        if top >= 100
        else f"Budget: {top}% of {usd(stored.amount)} spent this {what}"
    )
    figures = (
        f"{of} spent since {start.astimezone(zone):%b %-d}; the {what} ends on "
        f"{(end - timedelta(seconds=1)).astimezone(zone):%b %-d} (spend from the ledger mirror)."
    )
    view = AlertView("budget", key, headline, figures, f"one alert per threshold per {what}", now, zone)
    worse = f"Now {top}% reached: {of} spent."
    return Evaluation("budget", (Condition("budget", key, str(top), lambda: view, worse),), cleared)


def budget_key(stored: StoredBudget, start: datetime) -> str:
    """The budget alert's key: its scope, amount and window, so a budget changed within its window
    (raised, lowered, per month instead of per period) starts its thresholds afresh."""
    return f"budget:{stored.scope}:{format(stored.amount.normalize(), 'f')}:{start.isoformat()}"


def _new_window(
    key: str, budget: Budget, window: str, start: datetime, zone: tzinfo
) -> Callable[[PostedAlert], str | None]:
    """An open budget alert of another key: its budget changed (said as such), or its window is over."""
    scope, amount = key.split(":")[1:3]

    def cleared(alert: PostedAlert) -> str | None:
        if alert.key == key:
            return None
        if alert.key.split(":")[1:3] != [scope, amount]:
            per = "per calendar month" if budget.scope == "monthly" else "per billing period"
            return (
                f"The budget changed to {usd(budget.amount)} {per}; "
                f"alerts start again at {budget.thresholds[0]}%."
            )
        return f"A new {window} began on {start.astimezone(zone):%b %-d}: this budget alert is over."

    return cleared
