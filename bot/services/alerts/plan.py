"""The plan thresholds (ALERT_THRESHOLDS of the included units) and API access off, from the usage summary.

One alert per billing period for each: the plan's shows the highest threshold crossed, and crossing a
higher one later updates it in place ("100% reached"), with one thread reply. When one check finds
several crossed at once (70% → 105%), only the highest is said. A new billing period clears the old
alert (said in its thread) and re-arms them, and so does a plan whose included units changed within
the period (its key holds the plan's size); access coming back on clears the access alert.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from decimal import Decimal

from bot.blocks.alerts import AlertView
from bot.db.alert_store import PostedAlert
from bot.formatting import share_shown, units
from bot.katalo.models import UsageSummary
from bot.services.alerts.conditions import Condition, Evaluation

NO_PERIOD = datetime(1970, 1, 1, tzinfo=UTC)  # the key when Katalo reports no billing period
ACCESS_OFF = "Katalo API access is off for this organization: new generation jobs will be refused."


def period_key(summary: UsageSummary) -> str:
    """The billing period's start in UTC: the same key whatever offset Katalo writes it with (and the
    key migration 0010 gives the alerts the previous version claimed)."""
    start = summary.billing_period.start_at if summary.billing_period else NO_PERIOD
    return start.astimezone(UTC).isoformat()


def plan_key(summary: UsageSummary) -> str:
    """The plan alert's key: the billing period and the plan's size, so a plan changed mid-period
    (an upgrade) starts its thresholds afresh rather than being judged against the alert of the old one."""
    included = summary.usage.included
    size = "none" if included is None else format(included.normalize(), "f")
    return f"plan:{period_key(summary)}:{size}"


def _carried_over(summary: UsageSummary) -> str:
    """The key of the period's plan alert the previous version claimed (migration 0010): no plan size."""
    return f"plan:{period_key(summary)}"


def evaluate_plan(
    summary: UsageSummary, thresholds: Sequence[int], now: datetime, zone: tzinfo
) -> Evaluation:
    key = plan_key(summary)
    fraction = summary.usage.fraction_used
    crossed = [t for t in sorted(thresholds) if fraction is not None and fraction * 100 >= t]
    cleared = _plan_changed(summary, key, min(thresholds, default=100), zone)
    if not crossed:
        return Evaluation("plan", (), cleared)
    top = crossed[-1]
    usage = summary.usage
    share = share_shown(Decimal(fraction or 0))  # rounded down beside the thresholds (bot.formatting)
    used = f"{share} used ({units(usage.consumed)} of {units(usage.included or 0)})"
    what = "the whole plan" if top == 100 else f"{top}% of the plan"
    headline = f"{top}% reached: " if top >= 100 else ""
    view = AlertView(
        "plan",
        key,
        f"{headline}Katalo usage has reached {what}:",
        f"{used} · overage {units(usage.overage or 0)}.",
        "one alert per billing period, updated when a higher threshold is crossed",
        now,
        zone,
    )
    worse = f"Now {top}% reached: {used}."
    condition = Condition("plan", key, str(top), lambda: view, worse, earlier_key=_carried_over(summary))
    return Evaluation("plan", (condition,), cleared)


def evaluate_access(summary: UsageSummary, now: datetime, zone: tzinfo) -> Evaluation:
    key = f"access:{period_key(summary)}"
    new_period = _new_period(summary, key, zone)
    enabled = summary.access.enabled if summary.access is not None else None

    def cleared(alert: PostedAlert) -> str | None:
        if enabled is True:
            return "Katalo API access is back on: new generation jobs are accepted again."
        return new_period(alert)

    if enabled is not False:
        return Evaluation("access", (), cleared)
    view = AlertView("access", key, ACCESS_OFF, "", "one alert per billing period", now, zone)
    return Evaluation("access", (Condition("access", key, "off", lambda: view, ACCESS_OFF),), cleared)


def _plan_changed(
    summary: UsageSummary, current_key: str, lowest: int, zone: tzinfo
) -> Callable[[PostedAlert], str | None]:
    """An open plan alert clears when a new period began, or when the plan's size changed in this one."""
    new_period = _new_period(summary, current_key, zone)
    this_period = f"plan:{period_key(summary)}:"

    def cleared(alert: PostedAlert) -> str | None:
        if alert.key == _carried_over(summary):  # its plan's size is not known: only a new period clears it
            return None
        if alert.key == current_key or not alert.key.startswith(this_period):
            return new_period(alert)
        if summary.usage.included is None:  # Katalo did not say this time: not a plan changed
            return None
        included = units(summary.usage.included)
        return f"The plan changed to {included} included units; alerts start again at {lowest}%."

    return cleared


def _new_period(summary: UsageSummary, current_key: str, zone: tzinfo) -> Callable[[PostedAlert], str | None]:
    """An open alert of an earlier billing period clears when the new period is known to have begun."""

    def cleared(alert: PostedAlert) -> str | None:
        if alert.key == current_key or summary.billing_period is None:
            return None
        began = summary.billing_period.start_at.astimezone(zone)
        return f"A new billing period began on {began:%b %-d}: this alert is over."

    return cleared
