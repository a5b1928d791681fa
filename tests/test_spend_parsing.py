"""Spend questions, typed or asked in plain words, become the right SpendQuestion; others do not."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing import BadJobId, Help, JobEvents, LatestEvents, UsageIntent, parse_command, parse_mention
from bot.periods import PeriodSpec
from bot.spend_parsing import BadSpend, SpendQuestion, parse_spend

JOB = "job_01JD3XK5C8WZ8N4QKQ2Y8ZB7RT"
CFG = "cfg_3f9a2b7c"
LAST_WEEK = PeriodSpec("last_week")
THIS_MONTH = PeriodSpec("this_month")
YESTERDAY = PeriodSpec("yesterday")
OCTOBER = PeriodSpec("month", first=date(2000, 10, 1), year_given=False)
OCT_2026 = PeriodSpec("month", first=date(2026, 10, 1))
RANGE = PeriodSpec("range", first=date(2026, 11, 1), last=date(2026, 11, 15))


def q(period=None, breakdown="type", types=(), configs=()) -> SpendQuestion:
    return SpendQuestion(period, breakdown, tuple(types), tuple(configs))


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("spend", q()),
        ("SPEND", q()),
        ("spend today", q(PeriodSpec("today"))),
        ("spend yesterday", q(YESTERDAY)),
        ("spend this week", q(PeriodSpec("this_week"))),
        ("spend last week", q(LAST_WEEK)),
        ("spend this month", q(THIS_MONTH)),
        ("spend last month", q(PeriodSpec("last_month"))),
        ("spend this period", q(PeriodSpec("this_period"))),
        ("spend last period", q(PeriodSpec("last_period"))),
        ("spend last 30 days", q(PeriodSpec("last_days", days=30))),
        ("spend october", q(OCTOBER)),
        ("spend oct 2026", q(OCT_2026)),
        ("spend 2026-10", q(OCT_2026)),
        ("spend 2026-11-03", q(PeriodSpec("date", first=date(2026, 11, 3)))),
        ("spend 2026-11-01..2026-11-15", q(RANGE)),
        ("spend in october by config", q(OCTOBER, "config")),
        ("spend last week by job", q(LAST_WEEK, "job")),
        ("spend by day last month", q(PeriodSpec("last_month"), "day")),
        ("spend this month by type type:upscale", q(THIS_MONTH, types=["upscale"])),
        (f"spend config:{CFG} by job", q(None, "job", configs=[CFG])),
        (
            f"spend type:upscale type:generation config:{CFG}",
            q(None, types=["upscale", "generation"], configs=[CFG]),
        ),
        ("spend on upscale this month", q(THIS_MONTH, types=["upscale"])),
        ("spend type:month", q(None, types=["month"])),
        ("spend month", BadSpend("")),
        ("spend fortnight", BadSpend("")),
        ("spend by week", BadSpend("")),
        ("spend last week by", BadSpend("")),
        ("spend config:abc", BadSpend("")),
        ("spend type:<!channel>", BadSpend("")),
        ("spend today yesterday", BadSpend("")),
        ("spend 2026-02-30", BadSpend("")),
    ],
)
def test_spend_command(text, intent):
    """`/katalo spend` reads every documented form; anything else is a BadSpend with a sentence."""
    parsed = parse_command(text)
    if isinstance(intent, BadSpend):
        assert isinstance(parsed, BadSpend) and parsed.problem
    else:
        assert parsed == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("<@UBOT> what did we spend last week?", q(LAST_WEEK)),
        ("<@UBOT> spend on upscale this month", q(THIS_MONTH, types=["upscale"])),
        ("<@UBOT> which config cost the most in October?", q(OCTOBER, "config")),
        ("<@UBOT> how much yesterday by job", q(YESTERDAY, "job")),
        ("<@UBOT> how much did we spend?", q()),
        ("<@UBOT> what have we spent this month", q(THIS_MONTH)),
        ("<@UBOT> what did upscales cost last week?", q(LAST_WEEK)),
        ("<@UBOT> which jobs cost the most yesterday?", q(YESTERDAY, "job")),
        ("<@UBOT> daily spend for the last 30 days", q(PeriodSpec("last_days", days=30), "day")),
        ("<@UBOT> spending in 2026-10 per day", q(OCT_2026, "day")),
        ("<@UBOT> what's our bill this month?", q(THIS_MONTH)),
        ("<@UBOT> how much was billed between 2026-11-01..2026-11-15", q(RANGE)),
        (f"<@UBOT> spend for {CFG} last week", q(LAST_WEEK, configs=[CFG])),
        ("<@UBOT> how much total last month", q(PeriodSpec("last_month"))),
        ("<@UBOT> cost of generation this week", q(PeriodSpec("this_week"), types=["generation"])),
        ("<@UBOT> spend on generation", q(None, types=["generation"])),
        ("<@UBOT> how much have we spent on regeneration in oct 2026?", q(OCT_2026, types=["regeneration"])),
        ("<@UBOT> what did we pay last period", q(PeriodSpec("last_period"))),
        ("<@UBOT> spend by week", BadSpend("")),
        # Not spend questions: today's routing stands.
        ("<@UBOT> how much have we used?", UsageIntent()),
        ("<@UBOT> how much have we used this month?", UsageIntent()),
        ("<@UBOT> how much of the plan is left?", UsageIntent()),
        (f"<@UBOT> what did {JOB} cost?", JobEvents(JOB)),
        (f"<@UBOT> how much did {JOB} cost last week?", JobEvents(JOB)),
        ("<@UBOT> what did job_ cost?", BadJobId("what did job_ cost?")),
        ("<@UBOT> what happened in the ledger?", LatestEvents()),
        ("<@UBOT> usage", UsageIntent()),
        ("<@UBOT> hello", Help()),
        ("<@UBOT>", Help()),
        ("<@UBOT> sing a song", Help(unrecognised="sing a song")),
        ("<@UBOT> what is the weather in october?", Help(unrecognised="what is the weather in october?")),
        ("<@UBOT> see you next month", Help(unrecognised="see you next month")),
        ("<@UBOT> how much", UsageIntent()),
        ("<@UBOT> last week", Help(unrecognised="last week")),
    ],
)
def test_spend_mentions(text, intent):
    """Plain spend questions route to SpendQuestion; usage, job, events and small talk route as before."""
    parsed = parse_mention(text)
    if isinstance(intent, BadSpend):
        assert isinstance(parsed, BadSpend) and parsed.problem
    else:
        assert parsed == intent


def test_unknown_period_names_the_accepted_forms():
    """An unknown word says what it did not understand, and lists periods with examples."""
    bad = parse_spend("fortnight")
    assert isinstance(bad, BadSpend)
    assert (
        "`fortnight`" in bad.problem
        and "`last week`" in bad.problem
        and "2026-11-01..2026-11-15" in bad.problem
    )


def test_unknown_breakdown_names_the_accepted_ones():
    bad = parse_spend("by week")
    assert isinstance(bad, BadSpend)
    assert "`week`" in bad.problem and all(f"`{b}`" in bad.problem for b in ("type", "config", "job", "day"))


def test_a_usage_type_named_like_a_period_is_read_as_the_period_unless_filtered():
    """The written rule: a period word is the period; `type:month` names the usage type."""
    assert parse_mention("<@UBOT> spend on month") == q(None)
    assert parse_spend("type:month") == q(None, types=["month"])
    bad = parse_spend("month")
    assert isinstance(bad, BadSpend) and "`type:month`" in bad.problem and "`this month`" in bad.problem
    assert parse_spend("on may") == q(PeriodSpec("month", first=date(2000, 5, 1), year_given=False))


@pytest.mark.parametrize(
    "question",
    [q(), q(LAST_WEEK, "job"), q(RANGE, "day", ["upscale"], [CFG]), q(OCTOBER, "config", ["month"])],
)
def test_question_text_asks_the_same_question_again(question):
    """What controls and Share carry (`question.text`) parses back to the same question."""
    again = parse_spend(question.text)
    expected = question if question.period else SpendQuestion(PeriodSpec("this_period"), question.breakdown)
    assert again == expected


@given(st.text(max_size=200))
def test_any_spend_text_is_a_question_or_a_sentence(text):
    """Whatever follows `spend`, the parser answers with an intent, never an exception."""
    assert isinstance(parse_spend(text), SpendQuestion | BadSpend)
    assert parse_mention("<@UBOT> spend " + text) is not None
