"""The kinds of alert a channel can turn on or off, snooze or mute, by the names people type.

`/katalo alerts on|off KIND…` takes these names, the alert store keys its rows by them, and every
alert message carries its kind in its buttons' values. Pure: names and their one-line descriptions
(which name the configured thresholds).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

Kind = Literal["plan", "access", "spike", "pace", "budget"]

KINDS: tuple[Kind, ...] = ("plan", "access", "spike", "pace", "budget")

PLAN_THRESHOLDS = (80, 100)  # ALERT_THRESHOLDS unless configured
BUDGET_THRESHOLDS = (50, 80, 100)  # BUDGET_ALERT_THRESHOLDS unless configured


def description(
    kind: Kind, *, plan: Sequence[int] = PLAN_THRESHOLDS, budget: Sequence[int] = BUDGET_THRESHOLDS
) -> str:
    """What a kind alerts on, naming the thresholds this deployment is configured with."""
    match kind:
        case "plan":
            return f"the plan's included units crossing {percents(plan)}"
        case "access":
            return "API access turning off"
        case "spike":
            return "a day whose spend is far above the usual day, with what drove it"
        case "pace":
            return "the plan running out before the billing period ends, at the last 7 days' pace"
        case "budget":
            return f"a budget in dollars crossing {percents(budget)}"


def percents(thresholds: Sequence[int]) -> str:
    """`50%, 80% and 100%`, in increasing order."""
    named = [f"{t}%" for t in sorted(thresholds)]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


def kind_named(text: str) -> Kind | None:
    """The kind a person typed (case and surrounding space ignored), or None when there is none."""
    wanted = text.strip().lower()
    return next((kind for kind in KINDS if kind == wanted), None)
