"""`/katalo alerts ...` and `/katalo budget ...` from what a user typed, and the same asked in mentions.

Pure, no I/O.

    /katalo alerts                       which kinds this channel gets, silences, the last of each
    /katalo alerts on|off KIND… | all    kinds by name (bot.alert_kinds), commas allowed
    /katalo budget                       this channel's budget and what is spent of it
    /katalo budget set AMOUNT [monthly]  `500`, `$1,250.50`; per billing period unless `monthly`
    /katalo budget off

An amount is dollars and cents: digits with optional thousands commas, at most two decimals, above
$0 and at most MAX_BUDGET. A mention is a budget question when it holds the word `budget` (and no job
id), and an alerts question when it holds `alerts` (or `alert` with a question word); a mention that
starts with `alerts` or `budget` is read as the command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from bot.alert_kinds import KINDS, Kind, kind_named

MAX_BUDGET = Decimal(10_000_000)  # larger is a typo, not a budget
_AMOUNT = re.compile(r"\$?((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)")
_MONTHLY = {"monthly", "month", "calendar"}
_PERIOD = {"period", "billing", "per", "a", "each", "every"}
_ALL = {"all", "every", "everything"}
_QUESTION_WORDS = {"what", "which", "whats", "show", "list", "status", "are", "is", "do", "does", "any"}
EXAMPLE_SET = "`/katalo budget set 500` (per billing period) or `/katalo budget set 200 monthly`"
KINDS_TEXT = ", ".join(f"`{kind}`" for kind in KINDS)


@dataclass(frozen=True)
class AlertsStatus:
    """`/katalo alerts`: which kinds this channel gets, what is silenced, and the last alert of each."""


@dataclass(frozen=True)
class AlertsChange:
    """`/katalo alerts on|off KIND…`: turn these kinds on or off in this channel."""

    on: bool
    kinds: tuple[Kind, ...]


@dataclass(frozen=True)
class BadAlerts:
    """`/katalo alerts ...` that could not be understood; `problem` is the sentence (unescaped)."""

    problem: str


@dataclass(frozen=True)
class BudgetStatus:
    """`/katalo budget`: this channel's budget and what is spent of it so far."""


@dataclass(frozen=True)
class BudgetSet:
    """`/katalo budget set AMOUNT [monthly]`: dollars per billing period, or per calendar month."""

    amount: Decimal
    scope: Literal["period", "monthly"] = "period"


@dataclass(frozen=True)
class BudgetOff:
    """`/katalo budget off`: remove this channel's budget."""


@dataclass(frozen=True)
class BadBudget:
    """`/katalo budget ...` that could not be understood; `problem` is the sentence (unescaped)."""

    problem: str


AlertsIntent = AlertsStatus | AlertsChange | BadAlerts
BudgetIntent = BudgetStatus | BudgetSet | BudgetOff | BadBudget


def parse_alerts(args: list[str]) -> AlertsIntent:
    """`alerts`, `alerts status`, `alerts on|off KIND…` (or `all`)."""
    action = args[0].lower() if args else "status"
    if action in ("status", "list", "show") and len(args) <= 1:
        return AlertsStatus()
    if action not in ("on", "off", "enable", "disable"):
        return BadAlerts(
            f"Use `/katalo alerts` to see this channel's alerts, or `/katalo alerts on|off KIND…` "
            f"with kinds among {KINDS_TEXT} (or `all`)."
        )
    on = action in ("on", "enable")
    names = [name for word in args[1:] for name in word.split(",") if name]
    if not names:
        return BadAlerts(
            f"Name the kinds to turn {action}: {KINDS_TEXT}, or `all`; e.g. `alerts {action} spike`."
        )
    kinds: list[Kind] = []
    for name in names:
        if name.lower() in _ALL:
            kinds.extend(KINDS)
            continue
        kind = kind_named(name) or kind_named(name.lower().removesuffix("s"))
        if kind is None:
            return BadAlerts(f"`{name[:40]}` is not a kind of alert. The kinds are {KINDS_TEXT} (or `all`).")
        kinds.append(kind)
    return AlertsChange(on, tuple(dict.fromkeys(kinds)))


def parse_budget(args: list[str]) -> BudgetIntent:
    """`budget`, `budget status`, `budget set AMOUNT [monthly]`, `budget AMOUNT`, `budget off`."""
    action = args[0].lower() if args else "status"
    if action in ("status", "show") and len(args) <= 1:
        return BudgetStatus()
    if action in ("off", "clear", "remove", "delete", "none") and len(args) <= 1:
        return BudgetOff()
    rest = args[1:] if action == "set" else args
    if action != "set" and not _looks_like_amount(action):
        return BadBudget(f"Use `/katalo budget`, {EXAMPLE_SET}, or `/katalo budget off`.")
    if not rest:
        return BadBudget(f"Give an amount in dollars, e.g. {EXAMPLE_SET}.")
    amount = read_amount(rest[0])
    if isinstance(amount, str):
        return BadBudget(amount)
    scope = _scope([word.lower() for word in rest[1:]])
    if scope is None:
        return BadBudget(
            f"After the amount, write `monthly` for a calendar month or nothing for the billing period, "
            f"not `{' '.join(rest[1:])[:40]}`; e.g. {EXAMPLE_SET}."
        )
    return BudgetSet(amount, scope)


def read_amount(text: str) -> Decimal | str:
    """Dollars typed as `500`, `$1,250.50`: the Decimal, or the sentence saying what is wrong with it."""
    shown = text[:40]
    if text.startswith(("-", "$-", "−")):
        return f"A budget must be above $0, not `{shown}`; e.g. {EXAMPLE_SET}."
    match = _AMOUNT.fullmatch(text)
    if match is None:
        return f"`{shown}` is not an amount in dollars; e.g. {EXAMPLE_SET}."
    try:
        amount = Decimal(match[1].replace(",", ""))
    except InvalidOperation:  # the pattern admits digits only; kept for safety
        return f"`{shown}` is not an amount in dollars; e.g. {EXAMPLE_SET}."
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]  # finite: an int exponent
        return f"A budget is in dollars and cents (at most two decimals), not `{shown}`; e.g. {EXAMPLE_SET}."
    if amount <= 0:
        return f"A budget must be above $0, not `{shown}`; e.g. {EXAMPLE_SET}."
    if amount > MAX_BUDGET:
        return f"A budget of at most $10,000,000 please, not `{shown}`; e.g. {EXAMPLE_SET}."
    return amount


def _looks_like_amount(word: str) -> bool:
    return bool(word) and (word[0].isdigit() or word[0] in "$-−.")


def _scope(words: list[str]) -> Literal["period", "monthly"] | None:
    """`monthly` / `per month` / `calendar month` → monthly; nothing / `per billing period` → period."""
    if not words:
        return "period"
    if set(words) <= _MONTHLY | {"per", "a", "each", "every"} and set(words) & _MONTHLY:
        return "monthly"
    if set(words) <= _PERIOD and "period" in words:
        return "period"
    return None


def in_mention(words: list[str]) -> AlertsStatus | BudgetStatus | None:
    """A plain question about this channel's alerts or budget, from a mention's lower-cased words."""
    present = set(words)
    if "budget" in present or "budgets" in present:
        return BudgetStatus()
    if "alerts" in present or ("alert" in present and present & _QUESTION_WORDS):
        return AlertsStatus()
    return None
