"""The spike rule: is one complete local day's billed amount a spike against the 28 days before it?

A day is a spike when its amount exceeds the trailing median by more than all three of: `k` median
absolute deviations (raw MAD, unscaled), `percent` % of the median, and `floor` dollars. Each leg
guards against a different kind of noise: MAD against a jittery account, the percentage against a
steady one whose MAD is tiny, the floor against amounts too small to matter. At least 7 days of
history are needed; with fewer there is no decision, and the reason says so.

Episodes, so that spend that stays high alerts once:
- a spike with no episode open raises an alert and opens an episode, remembering the usual amount
  (the trailing median), the trailing mean and the margin the day had to clear;
- the episode stays open while the days since it opened (up to the last 7, today included) average
  more than the trailing mean at opening plus half that margin. An average over up to a week is blind
  to the weekday/weekend rhythm, so a lasting level shift keeps its episode open on its low weekend
  days, while after a one-off spike the next ordinary day closes it;
- while open, a new alert needs a clearly higher level: a spike against the current 28 days that also
  exceeds the episode's peak by more than `percent` % of it and by more than the floor;
- once the average falls back the episode clears (the caller may say so in the alert's thread), and
  the next spike alerts again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Literal

WINDOW_DAYS = 28
MIN_HISTORY_DAYS = 7
EPISODE_MEAN_DAYS = 7
ZERO = Decimal(0)
Status = Literal["alert", "ongoing", "cleared", "normal", "no_decision"]


@dataclass(frozen=True)
class SpikeParams:
    """The three legs of the test; the defaults come from tests/benchmarks/backtest.py (see README)."""

    k: Decimal = Decimal(3)
    percent: Decimal = Decimal(40)
    floor: Decimal = Decimal(10)  # USD

    def __post_init__(self) -> None:
        if self.k < 0 or self.percent < 0 or self.floor < 0:
            raise ValueError("The spike settings k, percent and floor must not be negative.")


@dataclass(frozen=True)
class Baseline:
    """The trailing window's usual day: its median, median absolute deviation and mean."""

    median: Decimal
    mad: Decimal
    mean: Decimal
    days: int

    @classmethod
    def of(cls, amounts: Sequence[Decimal]) -> Baseline:
        middle = median(amounts)
        spread = median([abs(amount - middle) for amount in amounts])
        return cls(middle, spread, sum(amounts, ZERO) / len(amounts), len(amounts))

    def margin(self, params: SpikeParams) -> Decimal:
        """What a day must exceed the median by: the largest of the three legs (so all three hold)."""
        return max(params.k * self.mad, params.percent * self.median / 100, params.floor)


@dataclass(frozen=True)
class Episode:
    """An open spike episode: what the next days are compared with. The caller keeps it between days."""

    opened: date
    usual: Decimal  # the trailing median when it opened: "the usual amount"
    stay_above: Decimal  # the episode lasts while the recent average stays above this
    peak: Decimal  # the highest amount alerted in this episode


@dataclass(frozen=True)
class SpikeCheck:
    """The decision for one day, and the episode to pass in for the next day (None: none open)."""

    day: date
    amount: Decimal
    status: Status
    reason: str
    baseline: Baseline | None = None
    episode: Episode | None = None

    @property
    def alert(self) -> bool:
        return self.status == "alert"


def median(amounts: Sequence[Decimal]) -> Decimal:
    ordered = sorted(amounts)
    half = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[half]
    return (ordered[half - 1] + ordered[half]) / 2


def check_day(
    day: date,
    amount: Decimal,
    history: Sequence[Decimal],
    episode: Episode | None,
    params: SpikeParams | None = None,
) -> SpikeCheck:
    """Judge `day` (complete) against `history`: consecutive days up to the day before, oldest first.

    Days without spend must be in `history` as zero; only its last 28 days count.
    """
    params = params or SpikeParams()
    window = list(history[-WINDOW_DAYS:])
    if len(window) < MIN_HISTORY_DAYS:
        reason = f"needs at least {MIN_HISTORY_DAYS} days of history, has {len(window)}"
        return SpikeCheck(day, amount, "no_decision", reason, None, episode)
    base = Baseline.of(window)
    margin = base.margin(params)
    spike = amount - base.median > margin
    if episode is not None:
        within = _within_episode(day, amount, history, episode, spike, params)
        if within is not None:
            return replace(within, baseline=base)
    if spike:
        opened = Episode(day, base.median, base.mean + margin / 2, amount)
        reason = f"{amount - base.median} above the usual {base.median}, more than the margin {margin}"
        return SpikeCheck(day, amount, "alert", reason, base, opened)
    if episode is not None:
        return SpikeCheck(day, amount, "cleared", "spend is back to usual", base, None)
    return SpikeCheck(day, amount, "normal", f"within {margin} of the usual {base.median}", base, None)


def _within_episode(
    day: date, amount: Decimal, history: Sequence[Decimal], episode: Episode, spike: bool, params: SpikeParams
) -> SpikeCheck | None:
    """An escalation or the episode going on; None when the episode is over."""
    if spike and amount - episode.peak > max(params.percent * episode.peak / 100, params.floor):
        reason = f"a clearly higher level than the episode's peak of {episode.peak}"
        return SpikeCheck(day, amount, "alert", reason, episode=replace(episode, peak=amount))
    if _recent_mean(day, amount, history, episode) > episode.stay_above:
        return SpikeCheck(day, amount, "ongoing", "spend is still high", episode=episode)
    return None


def _recent_mean(day: date, amount: Decimal, history: Sequence[Decimal], episode: Episode) -> Decimal:
    """The average of the days after the episode opened, today included, the last 7 at most."""
    since = min((day - episode.opened).days, EPISODE_MEAN_DAYS, len(history) + 1)
    recent = [*history[len(history) - since + 1 :], amount] if since > 1 else [amount]
    return sum(recent, ZERO) / len(recent)
