"""The pace rule: "at this pace the plan runs out on Nov 27, 4 days before the period ends".

The run-out date is bot.charts.figures.BurnDown.run_out, the rule the burn-down chart and the digest
already use (remaining units at the pace, whole days rounded up, only when before the period ends),
so the chart, the digest and the alert never disagree. The caller builds the BurnDown with
`pace_per_day` set to the last 7 complete days' billable events divided by 7, as the digest does.

Once per billing period, and again only when the projected date moves at least 2 days earlier than
the date last alerted: the caller passes that date (None when nothing was alerted this period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.charts.figures import BurnDown

EARLIER_BY_DAYS = 2


@dataclass(frozen=True)
class PaceAlert:
    run_out: date  # local date the included units run out at this pace
    days_early: int  # days between that and the period's end
    pace_per_day: Decimal  # units a day: what the projection assumed

    @property
    def sentence(self) -> str:
        days = "1 day" if self.days_early == 1 else f"{self.days_early} days"
        return f"At this pace the plan runs out on {self.run_out:%b %-d}, {days} before the period ends."


@dataclass(frozen=True)
class PaceCheck:
    alert: PaceAlert | None
    reason: str  # why not, or what was decided


def check_pace(burn: BurnDown, last_alerted: date | None) -> PaceCheck:
    """Whether the pace of `burn` warrants an alert, given the run-out date alerted last this period."""
    if burn.used_up_on is not None:
        return PaceCheck(None, "the included units are already used up; the 100% alert says so")
    run_out = burn.run_out
    if run_out is None:
        return PaceCheck(None, "at this pace the included units last the period")
    if last_alerted is not None and (last_alerted - run_out).days < EARLIER_BY_DAYS:
        return PaceCheck(None, f"already alerted for {last_alerted}; {run_out} is not 2 days earlier")
    return PaceCheck(
        PaceAlert(run_out, (burn.end - run_out).days, burn.pace), "runs out before the period ends"
    )
