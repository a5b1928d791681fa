"""What drove a spike: the keys whose spend rose most, with their amounts, and how much they explain."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.alerts.cause import DayBreakdown, drivers, explain, usual_by_key

D = Decimal


def amounts(**values: str) -> dict[str, Decimal]:
    return {key: D(value) for key, value in values.items()}


@pytest.mark.parametrize(
    ("day", "usual", "named"),
    [
        (amounts(a="50", b="300"), amounts(a="40", b="100"), [("b", "300", "100"), ("a", "50", "40")]),
        (amounts(a="10", b="300", c="5"), amounts(a="40", b="100", c="5"), [("b", "300", "100")]),
        (amounts(new="80"), amounts(), [("new", "80", "0")]),  # a key new today rose from zero
        (amounts(a="60", b="60"), amounts(a="10", b="10"), [("a", "60", "10"), ("b", "60", "10")]),  # ties
    ],
    ids=["largest-first", "fell-or-flat-left-out", "new-key", "ties-by-key"],
)
def test_the_keys_that_rose_are_named_largest_rise_first_with_their_amounts(day, usual, named):
    """Each named key comes with the day's amount and its usual amount; keys that fell are not named."""
    found = drivers(day, usual).named
    assert [(r.key, r.amount, r.usual) for r in found] == [(k, D(a), D(u)) for k, a, u in named]


def test_at_most_three_keys_are_named_by_default():
    """Five rising keys: the three largest rises are named."""
    day = amounts(a="10", b="20", c="30", d="40", e="50")
    assert [r.key for r in drivers(day, {}).named] == ["e", "d", "c"]


def test_explained_is_the_named_rises_over_the_total_rise():
    """Rises of 150, 90, 40 and 20 (total 300), three named: 280/300 of the rise is explained."""
    day = amounts(a="250", b="190", c="140", d="120")
    usual = amounts(a="100", b="100", c="100", d="100")
    assert drivers(day, usual).explained == D(280) / D(300)


def test_a_key_missing_today_counts_as_a_fall_in_the_total():
    """A usual $100 key absent today lowers the total rise: 200 up, 100 down is 100 in all."""
    result = drivers(amounts(a="300"), amounts(a="100", gone="100"))
    assert (result.total_rise, result.explained) == (D(100), D(2))


def test_nothing_is_explained_when_the_total_did_not_rise():
    """A day below its usual total has no share to explain."""
    assert drivers(amounts(a="50"), amounts(a="100")).explained is None


def test_the_usual_amount_of_a_key_is_its_mean_per_day_counting_absent_days_as_zero():
    """A key with $30 on one of three days is usually $10 a day."""
    usual = usual_by_key([amounts(a="30", b="3"), amounts(b="3"), amounts(b="3")])
    assert usual == {"a": D(10), "b": D(3)}


def test_no_history_gives_no_usual_amounts():
    """Without trailing days every key rose from zero."""
    assert usual_by_key([]) == {}


def test_explain_names_drivers_per_usage_type_config_and_job():
    """A burst of upscale jobs from a new config is named in each of the three dimensions."""
    ordinary = DayBreakdown(amounts(generation="100"), amounts(cfg_a="100"), amounts(j1="100"))
    spike = DayBreakdown(
        amounts(generation="100", upscale="200"),
        amounts(cfg_a="100", cfg_burst="200"),
        amounts(j2="100", j3="150", j4="50"),
    )
    cause = explain(spike, [ordinary] * 4)
    assert cause.by_type.named[0].key == "upscale" and cause.by_config.named[0].key == "cfg_burst"
    assert [r.key for r in cause.by_job.named] == ["j3", "j2", "j4"]
    assert cause.by_type.total_rise == cause.by_config.total_rise == cause.by_job.total_rise == D(200)
