"""Replies to `/katalo budget`, `/katalo budget set AMOUNT [monthly]` and `/katalo budget off`.

The status shows the budget, its window (the billing period, or the calendar month in the reporting
zone), what the ledger mirror says was spent in it (exact, as spend answers are, with their freshness
and provisional notes), the share used, and the thresholds reached (and, when the store has one, the
last budget alert with a link).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from bot.blocks._kit import Message, context, escape, header, mention, message, section
from bot.blocks.alert_settings import LastAlertShown, moment
from bot.blocks.events import freshness_line
from bot.blocks.spend import RECENT, dates, zone_name
from bot.figures import Freshness
from bot.formatting import cents_down, progress_bar, share_shown, spent_shown, usd
from bot.periods import Period

Scope = Literal["period", "monthly"]
SET = "`/katalo budget set 500` (per billing period) or `/katalo budget set 200 monthly`"


@dataclass(frozen=True)
class BudgetReport:
    """One channel's budget and what has been spent of it in the current window."""

    amount: Decimal
    scope: Scope
    set_by: str
    set_at: datetime
    window: Period
    spent: Decimal
    thresholds: Sequence[int]
    freshness: Freshness
    now: datetime
    last_alert: LastAlertShown | None = None  # the last budget alert of this window, if any

    @property
    def provisional(self) -> bool:
        """The mirror may not hold every event of the window yet (the rule of spend answers)."""
        synced = self.freshness.synced_at
        recent = self.window.end > self.now - RECENT
        return not self.freshness.complete or synced is None or synced < self.window.end or recent

    @property
    def reached(self) -> tuple[int, ...]:
        """Thresholds the spend has reached: spent >= threshold% of the amount, exactly."""
        return tuple(t for t in self.thresholds if self.spent * 100 >= self.amount * t)


def scope_name(scope: Scope) -> str:
    return "per calendar month" if scope == "monthly" else "per billing period"


def build_budget(report: BudgetReport) -> Message:
    fraction = report.spent / report.amount
    window = f"{dates(report.window)} ({escape(zone_name(report.window))})"
    lines = [
        f"*{usd(report.amount)}* {scope_name(report.scope)}, this one {window}",
        _spent_line(report, fraction),
        f"`{progress_bar(fraction)}`",
        _thresholds_line(report),
    ]
    if report.last_alert is not None:
        lines.append(_last_alert_line(report.last_alert, report.window))
    notes = [freshness_line(report.freshness, report.window.zone)]
    if report.provisional:
        notes.append("*Provisional:* events of the last hour, or not yet mirrored, may still arrive.")
    notes.append(f"Set by {mention(report.set_by)} on {moment(report.set_at, report.window.zone)}.")
    text = (
        f"Budget {usd(report.amount)} {scope_name(report.scope)}: {spent_shown(report.spent)} spent "
        f"({share_shown(fraction)}) {dates(report.window)}."
    )
    return message(
        text, [header("Budget for this channel"), section("\n".join(lines)), context(" · ".join(notes))]
    )


def _spent_line(report: BudgetReport, fraction: Decimal) -> str:
    """Spent and its share rounded down, beside the thresholds (bot.formatting); what is left is the
    budget less the spend as shown, so the three figures add up: $999.996 of $1,000 is "$999.99 · 99.9%
    used · $0.01 left"."""
    left = report.amount - cents_down(report.spent)
    rest = f"{usd(left)} left" if left >= 0 else f"*{usd(-left)} over*"
    return f"Spent so far: *{spent_shown(report.spent)}* · *{share_shown(fraction)}* used · {rest}"


def _thresholds_line(report: BudgetReport) -> str:
    shown = ", ".join(f"{t}%" for t in report.thresholds)
    reached = report.reached
    if not reached:
        return f"Alerts at {shown}: none reached yet."
    return f"Alerts at {shown}: reached {', '.join(f'*{t}%*' for t in reached)}."


def _last_alert_line(last: LastAlertShown, window: Period) -> str:
    when = moment(last.posted_at, window.zone)
    shown = f"<{last.link}|{when}>" if last.link else when
    return f"Last budget alert: {shown}: {escape(last.headline[:200])}"


def build_no_budget(thresholds: Sequence[int]) -> Message:
    shown = ", ".join(f"{t}%" for t in thresholds)
    text = f"This channel has no budget. {SET} sets one; it alerts here as spend reaches {shown}."
    return message("This channel has no budget.", [section(text)])


def build_budget_set(amount: Decimal, scope: Scope, thresholds: Sequence[int], *, replaced: bool) -> Message:
    shown = ", ".join(f"{t}%" for t in thresholds)
    verb = "is now" if replaced else "set:"
    text = f"This channel's budget {verb} *{usd(amount)}* {scope_name(scope)}. It alerts here at {shown}."
    return message(
        text.replace("*", ""),
        [section(f":moneybag: {text}"), context("`/katalo budget` shows where it stands.")],
    )


def build_budget_off(had_one: bool) -> Message:
    text = (
        "This channel's budget is removed: no budget alerts here."
        if had_one
        else "This channel had no budget."
    )
    return message(text, [section(text)])


def build_bad_budget(problem: str) -> Message:
    """`/katalo budget ...` not understood, or a window that cannot be known now: the sentence, escaped."""
    text = escape(problem)
    return message(text, [section(f":grey_question: {text}")])
