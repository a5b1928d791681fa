"""Budgets in money: the window a budget covers and which of its thresholds are newly crossed.

A budget is an amount in USD per billing period, or per calendar month in the reporting zone. Its
thresholds (50, 80 and 100% unless configured) alert once each per window: a threshold is crossed
when the spend reaches it (spent >= threshold% of the budget, exactly, in Decimal), and the caller
passes the thresholds already alerted in this window, so only the new ones come back. Windows are
local dates, [start, end): a new window re-arms every threshold.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

Scope = Literal["period", "monthly"]
DEFAULT_THRESHOLDS = (50, 80, 100)


@dataclass(frozen=True)
class Budget:
    amount: Decimal  # USD
    scope: Scope = "period"
    thresholds: Sequence[int] = DEFAULT_THRESHOLDS

    def __post_init__(self) -> None:
        if not self.amount.is_finite() or self.amount <= 0:
            raise ValueError("A budget must be an amount of money above $0, such as 500.")
        if not self.thresholds or any(t <= 0 for t in self.thresholds):
            raise ValueError("Budget thresholds must be percentages above 0, such as 50 80 100.")
        object.__setattr__(self, "thresholds", tuple(sorted(set(self.thresholds))))


@dataclass(frozen=True)
class BudgetCheck:
    spent: Decimal
    budget: Budget
    crossed: tuple[int, ...]  # every threshold the spend has reached, lowest first
    new: tuple[int, ...]  # of those, the ones not yet alerted in this window

    @property
    def fraction(self) -> Decimal:
        return self.spent / self.budget.amount


def budget_window(scope: Scope, today: date, period: tuple[date, date] | None) -> tuple[date, date]:
    """[start, end) local dates: the billing period containing today, or today's calendar month."""
    if scope == "monthly":
        start = today.replace(day=1)
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return start, end
    if period is None:
        raise ValueError("Katalo reports no billing period for this account: use a monthly budget.")
    return period


def check_budget(budget: Budget, spent: Decimal, already_alerted: Collection[int]) -> BudgetCheck:
    """The thresholds `spent` has reached in the window, and which of them are new."""
    crossed = tuple(t for t in budget.thresholds if spent * 100 >= budget.amount * t)
    return BudgetCheck(spent, budget, crossed, tuple(t for t in crossed if t not in already_alerted))
