"""The spike rule: the three legs, the 28-day window, the 7-day minimum, and episodes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.alerts.spike import Episode, SpikeCheck, SpikeParams, check_day, median

D = Decimal
DAY = date(2026, 11, 20)


def params(k: str = "0", percent: str = "0", floor: str = "0") -> SpikeParams:
    return SpikeParams(D(k), D(percent), D(floor))


def run(history: list[str], days: list[str], rule: SpikeParams | None = None) -> list[SpikeCheck]:
    """Check each of `days` after `history`, one after the other, as the clock does."""
    amounts = [D(v) for v in history]
    start = DAY - timedelta(days=len(history))
    episode: Episode | None = None
    checks = []
    for offset, value in enumerate(days):
        check = check_day(start + timedelta(days=len(history) + offset), D(value), amounts, episode, rule)
        checks.append(check)
        episode = check.episode
        amounts.append(D(value))
    return checks


@pytest.mark.parametrize(
    ("rule", "history", "amount", "spike"),
    [
        (params(k="3"), ["90", "110"] * 14, "130", False),  # 3 x MAD 10 above the median 100: not more
        (params(k="3"), ["90", "110"] * 14, "130.01", True),
        (params(percent="40"), ["100"] * 28, "140", False),  # 40% above: not more
        (params(percent="40"), ["100"] * 28, "140.01", True),
        (params(floor="10"), ["100"] * 28, "110", False),  # $10 above: not more
        (params(floor="10"), ["100"] * 28, "110.01", True),
    ],
    ids=["mad-equal", "mad-above", "percent-equal", "percent-above", "floor-equal", "floor-above"],
)
def test_a_spike_must_exceed_each_leg_strictly(rule, history, amount, spike):
    """A day exactly at a leg's margin is no spike; a cent more is."""
    assert run(history, [amount], rule)[0].alert is spike


@pytest.mark.parametrize(
    ("k", "percent", "floor"),
    [("25", "0", "0"), ("0", "250", "0"), ("0", "0", "250")],
    ids=["k", "percent", "floor"],
)
def test_all_three_legs_must_hold(k, percent, floor):
    """A day far above the others is still no spike when any one leg is not met."""
    assert not run(["90", "110"] * 14, ["300"], params(k, percent, floor))[0].alert


def test_fewer_than_seven_days_of_history_gives_no_decision_and_says_why():
    """Six days of history: no decision, and the reason names the 7 days needed."""
    check = run(["100"] * 6, ["1000"], params())[0]
    assert (check.status, check.reason) == ("no_decision", "needs at least 7 days of history, has 6")


def test_seven_days_of_history_are_enough():
    """With exactly 7 days of history the rule decides."""
    assert run(["100"] * 7, ["1000"], params())[0].status == "alert"


def test_only_the_last_28_days_count():
    """Older days fall out of the window: the usual amount is the median of the last 28."""
    check = run(["1000"] * 15 + ["100"] * 14, ["100"], params())[0]
    assert check.baseline is not None and check.baseline.median == D(550)


def test_days_without_spend_count_as_zero():
    """A quiet account (zeros) with one day of $50 is a spike by the default settings."""
    assert run(["0"] * 20, ["50"])[0].alert


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    """The median of 1, 2, 3, 10 is 2.5; of 1, 2, 10 it is 2."""
    assert (median([D(1), D(2), D(3), D(10)]), median([D(1), D(10), D(2)])) == (D("2.5"), D(2))


def test_negative_settings_are_refused_with_a_sentence():
    """A negative k, percent or floor is a clear error."""
    with pytest.raises(ValueError, match="must not be negative"):
        SpikeParams(floor=D(-1))


def test_a_one_off_spike_clears_the_next_ordinary_day_and_the_next_spike_alerts_again():
    """Spike, ordinary day, spike: two alerts, the episode cleared in between."""
    statuses = [c.status for c in run(["100"] * 28, ["200", "100", "200"])]
    assert statuses == ["alert", "cleared", "alert"]


def test_a_level_shift_alerts_once_even_on_its_lower_days():
    """Spend that doubles and stays there, with lower weekend-like days, alerts on its first day only."""
    statuses = [c.status for c in run(["100"] * 28, ["200", "200", "110", "110", "200", "200", "200"])]
    assert statuses == ["alert"] + ["ongoing"] * 6


def test_the_episode_clears_when_the_recent_average_is_back_at_its_limit():
    """Defaults, 28 days of $100: the episode lasts above $120 (mean + half the $40 margin), not at it."""
    statuses = [c.status for c in run(["100"] * 28, ["200", "120.01", "119.99"])]
    assert statuses == ["alert", "ongoing", "cleared"]


def test_the_episodes_limit_is_the_trailing_mean_plus_half_the_margin():
    """Weekdays $100, weekends $30 (mean $80, median $100): the episode lasts above $100, not $120."""
    statuses = [c.status for c in run(["100"] * 20 + ["30"] * 8, ["200", "110", "80"])]
    assert statuses == ["alert", "ongoing", "cleared"]


def test_the_recent_average_covers_at_most_the_last_seven_days():
    """Three high days then ordinary ones: the episode clears once the high days are 7 days back."""
    checks = run(["100"] * 28, ["300", "400", "400", "400"] + ["110"] * 7)
    assert [c.status for c in checks[1:]] == ["ongoing"] * 9 + ["cleared"]


def test_within_an_episode_only_a_clearly_higher_level_alerts_again():
    """After an alert at $200, $280 (40% above the peak) stays in the episode; $280.01 alerts."""
    assert [c.status for c in run(["100"] * 28, ["200", "280"])] == ["alert", "ongoing"]
    assert [c.status for c in run(["100"] * 28, ["200", "280.01"])] == ["alert", "alert"]


def test_a_clearly_higher_level_must_also_clear_the_floor():
    """With the floor binding ($50, no percentage), $250 after $200 stays in the episode; $250.01 alerts."""
    rule = params(floor="50")
    assert [c.status for c in run(["100"] * 28, ["200", "250"], rule)] == ["alert", "ongoing"]
    assert [c.status for c in run(["100"] * 28, ["200", "250.01"], rule)] == ["alert", "alert"]


def test_an_escalation_raises_the_episodes_peak():
    """After escalating to $300, the next alert needs more than $420."""
    checks = run(["100"] * 28, ["200", "300", "420", "420.01"])
    assert [c.status for c in checks] == ["alert", "alert", "ongoing", "alert"]


def test_no_decision_keeps_the_open_episode():
    """A day without enough history passes the episode it was given through unchanged."""
    episode = Episode(DAY, D(100), D(120), D(200))
    assert check_day(DAY, D(0), [D(1)], episode).episode == episode
