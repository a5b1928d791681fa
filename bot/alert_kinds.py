"""The kinds of alert a channel can turn on or off, snooze or mute, by the names people type.

`/katalo alerts on|off KIND…` takes these names, the alert store keys its rows by them, and every
alert message carries its kind in its buttons' values. Pure: names and their one-line descriptions.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["plan", "access", "spike", "pace", "budget"]

KINDS: tuple[Kind, ...] = ("plan", "access", "spike", "pace", "budget")

DESCRIPTIONS: dict[Kind, str] = {
    "plan": "the plan's included units crossing ALERT_THRESHOLDS (80% and 100% unless configured)",
    "access": "API access turning off",
    "spike": "a day whose spend is far above the usual day, with what drove it",
    "pace": "the plan running out before the billing period ends, at the last 7 days' pace",
    "budget": "a budget in dollars crossing 50%, 80% and 100%",
}


def kind_named(text: str) -> Kind | None:
    """The kind a person typed (case and surrounding space ignored), or None when there is none."""
    wanted = text.strip().lower()
    return next((kind for kind in KINDS if kind == wanted), None)
