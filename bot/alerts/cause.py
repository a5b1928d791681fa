"""What drove a spike: the usage types, config fingerprints and jobs whose spend rose most.

Each dimension is a mapping from key (usage type, fingerprint, job id) to USD. The usual amount of a
key is its mean per day over the trailing days, days without it counted as zero. The mean, unlike the
median, adds up: the usual amounts of all keys sum to the usual total, so the rises of all keys sum to
the day's total rise, and `explained` says how much of that rise the named keys account for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

TOP = 3
ZERO = Decimal(0)
Amounts = Mapping[str, Decimal]


@dataclass(frozen=True)
class Rise:
    """One key's spend on the day against its usual day."""

    key: str
    amount: Decimal
    usual: Decimal

    @property
    def rise(self) -> Decimal:
        return self.amount - self.usual


@dataclass(frozen=True)
class Drivers:
    """The keys of one dimension whose spend rose most (largest rise first), and the total rise."""

    named: tuple[Rise, ...]
    total_rise: Decimal

    @property
    def explained(self) -> Decimal | None:
        """The named rises as a fraction of the total rise; None when the total did not rise."""
        if self.total_rise <= 0:
            return None
        return sum((rise.rise for rise in self.named), ZERO) / self.total_rise


@dataclass(frozen=True)
class DayBreakdown:
    """One local day's spend per usage type, per config fingerprint and per job."""

    by_type: Amounts = field(default_factory=dict)
    by_config: Amounts = field(default_factory=dict)
    by_job: Amounts = field(default_factory=dict)


@dataclass(frozen=True)
class Cause:
    by_type: Drivers
    by_config: Drivers
    by_job: Drivers


def usual_by_key(days: Sequence[Amounts]) -> dict[str, Decimal]:
    """Each key's mean per day over `days` (a key missing from a day counts as zero that day)."""
    sums: dict[str, Decimal] = {}
    for day in days:
        for key, amount in day.items():
            sums[key] = sums.get(key, ZERO) + amount
    return {key: total / len(days) for key, total in sums.items()} if days else {}


def drivers(day: Amounts, usual: Amounts, top: int = TOP) -> Drivers:
    """The `top` keys with the largest positive rise (ties: by key), and the dimension's total rise."""
    keys = set(day) | set(usual)
    rises = [Rise(key, day.get(key, ZERO), usual.get(key, ZERO)) for key in keys]
    rising = sorted((r for r in rises if r.rise > 0), key=lambda r: (-r.rise, r.key))
    total = sum(day.values(), ZERO) - sum(usual.values(), ZERO)
    return Drivers(tuple(rising[:top]), total)


def explain(day: DayBreakdown, history: Sequence[DayBreakdown], top: int = TOP) -> Cause:
    """The drivers of `day` in each dimension, against the mean day of `history` (the trailing days)."""
    return Cause(
        drivers(day.by_type, usual_by_key([d.by_type for d in history]), top),
        drivers(day.by_config, usual_by_key([d.by_config for d in history]), top),
        drivers(day.by_job, usual_by_key([d.by_job for d in history]), top),
    )
