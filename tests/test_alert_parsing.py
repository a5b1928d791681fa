"""`/katalo alerts` and `/katalo budget`, typed or asked in mentions, become the right intent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.alert_kinds import KINDS
from bot.alert_parsing import (
    MAX_BUDGET,
    AlertsChange,
    AlertsStatus,
    BadAlerts,
    BadBudget,
    BudgetOff,
    BudgetSet,
    BudgetStatus,
    read_amount,
)
from bot.parsing import Help, JobEvents, LatestEvents, UsageIntent, parse_command, parse_mention
from bot.periods import PeriodSpec
from bot.spend_parsing import SpendQuestion

JOB = "job_01JD3XK5C8WZ8N4QKQ2Y8ZB7RT"
D = Decimal
BAD_ALERTS, BAD_BUDGET = BadAlerts(""), BadBudget("")


def same(parsed: object, expected: object) -> bool:
    """Equal, except that for a Bad* intent any non-empty sentence will do (its words are tested apart)."""
    if isinstance(expected, BadAlerts | BadBudget):
        return type(parsed) is type(expected) and bool(parsed.problem)  # type: ignore[attr-defined]
    return parsed == expected


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("alerts", AlertsStatus()),
        ("ALERTS status", AlertsStatus()),
        ("alert", AlertsStatus()),
        ("alerts on spike", AlertsChange(True, ("spike",))),
        ("alerts off spike pace", AlertsChange(False, ("spike", "pace"))),
        ("alerts on plan,access", AlertsChange(True, ("plan", "access"))),
        ("alerts on plan, budget", AlertsChange(True, ("plan", "budget"))),
        ("alerts off SPIKES", AlertsChange(False, ("spike",))),
        ("alerts on all", AlertsChange(True, KINDS)),
        ("alerts off spike all", AlertsChange(False, ("spike", "plan", "access", "pace", "budget"))),
        ("alerts on spike spike", AlertsChange(True, ("spike",))),
        ("alerts disable access", AlertsChange(False, ("access",))),
        ("alerts on", BAD_ALERTS),
        ("alerts off weather", BAD_ALERTS),
        ("alerts on <!channel>", BAD_ALERTS),
        ("alerts snooze spike", BAD_ALERTS),
        ("alerts status now", BAD_ALERTS),
        ("budget", BudgetStatus()),
        ("budget status", BudgetStatus()),
        ("budget off", BudgetOff()),
        ("budget clear", BudgetOff()),
        ("budget set 500", BudgetSet(D(500))),
        ("budget set 200 monthly", BudgetSet(D(200), "monthly")),
        ("budget set $1,250.50", BudgetSet(D("1250.50"))),
        ("budget set 1250.5 per month", BudgetSet(D("1250.5"), "monthly")),
        ("budget set 99.99 per billing period", BudgetSet(D("99.99"))),
        ("budget 500", BudgetSet(D(500))),
        ("budget set 10,000,000", BudgetSet(MAX_BUDGET)),
        ("budget set 0", BAD_BUDGET),
        ("budget set -5", BAD_BUDGET),
        ("budget set abc", BAD_BUDGET),
        ("budget set NaN", BAD_BUDGET),
        ("budget set Infinity", BAD_BUDGET),
        ("budget set 1e3", BAD_BUDGET),
        ("budget set 12.345", BAD_BUDGET),
        ("budget set 10000000.01", BAD_BUDGET),
        ("budget set 1,00", BAD_BUDGET),
        ("budget set", BAD_BUDGET),
        ("budget set 500 weekly", BAD_BUDGET),
        ("budget raise", BAD_BUDGET),
        ("budget off now", BAD_BUDGET),
    ],
)
def test_alerts_and_budget_commands(text, intent):
    """Each documented form maps to its intent; anything else is a Bad* intent with a sentence."""
    assert same(parse_command(text), intent), parse_command(text)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("<@UBOT> alerts", AlertsStatus()),
        ("<@UBOT> alerts off spike", AlertsChange(False, ("spike",))),
        ("<@UBOT> which alerts are on here?", AlertsStatus()),
        ("<@UBOT> what alert did we get last?", AlertsStatus()),
        ("<@UBOT> what's our budget", BudgetStatus()),
        ("<@UBOT> how much of the budget is left?", BudgetStatus()),
        ("<@UBOT> are we over budget?", BudgetStatus()),
        ("<@UBOT> budget set 300 monthly", BudgetSet(D(300), "monthly")),
        ("<@UBOT> budget set lots", BAD_BUDGET),
        # Not about alerts or budgets: today's routing stands.
        ("<@UBOT> how much have we used?", UsageIntent()),
        ("<@UBOT> what did we spend last week?", SpendQuestion(PeriodSpec("last_week"))),
        (f"<@UBOT> what did {JOB} cost against the budget?", JobEvents(JOB)),
        ("<@UBOT> alert me when it snows", Help(unrecognised="alert me when it snows")),
        ("<@UBOT> any budgeting tips?", Help(unrecognised="any budgeting tips?")),
        ("<@UBOT> what happened in the ledger?", LatestEvents()),
    ],
)
def test_alerts_and_budget_mentions(text, intent):
    """Plain questions about alerts and the budget route to them; other mentions route as before."""
    assert same(parse_mention(text), intent), parse_mention(text)


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("0", "above $0"),
        ("-5", "above $0"),
        ("abc", "`abc` is not an amount"),
        ("NaN", "`NaN` is not an amount"),
        ("12.345", "two decimals"),
        ("20000000", "at most $10,000,000"),
    ],
)
def test_a_bad_amount_says_what_is_wrong_and_gives_an_example(typed, words):
    """One sentence: what is wrong, quoted where it was typed, and an example of a good command."""
    problem = read_amount(typed)
    assert isinstance(problem, str)
    assert words in problem and "`/katalo budget set 500`" in problem


def test_an_unknown_kind_names_the_known_ones():
    """`alerts on weather`: the word typed, and every kind that exists."""
    bad = parse_command("alerts on weather")
    assert isinstance(bad, BadAlerts)
    assert "`weather`" in bad.problem and all(f"`{kind}`" in bad.problem for kind in KINDS)


def test_amounts_are_exact_decimals():
    """`$1,250.50` is exactly 1250.50, not a float near it."""
    assert read_amount("$1,250.50") == D("1250.50")
    assert read_amount("0.01") == D("0.01")


@given(st.text(max_size=60))
def test_any_budget_or_alerts_text_is_an_intent_or_a_sentence(text):
    """Whatever follows `budget` or `alerts`, the parser answers with an intent, never an exception."""
    assert isinstance(parse_command("budget " + text), BudgetStatus | BudgetSet | BudgetOff | BadBudget)
    assert isinstance(parse_command("alerts " + text), AlertsStatus | AlertsChange | BadAlerts)


@given(st.text(max_size=60))
def test_a_parsed_budget_is_always_within_bounds(text):
    """A BudgetSet only ever carries an amount above $0, at most $10,000,000, in cents."""
    parsed = parse_command("budget set " + text)
    if isinstance(parsed, BudgetSet):
        assert D(0) < parsed.amount <= MAX_BUDGET
        assert parsed.amount == parsed.amount.quantize(D("0.01"))
